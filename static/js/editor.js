// Editing: every change is saved to the server as a draft at once, so a
// closed tab loses nothing; the draft's version stops a second tab or
// reviewer from overwriting silently. The server parses what was typed.

const body = document.body;
const runID = body.dataset.runId;
const editable = body.dataset.editable === "true";
const state = document.getElementById("save-state");
let saving = Promise.resolve();

function version() {
  return +body.dataset.version;
}
function setVersion(v) {
  body.dataset.version = v;
  document.querySelectorAll('input[name="version"]').forEach((i) => (i.value = v));
}

// Restore the scroll positions a redraw (rows changed) would lose.
const keep = JSON.parse(sessionStorage.getItem("reviewer:scroll:" + runID) || "null");
if (keep) {
  sessionStorage.removeItem("reviewer:scroll:" + runID);
  document.querySelector(".outputs").scrollTop = keep.outputs;
  requestAnimationFrame(() => (document.getElementById("pages").scrollTop = keep.pages));
  if (keep.focus) document.querySelector(`.field[data-path="${CSS.escape(keep.focus)}"] .ed`)?.focus({ preventScroll: true });
}
function redraw(focus) {
  sessionStorage.setItem("reviewer:scroll:" + runID, JSON.stringify({
    outputs: document.querySelector(".outputs").scrollTop, pages: document.getElementById("pages").scrollTop, focus,
  }));
  location.reload();
}

function rowOf(el) {
  return el.closest(".field");
}

// request builds the change an editor holds.
function request(row) {
  const group = row.querySelector("[data-type]");
  const t = group.dataset.type;
  const part = (name) => group.querySelector(`[data-part="${name}"]`);
  switch (t) {
    case "currency":
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
        type: tr.querySelector('[data-part="type"]').value,
        identifier: tr.querySelector('[data-part="identifier"]').value,
        startPage: +tr.querySelector('[data-part="startPage"]').value,
        endPage: +tr.querySelector('[data-part="endPage"]').value,
      })) };
  }
  return { text: group.value };
}

// save sends one change; saves run one after another, in order.
function save(row, change) {
  const run = async () => {
    const problem = row.querySelector(".problem");
    state.textContent = "Saving…";
    const res = await fetch(`/runs/${encodeURIComponent(runID)}/edits`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ version: version(), outputId: row.dataset.output, path: row.dataset.path, how: "typed", ...change }),
    }).catch(() => null);
    if (!res) {
      state.textContent = "Not saved: the server cannot be reached.";
      row.classList.add("invalid");
      return false;
    }
    const out = await res.json().catch(() => ({}));
    if (!res.ok) {
      const msg = out.error?.message || res.statusText;
      if (res.status === 409) return conflict(msg);
      problem.textContent = msg;
      row.classList.add("invalid");
      state.textContent = "Not saved: " + msg;
      return false;
    }
    problem.textContent = out.alternative ? `Read as ${out.value.replaceAll('"', "")}; type ${out.alternative} if you meant that.` : "";
    row.classList.remove("invalid");
    setVersion(out.version);
    if (out.reload) return redraw(row.dataset.path);
    row.classList.toggle("edited", out.edited);
    let was = row.querySelector(".was");
    if (out.edited) {
      if (!was) {
        was = document.createElement("span");
        was.className = "was";
        row.querySelector(".problem").after(was);
      }
      was.textContent = "was “" + out.original + "”";
    } else was?.remove();
    const reset = row.querySelector('[data-op="reset"]');
    if (reset) reset.disabled = !out.edited;
    const nul = row.querySelector('[data-op="null"]');
    if (nul) nul.disabled = out.value === "null" || out.value === null;
    const ed = row.querySelector("[data-type]");
    if (["string", "number", "date"].includes(ed.dataset.type)) ed.value = out.value === null ? "" : out.text;
    row.querySelectorAll(".ed").forEach((e) => (e.dataset.saved = e.value));
    state.textContent = "Saved";
    return true;
  };
  saving = saving.then(run, run);
  return saving;
}

function conflict(msg) {
  state.textContent = "";
  let bar = document.getElementById("conflict");
  if (!bar) {
    bar = document.createElement("div");
    bar.id = "conflict";
    bar.className = "flash error";
    bar.setAttribute("role", "alert");
    document.querySelector(".outputs").prepend(bar);
  }
  bar.textContent = msg + " ";
  const b = document.createElement("button");
  b.textContent = "Reload";
  b.addEventListener("click", () => location.reload());
  bar.append(b);
  return false;
}

document.querySelectorAll(".ed, .sp").forEach((e) => (e.dataset.saved = e.value));

if (editable) {
  document.addEventListener("change", (e) => {
    const ed = e.target.closest(".ed, .sp");
    if (ed && ed.value !== ed.dataset.saved) save(rowOf(ed), request(rowOf(ed)));
  });
  document.addEventListener("keydown", (e) => {
    const ed = e.target.closest?.(".ed, .sp");
    if (!ed) return;
    if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const eds = [...document.querySelectorAll(".ed:not([disabled])")].filter((x) => x.offsetParent);
      ed.dispatchEvent(new Event("change", { bubbles: true }));
      eds[eds.indexOf(ed) + 1]?.focus();
    } else if (e.key === "Escape") {
      ed.value = ed.dataset.saved;
      rowOf(ed).querySelector(".problem").textContent = "";
      rowOf(ed).classList.remove("invalid");
    } else if (e.altKey && (e.key === "n" || e.key === "N")) {
      e.preventDefault();
      save(rowOf(ed), { value: null }).then(() => location.reload());
    } else if (e.altKey && e.key === "Backspace") {
      e.preventDefault();
      save(rowOf(ed), { reset: true }).then(() => location.reload());
    }
  });
  document.addEventListener("click", (e) => {
    const op = e.target.closest("[data-op]");
    if (op) {
      const row = rowOf(op);
      save(row, op.dataset.op === "reset" ? { reset: true } : { value: null }).then((ok) => ok && redraw(row.dataset.path));
      return;
    }
    const r = e.target.closest("[data-row]");
    if (r) {
      const list = document.querySelector(`.field[data-path="${CSS.escape(r.dataset.list)}"]`);
      save(list, { row: { op: r.dataset.row, index: +r.dataset.index } });
      return;
    }
    const splits = e.target.closest(".splits-editor");
    if (splits && e.target.matches("[data-split-add], [data-split-remove]")) {
      const tbody = splits.querySelector("tbody");
      if (e.target.matches("[data-split-add]")) {
        const last = tbody.lastElementChild;
        const tr = last.cloneNode(true);
        tr.querySelectorAll("input").forEach((i) => (i.value = i.type === "number" ? (+last.querySelector('[data-part="endPage"]').value || 0) + 1 : ""));
        tbody.append(tr);
      } else e.target.closest("tr").remove();
      [...tbody.rows].forEach((tr, i) => (tr.dataset.split = i));
      save(splits, request(splits));
    }
  });
  // Text clicked or a box drawn in the viewer, for the focused field.
  document.addEventListener("reviewer:pick", (e) => {
    const { path, text, rect, fileId, page, how } = e.detail;
    const row = document.querySelector(`.field[data-path="${CSS.escape(path)}"]`);
    if (!row || !row.querySelector(".ed")) return;
    const change = text !== undefined && ["string", "number", "date"].includes(row.querySelector("[data-type]").dataset.type)
      ? { text } : { keep: true };
    save(row, { ...change, how, ref: { fileId, page, rect } });
  });
}

// Decisions and help.
function approve() {
  document.activeElement?.dispatchEvent?.(new Event("change", { bubbles: true }));
  saving.then(() => document.getElementById("approve-form")?.requestSubmit());
}
const rejectDialog = document.getElementById("reject-dialog");
document.querySelector('[data-action="reject"]')?.addEventListener("click", () => rejectDialog.showModal());
rejectDialog?.querySelector("[data-close]").addEventListener("click", () => rejectDialog.close());
document.getElementById("approve-form")?.addEventListener("submit", (e) => {
  if (document.querySelector(".field.invalid")) {
    e.preventDefault();
    state.textContent = "Fix the fields marked in red before approving.";
    document.querySelector(".field.invalid .ed")?.focus();
  }
});
const help = document.getElementById("help-dialog");
document.querySelector("[data-help]")?.addEventListener("click", () => help.showModal());
document.getElementById("attention-only")?.addEventListener("change", (e) => body.classList.toggle("attention-only", e.target.checked));

document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && editable) {
    e.preventDefault();
    approve();
    return;
  }
  if (e.target.closest("input, textarea, select, [contenteditable]")) return;
  if (e.key === "?") help.showModal();
  if (e.key === "R" && e.shiftKey && editable) {
    e.preventDefault();
    rejectDialog.showModal();
  }
});
