// reviewer's shared page behaviour. No build step; an ES module per concern.
// Keyboard: "g q" goes to the queue from anywhere.
let pending = "";
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, select, [contenteditable]") || e.metaKey || e.ctrlKey || e.altKey) return;
  if (pending === "g" && e.key === "q") { location.href = "/"; }
  pending = e.key === "g" ? "g" : "";
});
