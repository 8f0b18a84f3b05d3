// Editing on the review page. A field's change is saved as a draft once,
// when it is confirmed (Enter, leaving the field, a choice in a list); the
// server parses what was typed and answers with the parts of the page the
// change touched, rendered as the page renders them, which are swapped in
// place: focus, scroll, zoom, text mode and filters stay. The draft's
// version stops a second tab or reviewer from overwriting silently. What
// was typed and not yet saved is kept in the browser until it is, so a
// closed tab loses nothing.
import { bind } from "./keys.js";

const body = document.body;
const runID = body.dataset.runId;
const state = document.getElementById("save-state");
const outputs = document.querySelector(".outputs");
const typedKey = "reviewer:typed:" + runID;
let queue = Promise.resolve(); // saves go one after another, in order

export function editable() {
  return body.dataset.editable === "true";
}
function fieldOf(el) {
  return el?.closest?.(".outputs .field");
}
// A field with an editor of its own (not a list, a record or a row).
function ownsEditor(f) {
  return !f.classList.contains("container") && !!f.querySelector("[data-editor]");
}
function editorsOf(field) {
  return [...field.querySelectorAll(".ed, .sp")];
}
function fieldByPath(output, path) {
  return document.querySelector(`.field[data-output="${CSS.escape(output)}"][data-path="${CSS.escape(path)}"]`);
}
function setVersion(v) {
  body.dataset.version = v;
  document.querySelectorAll('input[name="version"]').forEach((i) => (i.value = v));
}

// request is the change a field's editors hold, as the server takes it.
function request(field) {
  const group = field.querySelector("[data-editor]");
  if (!group) return null;
  const part = (name) => group.querySelector(`[data-part="${name}"]`);
  // The editor's kind, as the server's field-type table (review.FieldTypes)
  // says its type is edited; an output's class and splits by name.
  switch (group.dataset.editor) {
    case "money":
      return { text: part("amount").value, code: part("code").value };
    case "signature": {
      const signed = part("is_signed").value;
      return { value: {
        is_signed: signed === "" ? null : signed === "true",
        printed_name: part("printed_name").value || null,
        title_or_role: part("title_or_role").value || null,
        signature_date: part("signature_date").value || null,
      } };
    }
    case "class":
      return { value: JSON.parse(group.value) };
    case "splits":
      return { value: [...group.querySelectorAll("tr[data-split]")].map((tr) => ({
        id: tr.dataset.id || undefined,
        fileId: tr.dataset.fileId || undefined,
        type: tr.querySelector('[data-part="type"]').value,
        identifier: tr.querySelector('[data-part="identifier"]').value,
        startPage: +tr.querySelector('[data-part="startPage"]').value,
        endPage: +tr.querySelector('[data-part="endPage"]').value,
      })) };
  }
  return { text: group.value };
}
const held = (field) => JSON.stringify(request(field));

// A field is dirty when its editors hold what is neither saved nor on its
// way to the server.
function dirty(field) {
  const now = held(field);
  return now !== field.dataset.saved && now !== field.dataset.sent;
}
// unsaved lists the fields holding text not saved, in the page's order.
function unsaved() {
  return [...outputs.querySelectorAll(".field")].filter((f) => ownsEditor(f) && dirty(f));
}
// names names fields as the page labels them: "Invoice date", "Invoice
// date and Due date", "Invoice date, Due date and 2 more".
function names(fields) {
  const name = (f) => f.classList.contains("splits-editor") ? "Sub-documents" : f.querySelector(".name")?.textContent.trim() || f.querySelector("[aria-label]")?.getAttribute("aria-label") || f.dataset.path;
  const all = fields.map(name);
  if (all.length === 1) return all[0];
  if (all.length <= 3) return all.slice(0, -1).join(", ") + " and " + all.at(-1);
  return all.slice(0, 2).join(", ") + ` and ${all.length - 2} more`;
}
function remember(root) {
  root.querySelectorAll(".field").forEach((f) => {
    if (!ownsEditor(f)) return;
    f.dataset.saved = held(f);
    editorsOf(f).forEach((e) => (e.dataset.saved = e.value));
  });
}

// --- typed but not saved: kept in the browser ---

function typedStore() {
  try {
    return JSON.parse(localStorage.getItem(typedKey) || "{}");
  } catch {
    return {};
  }
}
function keepTyped(field) {
  const all = typedStore();
  const key = field.dataset.output + " " + field.dataset.path;
  if (dirty(field)) all[key] = Object.fromEntries(editorsOf(field).filter((e) => e.id).map((e) => [e.id, e.value]));
  else delete all[key];
  if (Object.keys(all).length) localStorage.setItem(typedKey, JSON.stringify(all));
  else localStorage.removeItem(typedKey);
}
function forgetTyped(field) {
  const all = typedStore();
  delete all[field.dataset.output + " " + field.dataset.path];
  if (Object.keys(all).length) localStorage.setItem(typedKey, JSON.stringify(all));
  else localStorage.removeItem(typedKey);
}

// restoreTyped offers back what was typed and not saved when the page was
// last closed: it is put back in its fields, marked, and saved by Enter.
function restoreTyped() {
  const all = typedStore();
  let n = 0;
  for (const [key, values] of Object.entries(all)) {
    const [output, path] = key.split(" ");
    const field = fieldByPath(output, path);
    if (!field || !editable()) continue;
    for (const [id, v] of Object.entries(values)) {
      const e = document.getElementById(id);
      if (e) e.value = v;
    }
    if (dirty(field)) {
      field.classList.add("restored");
      n++;
    } else forgetTyped(field);
  }
  if (n) say(`Put back what you typed and had not saved in ${n} field${n > 1 ? "s" : ""} (marked): Enter saves it, Esc drops it.`);
}

// --- the page's parts, swapped in place ---

function fromHTML(html) {
  const t = document.createElement("template");
  t.innerHTML = html.trim(); // rendered and escaped by the server's templates
  return t.content;
}

// swapping is true while apply replaces the fields: the browser fires the
// change of the editor being typed in as it is removed, which confirms
// nothing (its text stays, in the editor that replaces it).
let swapping = false;

// apply swaps in the parts of the page the server rendered after a change,
// keeping focus, selection, scroll, and what is being typed elsewhere.
export function apply(fr, answer = null) {
  if (!fr?.outputs) return;
  // An answer older than what the page shows (a read of the run that
  // crossed the page's own later save) is not shown: it would put back the
  // old values, and the old version the next save would be refused for.
  if (fr.version < +body.dataset.version) return;
  const active = document.activeElement;
  const activeID = active?.id;
  // Inputs of type number have no selection (reading it gives null,
  // setting it throws): only a text selection is kept.
  const sel = active?.selectionStart != null ? [active.selectionStart, active.selectionEnd] : null;
  const scroll = outputs.scrollTop;
  // What the fields hold and is not saved stays: typed, or on its way to
  // the server; what a save sent is shown by its answer (answer).
  // A field refused keeps its mark and why: a decision stops at it.
  const typed = new Map();
  const sending = [];
  const refused = [];
  document.querySelectorAll(".outputs .field").forEach((f) => {
    if (!ownsEditor(f)) return;
    const answered = answer?.output === f.dataset.output && answer.path === f.dataset.path ? answer.sent : undefined;
    const now = held(f);
    if (now === f.dataset.saved || now === answered) return;
    editorsOf(f).forEach((e) => e.id && typed.set(e.id, e.value));
    if (f.dataset.sent && f.dataset.sent !== answered) sending.push(f);
    if (f.classList.contains("invalid")) refused.push(f);
  });
  swapping = true;
  try {
    for (const [id, html] of Object.entries(fr.outputs)) {
      const old = document.querySelector(`section.output[data-output-id="${CSS.escape(id)}"]`);
      if (!old) continue;
      const fresh = fromHTML(html).firstElementChild;
      old.replaceWith(fresh);
      remember(fresh);
    }
  } finally {
    swapping = false;
  }
  for (const [id, html] of Object.entries(fr.pages || {})) {
    const page = document.getElementById(id);
    if (!page) continue;
    page.querySelectorAll(":scope > .boxes, :scope > .block:not(.word)").forEach((m) => m.remove()); // the page's own words stay
    page.append(fromHTML(html));
  }
  const thumbs = document.getElementById("thumbs");
  if (thumbs && fr.thumbs) thumbs.replaceChildren(fromHTML(fr.thumbs));
  const status = document.getElementById("run-status");
  if (status && fr.status) status.replaceWith(fromHTML(fr.status));
  const notices = document.getElementById("run-notices");
  if (notices && fr.notices !== undefined) {
    // Notices that say the same stay as they are: a button in them keeps
    // its focus, and a click on it is not lost to a swap.
    const fresh = notices.cloneNode(false);
    fresh.append(fromHTML(fr.notices));
    const now = notices.cloneNode(true);
    now.querySelector("#kept")?.remove();
    if (!fresh.isEqualNode(now)) {
      const kept = document.getElementById("kept");
      notices.replaceChildren(...fresh.childNodes);
      if (kept) (document.getElementById("locked") || notices).append(kept);
    }
  }
  const audit = document.getElementById("audit");
  if (audit && fr.audit) {
    const fresh = fromHTML(fr.audit).firstElementChild;
    fresh.open = audit.open;
    audit.replaceWith(fresh);
  }
  for (const [id, v] of typed) {
    const e = document.getElementById(id);
    if (e && !e.disabled) e.value = v;
  }
  for (const was of sending) {
    const now = fieldByPath(was.dataset.output, was.dataset.path);
    if (!now || now === was) continue;
    now.dataset.sent = was.dataset.sent;
    now._saving = was._saving;
  }
  for (const was of refused) {
    const now = fieldByPath(was.dataset.output, was.dataset.path);
    if (now && now !== was) problem(now, was.querySelector(".problem")?.textContent || "");
  }
  setVersion(fr.version);
  body.dataset.editable = String(fr.editable);
  markApproval();
  if (activeID && document.getElementById(activeID) !== active) {
    const e = document.getElementById(activeID);
    e?.focus({ preventScroll: true });
    if (sel && e?.selectionStart != null) e.setSelectionRange(...sel);
  }
  outputs.scrollTop = scroll;
  document.dispatchEvent(new CustomEvent("reviewer:swapped", { detail: fr }));
}

// refresh fetches the page's parts as the run now is (someone else changed
// it) and swaps them in.
export async function refresh() {
  const res = await fetch(`/runs/${encodeURIComponent(runID)}/fragments${location.search}`, { headers: { Accept: "application/json" } }).catch(() => null);
  if (!res?.ok) return null;
  const fr = await res.json();
  apply(fr);
  return fr;
}

export function say(msg) {
  state.textContent = msg;
  delete state.dataset.stop;
}
// stop says why a decision did not go ahead; the sentence goes when its
// reason does.
function stop(msg) {
  say(msg);
  state.dataset.stop = "1";
}
function saidSaved(fr) {
  say(fr?.edited ? `Saved · ${fr.edited} changed` : "Saved");
}

// --- saving ---

// send saves one change to a field; saves run one after another. It
// resolves true when saved. A step that fails says so and resolves, so the
// saves and the decision queued behind it always get their answer.
function send(field, change) {
  const output = field.dataset.output;
  const path = field.dataset.path;
  const sent = JSON.stringify(change);
  let saved = false;
  // answered is the field as the page now shows it, no longer on its way
  // to the server unless a later save of it is.
  const answered = () => {
    const now = fieldByPath(output, path) || field;
    if (now.dataset.sent === sent) delete now.dataset.sent;
    return now;
  };
  const step = async () => {
    say("Saving…");
    const res = await fetch(`/runs/${encodeURIComponent(runID)}/edits${location.search}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ version: +body.dataset.version, outputId: output, path, how: "typed", ...change }),
    }).catch(() => null);
    if (!res) {
      problem(answered(), "The server cannot be reached; what you typed is kept here.");
      say("Not saved: the server cannot be reached.");
      return false;
    }
    const out = await res.json().catch(() => ({}));
    if (!res.ok) {
      const now = answered();
      const msg = out.error?.message || res.statusText;
      if (res.status === 409) return conflict(msg, output, path);
      problem(now, msg);
      say("Not saved: " + msg);
      return false;
    }
    saved = true;
    setVersion(out.version); // first: the next save and the decision need it, whatever happens next
    if (out.fragments?.outputs) apply(out.fragments, { output, path, sent });
    const now = answered();
    if (!now.dataset.sent) forgetTyped(now); // a later save's text is kept until its answer
    const after = fieldByPath(output, path);
    if (after && out.alternative) {
      after.querySelector(".problem").textContent = `Read as ${out.text}; type ${out.alternative} if you meant that.`;
    }
    saidSaved(out.fragments);
    return true;
  };
  const run = () =>
    step().catch((err) => {
      console.error(err);
      if (saved) {
        say(`Saved, but this page could not show it (${err.message}): reload to see the run as saved.`);
        return true;
      }
      problem(answered(), `Not saved: this page failed (${err.message}); what you typed is kept here.`);
      say(`Not saved: this page failed (${err.message}).`);
      return false;
    });
  queue = queue.then(run);
  return queue;
}

// problem says what is wrong with a field beside it. A field's problem
// is an alert only while it says something: a page of empty alerts is
// noise to a screen reader.
function problem(field, msg) {
  field.classList.add("invalid");
  const p = field.querySelector(".problem");
  if (!p) return;
  p.setAttribute("role", "alert");
  p.textContent = msg;
}
function noProblem(field) {
  const p = field.querySelector(".problem");
  p?.removeAttribute("role");
  if (p) p.textContent = "";
}

// commit saves what a field's editors hold, once: a second confirmation of
// the same text waits for the first.
export function commit(field) {
  if (!field || !editable() || !ownsEditor(field)) return Promise.resolve(true);
  const now = held(field);
  if (now === field.dataset.saved) {
    field.classList.remove("invalid", "restored");
    return Promise.resolve(true);
  }
  if (now === field.dataset.sent) return field._saving;
  field.dataset.sent = now;
  field._saving = send(field, request(field));
  return field._saving;
}

// conflict says a save was refused because the run changed. When the page
// can no longer edit the run (someone took it over, or decided it), the
// page's own notice says why and what was typed is kept in it; otherwise
// a bar offers the latest values, and the field refused is marked: a
// decision stops at it.
async function conflict(msg, output, path) {
  say("");
  const typed = typedNotSaved();
  const fr = await refresh();
  if (fr && !fr.editable) {
    if (typed.length) keepInView(typed);
    return false;
  }
  const field = fieldByPath(output, path);
  if (field && dirty(field)) problem(field, "Not saved: the run changed meanwhile. Enter saves this over the latest values; Esc drops it.");
  let bar = document.getElementById("conflict");
  if (!bar) {
    bar = document.createElement("div");
    bar.id = "conflict";
    bar.className = "flash error";
    bar.setAttribute("role", "alert");
    outputs.prepend(bar);
  }
  bar.textContent = msg + " ";
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = "Show the latest values";
  b.addEventListener("click", async () => {
    if (await refresh()) bar.remove();
  });
  bar.append(b);
  return false;
}

// typedNotSaved is what the fields hold that is not saved, by field name.
export function typedNotSaved() {
  const out = [];
  document.querySelectorAll(".outputs .field:not(.container)").forEach((f) => {
    const changed = [...f.querySelectorAll(".ed, .sp")].filter((e) => e.dataset.saved !== undefined && e.value !== e.dataset.saved);
    if (changed.length) out.push({ name: f.querySelector(".name")?.textContent || changed[0].getAttribute("aria-label") || f.dataset.path, text: changed.map((e) => e.value).join(" ") });
  });
  return out;
}

// keepInView keeps what was typed and not saved in view to copy, inside
// the notice that says why the page can no longer edit the run: one
// notice, however many messages brought the page here.
export function keepInView(typed) {
  let box = document.getElementById("kept");
  if (!box) {
    box = document.createElement("div");
    box.id = "kept";
    box.className = "kept";
  }
  const ul = document.createElement("ul");
  for (const t of typed) {
    const li = document.createElement("li");
    const b = document.createElement("b");
    b.textContent = t.name + ": ";
    const code = document.createElement("span");
    code.className = "copyable";
    code.textContent = t.text;
    li.append(b, code);
    ul.append(li);
  }
  box.replaceChildren("Not saved, kept here to copy:", ul);
  (document.getElementById("locked") || document.getElementById("run-notices"))?.append(box);
}

// --- moving between fields ---

function fieldEditors() {
  return [...document.querySelectorAll(".outputs .field")].filter((f) => ownsEditor(f) && f.querySelector(".ed:not([disabled]), .sp:not([disabled])") && f.offsetParent);
}
function focusFieldEditor(field) {
  const e = field?.querySelector(".ed:not([disabled]), .sp:not([disabled])");
  e?.focus();
  e?.select?.();
  return !!e;
}
const lastSaid = "That was the last field: Ctrl+Enter approves.";
function lastField(said) {
  const before = said.replace(lastSaid, "").trim();
  return before ? `${before}. ${lastSaid}` : lastSaid;
}
function nextField(field, which = () => true) {
  const all = fieldEditors();
  const i = all.indexOf(field);
  return all.slice(i + 1).find(which) || all.slice(0, Math.max(i, 0)).find(which);
}

// --- listeners ---

remember(document);
restoreTyped();

// A run opens with the cursor in the first field needing attention (the
// first field if none does; the document if nothing can be edited), after
// a decision too: focus is never left on the page's body.
if (!location.hash && (!document.activeElement || document.activeElement === body)) {
  const all = fieldEditors();
  if (!editable() || !focusFieldEditor(all.find((f) => f.classList.contains("attention")) || all[0])) document.getElementById("pages")?.focus({ preventScroll: true });
}

// A text area (a description, so it wraps) reached by the keyboard has its
// text selected, as the browser does for a one-line field: typing replaces
// the model's value instead of going before it. A click puts the cursor
// where it clicks.
let pointed = false;
document.addEventListener("pointerdown", () => (pointed = true), true);
document.addEventListener("keydown", () => (pointed = false), true);
document.addEventListener("focusin", (e) => {
  if (!pointed && e.target.matches?.("textarea.ed")) e.target.select();
});

document.addEventListener("input", (e) => {
  const f = fieldOf(e.target);
  if (f && editable() && ownsEditor(f)) {
    f.classList.remove("invalid");
    keepTyped(f);
  }
});
// A closed list changes its choice with every arrow key and typed letter
// (u, u, u walks through the currencies): those are looked through, not
// chosen. A choice by keyboard is confirmed by Enter, Tab or leaving the
// list; one picked with the mouse at once.
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "SELECT" && !e.ctrlKey && !e.altKey && !["Enter", "Tab", "Escape"].includes(e.key)) e.target.dataset.browsing = "1";
}, true);
document.addEventListener("pointerdown", (e) => {
  const s = e.target.closest?.("select");
  if (s) delete s.dataset.browsing;
}, true);
// A choice in a list, or text left by Tab or a click, is confirmed.
document.addEventListener("change", (e) => {
  const f = fieldOf(e.target);
  if (e.target.dataset?.browsing || swapping) return;
  if (f && editable() && !f.classList.contains("splits-editor")) commit(f);
});
document.addEventListener("focusout", (e) => {
  const f = fieldOf(e.target);
  if (swapping) return;
  if (e.target.dataset?.browsing) {
    delete e.target.dataset.browsing;
    if (f && editable() && !f.classList.contains("splits-editor")) commit(f);
  }
  if (f && f.classList.contains("splits-editor") && !f.contains(e.relatedTarget)) commit(f);
});

document.getElementById("attention-only")?.addEventListener("change", (e) => body.classList.toggle("attention-only", e.target.checked));
document.querySelector('[data-action="skip-to-fields"]')?.addEventListener("click", (e) => {
  e.preventDefault();
  if (!focusFieldEditor(fieldEditors()[0])) outputs.focus();
});

// Buttons out of the Tab order, each with its key.
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-action]");
  if (!b || !editable() || !outputs.contains(b)) return;
  const field = fieldOf(b);
  switch (b.dataset.action) {
    case "reset":
      return reset(field);
    case "set-empty":
      return setEmpty(field);
    case "add-row":
      return rowOp(b.dataset.list, "add", -1, field);
    case "row-insert":
    case "row-up":
    case "row-down":
    case "row-remove":
      return rowOp(b.dataset.list, b.dataset.action.slice(4), +b.dataset.index, field);
    case "add-split":
      return addSplit(field);
    case "remove-split":
      return removeSplit(field, b.closest("tr"));
  }
});

function reset(field) {
  if (!field) return;
  forgetTyped(field);
  return send(field, { reset: true });
}
function setEmpty(field) {
  if (!field || field.classList.contains("splits-editor")) return;
  forgetTyped(field);
  return send(field, { value: null });
}
// rowOp changes the rows of list; focus stays on the same cell of the row
// moved, or goes to the first cell of the row added, once the page is
// swapped.
async function rowOp(list, op, index, from) {
  const listField = document.querySelector(`.outputs .field[data-path="${CSS.escape(list)}"]`);
  if (!listField) return;
  const cell = from?.dataset.path.startsWith(list + "[") ? from.dataset.path.slice(from.dataset.path.indexOf("]", list.length) + 1) : "";
  // What the page holds of a cell is kept by the cell's place, and a save
  // names the place: the op moves rows under both. So what is typed in the
  // list is saved first, and nothing is typed in it until the op is done.
  const inList = (f) => f?.dataset.path.startsWith(list + "[");
  if ((await Promise.all(unsaved().filter(inList).map(commit))).includes(false)) return;
  const cells = [...outputs.querySelectorAll(".ed")].filter((e) => inList(fieldOf(e)) && !e.readOnly);
  cells.forEach((e) => (e.readOnly = true));
  const done = await send(listField, { row: { op, index } });
  cells.forEach((e) => (e.readOnly = false));
  if (!done) return;
  const rows = [...document.querySelectorAll(`.outputs .field[data-list="${CSS.escape(list)}"]`)];
  const at = { add: rows.length - 1, insert: index + 1, up: index - 1, down: index + 1, remove: Math.min(index, rows.length - 1) }[op];
  const same = op === "up" || op === "down" ? cell : "";
  const target = document.querySelector(`.outputs .field[data-path="${CSS.escape(`${list}[${at}]${same}`)}"]`);
  if (target?.querySelector(".ed")) return focusFieldEditor(target);
  const first = [...document.querySelectorAll(".outputs .field")].find((f) => f.dataset.path.startsWith(`${list}[${at}].`) && f.querySelector(".ed"));
  focusFieldEditor(first);
}

// Sub-documents: a new one covers the first pages no sub-document has,
// wherever they are, and takes its place in page order; with the page
// count unknown, the pages after the last; with every page taken, the
// last page. Started at a page (at, from its thumbnail), it runs from
// there to where the sub-document holding that page ended, which now ends
// before it. Its type is typed or chosen next.
function addSplit(field, at) {
  const tbody = field.querySelector("tbody");
  const rows = [...tbody.querySelectorAll("tr[data-split]")];
  const pages = +field.dataset.pages || 0;
  const part = (tr, p) => tr.querySelector(`[data-part="${p}"]`);
  const range = (tr) => [+part(tr, "startPage").value, +part(tr, "endPage").value];
  const covered = (p) => rows.some((tr) => { const [a, b] = range(tr); return a <= p && p <= b; });
  const gapFrom = (p) => { let end = p; while (end < pages && !covered(end + 1)) end++; return end; };
  let start, end;
  if (at) {
    const holder = rows.find((tr) => { const [a, b] = range(tr); return a <= at && at <= b; });
    if (holder && range(holder)[0] === at) {
      problem(field, `Sub-document ${rows.indexOf(holder) + 1} already starts on page ${at}.`);
      part(holder, "type").focus();
      return;
    }
    [start, end] = [at, holder ? range(holder)[1] : gapFrom(at)];
    if (holder) part(holder, "endPage").value = at - 1;
  } else {
    start = pages ? 1 : Math.max(0, ...rows.map((tr) => range(tr)[1])) + 1;
    while (pages && start <= pages && covered(start)) start++;
    if (pages && start > pages) {
      // No page is free: the last page of the sub-document ending the
      // document becomes the new one, if that leaves it a page.
      const last = rows.findLast((tr) => { const [a, b] = range(tr); return b === pages && a < pages; });
      if (!last) {
        problem(field, "Every page belongs to a sub-document already: shorten one first.");
        return;
      }
      part(last, "endPage").value = pages - 1;
      start = pages;
    }
    end = gapFrom(start);
  }
  const tr = field.querySelector("template.split-new").content.querySelector("tr").cloneNode(true);
  tr.querySelectorAll("input, select").forEach((i) => (i.id = ""));
  part(tr, "startPage").value = start;
  part(tr, "endPage").value = end;
  tbody.insertBefore(tr, rows.find((r) => range(r)[0] > start) || null);
  tbody.querySelectorAll("tr[data-split]").forEach((r, i) => (r.dataset.split = i));
  part(tr, "type").focus();
  say(`New sub-document for ${start === end ? "page " + start : `pages ${start}–${end}`}: give its type, then Enter saves it.`);
}
function removeSplit(field, tr) {
  if (!tr) return;
  if (tr.nextElementSibling?.classList.contains("split-observation")) tr.nextElementSibling.remove();
  tr.remove();
  commit(field);
}

// --- keys ---

bind({
  field: ["Enter"], group: "Fields", help: "save the field and go to the next (in a sub-document, the next cell of its row)",
  run: async (e) => {
    const field = fieldOf(e.target);
    if (field.classList.contains("splits-editor")) {
      const tr = e.target.closest("tr");
      const cells = [...tr.querySelectorAll(".sp")];
      const next = cells[cells.indexOf(e.target) + 1]?.dataset.part;
      if (!(await commit(field)) || !next) return;
      const row = fieldByPath(field.dataset.output, field.dataset.path)?.querySelector(`tr[data-split="${tr.dataset.split}"]`);
      row?.querySelector(`[data-part="${next}"]`)?.focus();
      return;
    }
    // The next field takes the keys at once: on a slow server a fast
    // typist types on into it while the save is on its way. A field
    // refused gets them back if they are still where Enter put them,
    // nothing typed there yet, its text selected: typing on replaces what
    // was refused instead of running on from it.
    const all = fieldEditors();
    const next = all[all.indexOf(field) + 1];
    const saving = commit(field);
    focusFieldEditor(next);
    const ok = await saving;
    const now = fieldByPath(field.dataset.output, field.dataset.path) || field;
    const at = fieldOf(document.activeElement);
    const waiting = !next || (at && at.dataset.output === next.dataset.output && at.dataset.path === next.dataset.path && !dirty(at));
    if (!ok) return waiting ? focusFieldEditor(now) : undefined;
    // The last field is where a review ends: Enter stays, and says what is next.
    if (!next) say(lastField(state.textContent));
  },
});
bind({
  field: ["Escape"], group: "Fields", help: "undo what was typed in the field; again, back to the document",
  run: (e) => {
    const field = fieldOf(e.target);
    if (dirty(field) || field.classList.contains("invalid")) {
      editorsOf(field).forEach((x) => (x.value = x.dataset.saved ?? x.value));
      field.classList.remove("invalid", "restored");
      noProblem(field);
      forgetTyped(field);
      if (state.dataset.stop && !document.querySelector(".outputs .field.invalid")) say("");
      return;
    }
    document.getElementById("pages").focus({ preventScroll: true });
  },
});
bind({
  page: ["A"], field: ["Alt+A"], group: "Fields", help: "next field needing attention",
  run: (e) => {
    const from = fieldOf(e.target) || document.querySelector(".outputs .field.active");
    focusFieldEditor(nextField(from, (f) => f.classList.contains("attention")));
  },
});
bind({ field: ["Alt+N"], group: "Fields", help: "set the field empty", when: editable, run: (e) => setEmpty(fieldOf(e.target)) });
bind({ field: ["Alt+Backspace"], group: "Fields", help: "reset the field to the model's value and location", when: editable, run: (e) => reset(fieldOf(e.target)) });

// Rows of a list (line items) and sub-documents. rowOf is the row a field
// is or belongs to (the field of line_items[2] for line_items[2].amount).
function rowOf(field) {
  const m = field?.dataset.path.match(/^(.*)\[(\d+)\]/);
  if (!m) return null;
  return document.querySelector(`.outputs .field[data-output="${CSS.escape(field.dataset.output)}"][data-path="${CSS.escape(m[0])}"]`);
}
// A row key pressed while another's op is on its way names a row by its
// place, which that op may give to another row: it waits, and acts where
// the focus then is (it follows the row).
let rowKeys = Promise.resolve();
let rowKeysWaiting = 0;
function rowKey(op) {
  const act = (target) => {
    const field = fieldOf(target);
    const thumb = target.closest?.("[data-thumb]");
    const splits = document.querySelector(".outputs .splits-editor");
    if (thumb && splits && op === "insert") return addSplit(splits, +thumb.dataset.thumb);
    if (!field) return say("Rows are added in a list: go to one of its rows, or its + row button, first.");
    if (field.classList.contains("splits-editor")) {
      if (op === "insert") addSplit(field);
      if (op === "remove") removeSplit(field, target.closest("tr"));
      return;
    }
    const row = rowOf(field);
    if (row) return rowOp(row.dataset.list, op, +row.dataset.row, field);
    if (op === "insert" && field.querySelector('[data-action="add-row"]')) return rowOp(field.dataset.path, "add", -1, field);
  };
  return (e) => {
    const target = rowKeysWaiting ? null : e.target;
    rowKeysWaiting++;
    rowKeys = rowKeys
      .then(() => act(target || document.activeElement))
      .catch(console.error)
      .finally(() => rowKeysWaiting--);
  };
}
// On a list's own + row button or its table, Alt+= adds a row at the end.
bind({ page: ["Alt+="], field: ["Alt+="], group: "Rows", help: "insert a row after this one (on a list's + row button: add one at the end; on a page thumbnail: start a sub-document there)", when: editable, run: rowKey("insert") });
bind({ field: ["Alt+Delete"], group: "Rows", help: "remove this row", when: editable, run: rowKey("remove") });
bind({ field: ["Alt+ArrowUp"], group: "Rows", help: "move this row up", when: editable, run: rowKey("up") });
bind({ field: ["Alt+ArrowDown"], group: "Rows", help: "move this row down", when: editable, run: rowKey("down") });

// --- picks from the document ---

// Text clicked or a box drawn in the viewer, for the focused field; focus
// goes back to the field, so its keys go on working.
document.addEventListener("reviewer:pick", async (e) => {
  const { output, path, text, rect, fileId, page, how } = e.detail;
  const field = output ? fieldByPath(output, path) : document.querySelector(`.outputs .field[data-path="${CSS.escape(path)}"]`);
  if (!field || !editable() || !field.querySelector(".ed")) return;
  // Text picked fills the types the table says it does (data-picks).
  const picks = field.querySelector("[data-editor]").hasAttribute("data-picks");
  const change = text !== undefined && picks ? { text } : { keep: true };
  forgetTyped(field);
  await send(field, { ...change, how, ref: { fileId, page, rect } });
  if (how === "drawn box" && text === undefined) say("No text inside the box: only its location was saved.");
  fieldByPath(field.dataset.output, path)?.querySelector(".ed")?.focus({ preventScroll: true });
});

// --- decisions ---

// Both decisions wait for the saves on their way (the draft's version must
// be the one decided), then submit: in a later task, as a submission asked
// for while one is being dispatched is dropped by the browser.
function submitLater(form) {
  setTimeout(() => {
    form.dataset.ready = "1";
    form.requestSubmit();
  });
}
// approve first saves every field holding text not saved (typed and not
// confirmed, or put back after a closed tab): nothing on the page is
// dropped by a decision. A field refused stops it, named.
async function approve() {
  let results;
  try {
    results = await Promise.all(unsaved().map(commit));
  } catch (err) {
    return stop(`Not approved: this page failed (${err.message}).`);
  }
  await queue;
  // A field the saves queued before left holding what they could not save
  // stops it too, marked or not.
  const bad = [...new Set([...document.querySelectorAll(".outputs .field.invalid"), ...unsaved()])];
  if (bad.length) {
    stop(`Not approved: fix ${names(bad)} first (marked in red), or Esc to drop what was typed.`);
    bad[0].querySelector(".ed:not([disabled]), .sp:not([disabled])")?.focus();
    return;
  }
  if (results.includes(false)) {
    stop("Not approved: a change was not saved (see above).");
    return;
  }
  if (blockingRules()) {
    if (document.getElementById("override-dialog")) {
      openOverride();
      return;
    }
    say("Approval waits for the rules that fail: correct the fields they name, or send the run to a supervisor (Shift+E; Alt+E in a field).");
    document.querySelector(".outputs .field.rule-failed :is(.ed, .sp):not(:disabled)")?.focus();
    return;
  }
  const form = document.getElementById("approve-form");
  if (form && editable()) submitLater(form);
}

// Blocking rules hold approval back: the Approve button says so (it stays
// focusable, and pressing it says why), and a supervisor may approve over
// them with a note.
function blockingRules() {
  return Number(document.querySelector("#run-notices [data-blocking]")?.dataset.blocking || 0);
}
function markApproval() {
  const button = document.querySelector('[data-action="approve"]');
  if (!button) return;
  const n = blockingRules();
  button.setAttribute("aria-disabled", String(n > 0));
  button.title = n > 0 ? `Approval waits for ${n} failing rule${n > 1 ? "s" : ""}` : "Approve and open the next run (Ctrl+Enter)";
}
markApproval();
function openOverride() {
  const dialog = document.getElementById("override-dialog");
  dialog.showModal();
  dialog.querySelector("textarea").focus();
}
document.addEventListener("click", (e) => {
  // Approving over the rules is approving: what the fields hold and is
  // not saved stops it first, as Ctrl+Enter's does.
  if (e.target.closest('[data-action="override"]')) approve();
  if (e.target.closest("#override-dialog [data-close]")) document.getElementById("override-dialog").close();
});
document.addEventListener("submit", (e) => {
  if (!e.target.closest("#override-dialog") || e.target.dataset.ready) return;
  e.preventDefault();
  queue.then(() => submitLater(e.target));
});
document.querySelector('[data-action="approve"]')?.addEventListener("click", (e) => {
  e.preventDefault();
  approve();
});
const rejectDialog = document.getElementById("reject-dialog");
function openReject() {
  rejectDialog.showModal();
  rejectDialog.querySelector("textarea").focus();
}
document.querySelector('[data-action="reject"]')?.addEventListener("click", openReject);
rejectDialog?.querySelector("[data-close]").addEventListener("click", () => rejectDialog.close());
rejectDialog?.querySelector("form").addEventListener("submit", (e) => {
  if (e.target.dataset.ready) return;
  e.preventDefault();
  queue.then(() => submitLater(e.target));
});
// Sending to a supervisor and postponing ask why in a dialog, and wait for
// the saves on their way, as a decision does: the draft stays with the run.
for (const [kind, page, field, help] of [
  ["escalate", "Shift+E", "Alt+E", "send the run to a supervisor, with a reason"],
  ["postpone", "Shift+P", "Alt+P", "postpone the run, with a reason and a time"],
]) {
  const dialog = document.getElementById(`${kind}-dialog`);
  if (!dialog) continue;
  const open = () => {
    dialog.showModal();
    dialog.querySelector("textarea").focus();
    dialog.dispatchEvent(new Event("shown"));
  };
  document.querySelectorAll(`[data-action="${kind}"]`).forEach((b) => b.addEventListener("click", open));
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  dialog.querySelector("form").addEventListener("submit", (e) => {
    if (e.target.dataset.ready) return;
    e.preventDefault();
    queue.then(() => submitLater(e.target));
  });
  bind({ page: [page], field: [field], group: "Decide", help, when: editable, run: open });
}
// Postponing past the run's due time makes it late on purpose: the dialog
// says so as the time is chosen (and again as it opens: time passes). A
// reviewer's choice is refused as the form is sent, and the server refuses
// it too; a supervisor ticks that they mean it.
const postponing = document.getElementById("postpone-dialog");
if (postponing?.dataset.due) {
  const due = Number(postponing.dataset.due);
  const supervisor = postponing.dataset.supervisor === "true";
  const select = document.getElementById("postponeFor");
  const late = document.getElementById("postpone-late");
  const confirm = document.getElementById("postpone-past-due");
  const box = document.getElementById("postponePastDue");
  const span = (ms) => {
    const min = Math.ceil(ms / 60e3);
    if (min < 60) return `${min} min`;
    if (min < 48 * 60) return `${Math.floor(min / 60)} h` + (min % 60 ? ` ${min % 60} min` : "");
    return `${Math.round(min / 1440)} days`;
  };
  const check = () => {
    const now = Date.now();
    const over = now + parseInt(select.value, 10) * 3600e3 - due;
    const soonest = Math.min(...[...select.options].map((o) => parseInt(o.value, 10)));
    late.hidden = over <= 0;
    // An alert only while it says something: an empty one is noise to a screen reader.
    if (over > 0) late.setAttribute("role", "alert");
    else late.removeAttribute("role");
    confirm.hidden = over <= 0 || !supervisor;
    box.required = over > 0 && supervisor;
    if (over <= 0) box.checked = false;
    const refused = over > 0 && !supervisor;
    select.setCustomValidity(refused ? "Choose a time before the run is due, or send it to a supervisor." : "");
    if (over <= 0) return;
    late.textContent =
      `Back in the queue ${span(over)} after it is due: it would be late.` +
      (refused
        ? now + soonest * 3600e3 > due
          ? " Postponing past the due time is a supervisor's call, and every time here is past it: send the run to a supervisor instead (Esc, then Shift+E)."
          : " Postponing past the due time is a supervisor's call: choose an earlier time, or send the run to a supervisor instead (Esc, then Shift+E)."
        : " Tick the box below to postpone it past its due time.");
  };
  select.addEventListener("change", check);
  postponing.addEventListener("shown", check);
}
bind({ page: ["Ctrl+Enter"], field: ["Ctrl+Enter"], group: "Decide", help: "approve and open the next run", when: editable, run: approve });
bind({ page: ["Shift+R"], field: ["Alt+R"], group: "Decide", help: "reject with a note", when: editable, run: openReject });
