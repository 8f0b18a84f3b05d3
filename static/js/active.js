// Active time on a run's page: counted only while the page is shown and its
// window has focus, so a tab left open over lunch counts nothing. Sent every
// half minute and when the page is hidden or left; the scorecards divide it
// by the runs decided.
const runID = document.body.dataset.runId;
const every = 30000;
let since = null;
let spent = 0;

function focused() {
  return !document.hidden && document.hasFocus();
}
function stop() {
  if (since !== null) spent += performance.now() - since;
  since = null;
}
function start() {
  if (since === null && focused()) since = performance.now();
}
function send() {
  stop();
  start();
  const ms = Math.round(spent);
  if (!runID || ms < 1000) return;
  spent = 0;
  fetch(`/runs/${encodeURIComponent(runID)}/active`, { method: "POST", body: new URLSearchParams({ ms }), keepalive: true });
}

addEventListener("focus", start);
addEventListener("blur", stop);
document.addEventListener("visibilitychange", () => (document.hidden ? send() : start()));
addEventListener("pagehide", send);
setInterval(send, every);
start();
