// A page part marked data-redraw="URL" is drawn again from that URL after
// live changes, at most once a second: the QA queue, the accuracy and the
// scorecards follow decisions and checks as they are made.
import { connect } from "./live.js";

const parts = [...document.querySelectorAll("[data-redraw]")];
let timer = null;
async function redraw() {
  timer = null;
  for (const el of parts) {
    const res = await fetch(el.dataset.redraw, { headers: { Accept: "text/html" } });
    if (res.ok) el.innerHTML = await res.text(); // server-rendered, escaped by templ
  }
}
if (parts.length) connect({ onMessage: () => (timer ??= setTimeout(redraw, 1000)) });
