// One keyboard model for every page. Each key is declared once, by the
// module that owns what it does, with where it works; one listener
// dispatches them all, and the help dialog (?) lists exactly what is
// declared, so the help cannot drift from the keys.
//
// Where a key works, each with its own keys:
//   page  - focus is on no text entry (the document, a list, the body)
//   field - focus is in one of the review page's field editors, or the QA
//           check's, where plain keys type: document keys take Alt there
// In any other text entry (a search box) no key acts. While a modal dialog
// is open it owns the keyboard: Esc closes it (the browser's own),
// Ctrl+Enter submits its form, and no other key acts.

const bindings = [];
let pending = ""; // the first key of a two-key sequence ("G Q")

// bind declares a command: { page: ["T"], field: ["Alt+T"], group, help,
// run(event), when() }. Key names are modifiers (Ctrl, Alt, Shift) and the
// key: a letter in capitals, a symbol as typed, or the key's name (Enter,
// Escape, ArrowUp, Backspace, Delete). Shift is named only with letters and
// named keys: "?" is typed with Shift already.
export function bind(b) {
  bindings.push({ page: [], field: [], ...b });
}

// declared lists what is bound, as bound: for the help, and for a check
// that no key does two things where it works.
export function declared() {
  return bindings.map(({ page, field, group, help }) => ({ page, field, group, help }));
}

// With Alt, a Mac types another character for a symbol too (Option+= is
// ≠): such a key is read from where it is on the keyboard. Only then, as
// on another layout the same place holds another symbol.
const symbolAt = { Equal: ["=", "+"], Minus: ["-", "_"], BracketLeft: ["[", "{"], BracketRight: ["]", "}"] };

export function keyName(e) {
  let k = e.key;
  // With Alt, a Mac types another character (Option+T is †): read the key.
  if (e.altKey && /^Key[A-Z]$/.test(e.code)) k = e.code.slice(3);
  else if (e.altKey && /^Digit\d$/.test(e.code)) k = e.code.slice(5);
  else if (e.altKey && symbolAt[e.code] && /^[^ -~]$/.test(k)) k = symbolAt[e.code][+e.shiftKey];
  if (k === " ") k = "Space";
  if (k.length === 1) k = k.toUpperCase();
  const shift = e.shiftKey && (k.length > 1 || /[A-Z]/.test(k));
  return (e.ctrlKey || e.metaKey ? "Ctrl+" : "") + (e.altKey ? "Alt+" : "") + (shift ? "Shift+" : "") + k;
}

// scopeOf tells where an element's keys go: "page", "field" or "" (another
// text entry, where no key acts).
const entries = "textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]):not([type=reset])";
export function scopeOf(el) {
  if (!el?.closest?.(entries)) return "page";
  return el.closest(".outputs .field, [data-qa-form]") ? "field" : "";
}

document.addEventListener("keydown", (e) => {
  if (e.isComposing || e.defaultPrevented) return;
  const k = keyName(e);
  const dialog = document.querySelector("dialog[open]");
  if (dialog) {
    const form = dialog.querySelector("form:not([method=dialog])");
    if (k === "Ctrl+Enter" && form) {
      e.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  const scope = scopeOf(e.target);
  if (!scope) return;
  const name = pending ? pending + " " + k : k;
  pending = "";
  const b = bindings.find((b) => b[scope].includes(name) && (!b.when || b.when(e)));
  if (b) {
    e.preventDefault();
    b.run(e);
  } else if (scope === "page" && bindings.some((b) => b.page.some((x) => x.startsWith(k + " ")))) {
    pending = k;
  }
});

// --- help ---

const shown = { Enter: "↵", ArrowUp: "↑", ArrowDown: "↓", ArrowLeft: "←", ArrowRight: "→", Escape: "Esc", Space: "Space" };
function kbd(into, name) {
  name.split(" ").forEach((step, i) => {
    if (i) into.append(" then ");
    const k = document.createElement("kbd");
    // "Alt++" is Alt and +: a + followed by nothing is the key itself.
    k.textContent = step.split(/\+(?=.)/).map((p) => shown[p] || p).join(" ");
    into.append(k);
  });
}

// fillHelp lists the declared keys, by group, into an element.
function fillHelp(into) {
  into.replaceChildren();
  const groups = new Map();
  for (const b of bindings) {
    if (!b.help || (b.when && !b.when())) continue;
    if (!groups.has(b.group)) groups.set(b.group, []);
    groups.get(b.group).push(b);
  }
  for (const [group, list] of groups) {
    const h = document.createElement("h3");
    h.textContent = group;
    const dl = document.createElement("dl");
    for (const b of list) {
      const dt = document.createElement("dt");
      b.page.forEach((k) => kbd(dt, k));
      if (b.field.length && b.field.join() !== b.page.join()) {
        const span = document.createElement("span");
        span.className = "muted";
        span.textContent = b.page.length ? " in a field " : "in a field ";
        dt.append(span);
        b.field.forEach((k) => kbd(dt, k));
      }
      const dd = document.createElement("dd");
      dd.textContent = b.help;
      dl.append(dt, dd);
    }
    into.append(h, dl);
  }
}

const help = document.getElementById("help-dialog");
export function showHelp() {
  const into = help?.querySelector("#help-keys");
  if (!into) return;
  fillHelp(into);
  help.showModal();
}
document.querySelector("[data-help]")?.addEventListener("click", showHelp);
bind({ page: ["?"], group: "Everywhere", help: "this list of keys", run: showHelp, when: () => !!help });
bind({ page: ["G Q"], group: "Everywhere", help: "back to the queue", run: () => (location.href = "/") });
