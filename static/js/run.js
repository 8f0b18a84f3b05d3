// The run page's claim and presence: the open page renews its claim, gives
// it back when it closes, shows who else is looking, and tells the reviewer
// when the run changes under them.
import { connect } from "./live.js";

const runID = document.body.dataset.runId;
const editable = document.body.dataset.editable === "true";
const presence = document.getElementById("presence");
const me = document.body.dataset.me;

if (editable) {
  const beat = () => fetch(`/runs/${encodeURIComponent(runID)}/claim`, { method: "POST", headers: { Accept: "application/json" } });
  setInterval(beat, 30000);
  // A closed tab releases its claim at once; a vanished browser loses it
  // when the lease ends.
  addEventListener("pagehide", () => navigator.sendBeacon(`/runs/${encodeURIComponent(runID)}/release`));
}

connect({
  run: runID,
  onMessage: (m) => {
    if (m.kind === "presence" && m.runId === runID) {
      const others = m.viewers.filter((v) => v !== me);
      presence.textContent = others.length ? `Also viewing: ${others.join(", ")}` : "";
      return;
    }
    if (m.kind === "burst" && (m.all || m.runIds.includes(runID))) {
      presence.textContent = "This run changed while many others did: reload to see the latest.";
      return;
    }
    if (m.runId === runID && m.kind === "decision" && m.actor) {
      presence.textContent = `${m.actor} decided this run.`;
    }
  },
});
