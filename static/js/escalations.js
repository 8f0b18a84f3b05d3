// A supervisor is told, on every page with live updates, of each run sent
// to a supervisor as it is: the row as the escalation queue shows it says
// who sent it and why. The notice is the layout's, for supervisors only.
const escalations = document.getElementById("escalations");

export async function escalated(runID) {
  if (!escalations || !runID) return;
  const res = await fetch(`/queue/rows/${encodeURIComponent(runID)}?view=escalated`, { headers: { Accept: "text/html" } }).catch(() => null);
  if (res?.status !== 200) return;
  const tpl = document.createElement("template");
  tpl.innerHTML = (await res.text()).trim(); // server-rendered, escaped by templ
  const why = tpl.content.querySelector('[data-hold="escalated"]');
  const link = tpl.content.querySelector("td a");
  if (!why || !link) return;
  const line = document.createElement("p");
  line.dataset.escalated = runID;
  link.textContent = link.textContent.trim();
  line.append(why.textContent.trim() + " ", link, " · ");
  const all = document.createElement("a");
  all.href = "/?view=escalated";
  all.textContent = "all runs sent to a supervisor";
  line.append(all);
  escalations.querySelector(`[data-escalated="${CSS.escape(runID)}"]`)?.remove();
  escalations.prepend(line);
  escalations.hidden = false;
}
