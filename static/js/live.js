// The live channel: one websocket per page, reconnecting by itself. After a
// reconnect the server replays what the page missed since the last sequence
// number it saw. When that is too much, or a burst of changes came faster
// than the page read them, the page is told in one "burst" message naming
// the runs that changed (or "all"), and refreshes what it shows of them:
// nothing reloads the page from under the person using it.
import { escalated } from "./escalations.js";

export function connect({ run = "", onMessage }) {
  let since = 0;
  let delay = 500;
  const dot = document.getElementById("live");
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws?since=${since}&run=${encodeURIComponent(run)}`);
    ws.onopen = () => {
      delay = 500;
      dot?.setAttribute("data-live", "on");
      dot?.setAttribute("title", "Live updates: connected");
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.kind === "reset") return onMessage({ kind: "burst", all: true });
      if (m.kind === "hello") {
        if (!since) since = m.seq;
        return;
      }
      if (m.seq) since = Math.max(since, m.seq);
      if (m.kind === "hold") escalated(m.runId);
      onMessage(m);
    };
    ws.onclose = () => {
      dot?.setAttribute("data-live", "off");
      dot?.setAttribute("title", "Live updates: reconnecting…");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  open();
}
