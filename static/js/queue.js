// The live queue: rows appear, change and leave as other people and Extend
// act, without a reload. A row never vanishes from under the pointer: while
// the pointer is over the table, leaving rows are only marked.
import { bind } from "./keys.js";
import { connect } from "./live.js";

const table = document.getElementById("queue");
let tbody = table.querySelector("tbody");
const depth = document.getElementById("queue-depth");
const newRuns = document.getElementById("new-runs");
const paged = table.dataset.paged === "true";
const leaving = new Set();
let pointerIn = false;

table.addEventListener("pointerenter", () => (pointerIn = true));
table.addEventListener("pointerleave", () => {
  pointerIn = false;
  leaving.forEach((tr) => tr.remove());
  leaving.clear();
});
newRuns.querySelector("button").addEventListener("click", () => location.reload());

// Runs heard of and not read back yet. One request at a time reads them
// all; those heard of meanwhile gather for the next, so a burst costs the
// server one request per open page, not one per run.
const pending = new Set();
const rowsAtOnce = 200; // the server's bound on the runs one request names
let reading = false;

function refresh(runID) {
  pending.add(runID);
  if (!reading) readRows();
}

async function readRows() {
  reading = true;
  try {
    while (pending.size) {
      const ids = [...pending].slice(0, rowsAtOnce);
      ids.forEach((id) => pending.delete(id));
      await showRows(ids);
    }
  } finally {
    reading = false;
  }
}

// showRows reads the rows of ids as the server now renders them: a run it
// does not answer has left this view.
async function showRows(ids) {
  const q = new URLSearchParams(location.search);
  ids.forEach((id) => q.append("id", id));
  const res = await fetch(`/queue/rows?${q}`, { headers: { Accept: "text/html" } });
  if (!res.ok) return;
  const n = res.headers.get("X-Queue-Depth");
  if (n !== null) depth.textContent = `${n} waiting`;
  const tpl = document.createElement("template");
  tpl.innerHTML = await res.text(); // server-rendered, escaped by templ
  const rows = new Map([...tpl.content.querySelectorAll("tr[data-run-id]")].map((tr) => [tr.dataset.runId, tr]));
  for (const runID of ids) {
    const old = tbody.querySelector(`tr[data-run-id="${CSS.escape(runID)}"]`);
    const row = rows.get(runID);
    if (!row) {
      if (!old) continue;
      old.classList.add("leaving");
      if (pointerIn) leaving.add(old);
      else setTimeout(() => old.remove(), 400);
    } else if (old) {
      old.replaceWith(row);
      leaving.delete(old);
    } else if (paged) {
      newRuns.hidden = false; // rows of other pages stay where they are
    } else {
      row.classList.add("arrived");
      tbody.append(row);
      document.getElementById("queue-empty")?.remove();
    }
  }
}

// Every row of the page, as the server now renders it (a burst too large
// to name its runs).
async function refreshAll() {
  const res = await fetch(location.href, { headers: { Accept: "text/html" } });
  if (!res.ok) return;
  const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
  const body = fresh.querySelector("#queue tbody");
  const n = fresh.getElementById("queue-depth");
  if (body) {
    tbody.replaceWith(body);
    tbody = body;
    leaving.clear();
  }
  if (n) depth.textContent = n.textContent;
  backAt(+fresh.getElementById("queue")?.dataset.backAt);
}

// A postponed run comes back when its time has come, which no change
// announces: the page redraws itself then (and again if it was early).
let back = null;
function backAt(at) {
  clearTimeout(back);
  if (at > 0) back = setTimeout(refreshAll, Math.max(0, at - Date.now()) + 500);
}
backAt(+table.dataset.backAt);

connect({
  onMessage: (m) => {
    if (m.kind === "burst") return m.all ? refreshAll() : m.runIds.forEach(refresh);
    // A run held or put back may change when the next postponed run
    // returns: the whole page is read again.
    if (m.kind === "hold") refreshAll();
    else if (m.runId) refresh(m.runId);
  },
});

bind({ page: ["N"], group: "Queue", help: "open the next run of this view and claim it", run: () => document.querySelector(".next-form").requestSubmit() });
