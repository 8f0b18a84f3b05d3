// The live queue: rows appear, change and leave as other people and Extend
// act, without a reload. A row never vanishes from under the pointer: while
// the pointer is over the table, leaving rows are only marked.
import { connect } from "./live.js";

const table = document.getElementById("queue");
const tbody = table.querySelector("tbody");
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

async function refresh(runID) {
  const res = await fetch(`/queue/rows/${encodeURIComponent(runID)}${location.search}`, { headers: { Accept: "text/html" } });
  if (!res.ok) return;
  const n = res.headers.get("X-Queue-Depth");
  if (n !== null) depth.textContent = `${n} waiting`;
  const old = tbody.querySelector(`tr[data-run-id="${CSS.escape(runID)}"]`);
  if (res.status === 204) {
    if (!old) return;
    old.classList.add("leaving");
    if (pointerIn) leaving.add(old);
    else setTimeout(() => old.remove(), 400);
    return;
  }
  const tpl = document.createElement("template");
  tpl.innerHTML = (await res.text()).trim(); // server-rendered, escaped by templ
  const row = tpl.content.querySelector("tr");
  if (!row) return;
  if (old) {
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

connect({ onMessage: (m) => m.runId && refresh(m.runId) });

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "n") document.querySelector(".next-form").requestSubmit();
});
