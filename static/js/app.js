// reviewer's shared page behaviour. No build step; an ES module per concern,
// all served under one hash, so each is one instance on a page.
import "./keys.js";
import { bind } from "./keys.js";

// A decision just made: Undo (or U) takes it back until its time is up;
// then the notice goes, as the decision is on its way.
const undo = document.getElementById("undo-notice");
if (location.search.includes("decided=")) { // said once: a reload does not say it again
  const q = new URLSearchParams(location.search);
  q.delete("decided");
  history.replaceState(null, "", location.pathname + (q.size ? "?" + q : "") + location.hash);
}
if (undo) {
  const until = +undo.dataset.until;
  const left = undo.querySelector("[data-countdown]");
  const tick = () => {
    const s = Math.ceil((until - Date.now()) / 1000);
    if (s <= 0) return undo.remove();
    left.textContent = `${s} s left`;
    setTimeout(tick, 250);
  };
  tick();
  // The next run opens with the cursor in a field, where U types: Alt+U
  // undoes there, and everywhere else too.
  bind({ page: ["U", "Alt+U"], field: ["Alt+U"], group: "Decide", help: "undo the decision just made", when: () => document.body.contains(undo), run: () => undo.querySelector("form").requestSubmit() });
}
