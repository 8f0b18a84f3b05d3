// The run page's claim and the people on it: the open page renews its
// claim and gives it back when it closes; everyone else on the run sees the
// holder's changes as they are saved; a claim released or handed to
// someone else turns the page read-only at once, keeping in view what was
// being typed; a decision stays said until the page is left.
import { connect } from "./live.js";
import { editable, keepInView, refresh, typedNotSaved } from "./editor.js";

const body = document.body;
const runID = body.dataset.runId;
const me = body.dataset.meEmail;
const presence = document.getElementById("presence");
const notice = document.getElementById("decision-notice");
const claimURL = `/runs/${encodeURIComponent(runID)}/claim`;

let beat = null;
if (editable()) {
  beat = setInterval(async () => {
    const res = await fetch(claimURL, { method: "POST", headers: { Accept: "application/json" } }).catch(() => null);
    if (res?.status === 409) follow();
  }, 30000);
  // A closed tab releases its claim at once; a vanished browser loses it
  // when the lease ends.
  addEventListener("pagehide", () => editable() && navigator.sendBeacon(`/runs/${encodeURIComponent(runID)}/release`));
}

// follow shows the run as it now is; if this page could edit it and no
// longer can, what was being typed stays in view to copy.
async function follow() {
  const was = editable();
  const typed = was ? typedNotSaved() : [];
  const fr = await refresh();
  if (!fr || !was || fr.editable) return fr;
  clearInterval(beat);
  if (typed.length) keepInView(typed);
  return fr;
}

connect({
  run: runID,
  onMessage: (m) => {
    if (m.kind === "presence" && m.runId === runID) {
      const others = m.viewers.filter((v) => v !== body.dataset.me);
      presence.textContent = others.length ? `Also viewing: ${others.join(", ")}` : "";
      return;
    }
    if (m.kind === "burst" && (m.all || m.runIds.includes(runID))) {
      document.dispatchEvent(new Event("reviewer:turned"));
      return follow();
    }
    // A document of the run measured while the page waited for it: where
    // the page said it was coming, it says it is here, with the way to see
    // it (nothing reloads under the person working).
    if (m.kind === "document" && m.runId === runID) {
      for (const el of document.querySelectorAll(".page-missing")) {
        if (!/^(Measuring|Fetching|The document could not be fetched)/.test(el.textContent)) continue; // not one that cannot be shown
        const a = document.createElement("a");
        a.href = location.pathname + location.search;
        a.textContent = "show it";
        el.replaceChildren("A document of this run is here: ", a, ".");
        el.dataset.ready = "";
      }
      return;
    }
    // A turn is shown to every page on the run, the turner's other tabs too.
    if (m.kind === "page" && m.runId === runID) return document.dispatchEvent(new Event("reviewer:turned"));
    if (m.runId !== runID || m.actor === me) return;
    if (m.kind === "edit" || m.kind === "claim" || m.kind === "decision" || m.kind === "run") {
      follow().then((fr) => {
        // The page's own notice names who decided, as every page names people.
        if (m.kind === "decision" && fr?.decision) notice.textContent = "Decided while you were here: " + fr.locked;
      });
    }
  },
});
