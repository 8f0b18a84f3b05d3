// The QA check's form: in a list, the checker adds a row the model missed
// and removes a row it invented, with the keys the run page's rows use.
// Each row says which of the model's rows it was ("new" for one added);
// its cells are named by the row's place in the list as it stands, which
// is what the server reads them by.
import { bind } from "./keys.js";

const rowOf = (el) => el?.closest?.("[data-qa-form] [data-qa-row]");

// renumber names every row's cells by its place and tells the server the
// rows as they stand.
function renumber(list) {
  const rows = [...list.querySelectorAll(":scope > [data-qa-row]")];
  rows.forEach((row, i) => {
    for (const field of row.querySelectorAll(".qa-field[data-cell]")) {
      const path = `${list.dataset.qaList}[${i}]${field.dataset.cell}`;
      field.querySelector("span").textContent = path;
      for (const part of field.querySelectorAll("[data-part]")) part.name = `${part.dataset.part}|${list.dataset.output}|${path}`;
      field.querySelector("[data-field]").dataset.field = path;
    }
  });
  list.querySelector("[data-rows]").value = rows.map((r) => r.dataset.from).join(",");
  list.querySelector("[data-row-count]").textContent = `(${rows.length} rows)`;
}

// A new row has the cells of the row it follows, empty; a list inside a
// row is not carried over, as the new row has none.
function insertAfter(row) {
  const added = row.cloneNode(true);
  added.dataset.from = "new";
  for (const field of added.querySelectorAll(".qa-field[data-cell]")) {
    if (field.dataset.cell.includes("[")) field.remove();
    else field.querySelectorAll("[data-part]").forEach((p) => (p.tagName === "SELECT" ? (p.selectedIndex = 0) : (p.value = "")));
  }
  row.after(added);
  renumber(row.parentElement);
  added.querySelector("[data-part]")?.focus();
}

function remove(row) {
  const list = row.parentElement;
  const cell = document.activeElement?.closest(".qa-field")?.dataset.cell;
  const next = row.nextElementSibling?.matches("[data-qa-row]") ? row.nextElementSibling : row.previousElementSibling;
  row.remove();
  renumber(list);
  const to = next?.matches?.("[data-qa-row]") && (next.querySelector(`.qa-field[data-cell="${CSS.escape(cell || "")}"] [data-part]`) || next.querySelector("[data-part]"));
  (to || list.closest("form").querySelector("button[type=submit]")).focus();
}

// A key acts in a row; the help (asked for with no event) lists the keys
// wherever the form has rows.
const inRow = (e) => (e ? !!rowOf(document.activeElement) : !!document.querySelector("[data-qa-row]"));
bind({ field: ["Alt+="], group: "Rows", help: "add a row the model missed, after this one", when: inRow, run: () => insertAfter(rowOf(document.activeElement)) });
bind({ field: ["Alt+Delete"], group: "Rows", help: "remove this row: the model invented it", when: inRow, run: () => remove(rowOf(document.activeElement)) });

// Enter goes to the next field, as on the run page; the check is recorded
// with Ctrl+Enter or its button. A check is recorded once: Enter recorded
// it from the first field typed in, every other field unexamined.
const inForm = (e) => (e ? !!e.target.closest?.("[data-qa-form]") : !!document.querySelector("[data-qa-form]"));
const editors = (form) => [...form.querySelectorAll("input:not([type=hidden]), select, textarea")].filter((el) => !el.disabled);
bind({
  field: ["Enter"], group: "Check", help: "go to the next field", when: inForm,
  run: (e) => {
    const form = e.target.closest("[data-qa-form]");
    const all = editors(form);
    const next = all[all.indexOf(e.target) + 1];
    (next || form.querySelector("button[type=submit]")).focus();
    next?.select?.();
  },
});
bind({ field: ["Ctrl+Enter"], group: "Check", help: "record the check", when: inForm, run: (e) => e.target.closest("[data-qa-form]").requestSubmit() });
