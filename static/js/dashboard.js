// The dashboard (and the breach board) redraws itself after changes, at
// most once a second.
import { connect } from "./live.js";

const dash = document.getElementById("dash");
let timer = null;
async function redraw() {
  timer = null;
  const res = await fetch(location.pathname + "?part=body", { headers: { Accept: "text/html" } });
  if (res.ok) dash.innerHTML = await res.text(); // server-rendered, escaped by templ
}
connect({ onMessage: () => (timer ??= setTimeout(redraw, 1000)) });
setInterval(redraw, 60000); // ages grow even when nothing happens
