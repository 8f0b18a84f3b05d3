package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// gridFitsJS lists what of a line-item grid does not fit its panel: the
// grid wider than its box, a row button past the panel's edge, a cell
// whose text is cut.
const gridFitsJS = `(() => {
  const out = [], panel = document.getElementById("fields").getBoundingClientRect();
  for (const g of document.querySelectorAll(".outputs .grid-scroll")) {
    if (g.scrollWidth > g.clientWidth + 1) out.push("the grid is " + g.scrollWidth + " px in " + g.clientWidth);
  }
  for (const b of document.querySelectorAll(".outputs .grid .row-ops button")) {
    if (b.getBoundingClientRect().right > panel.right + 1) { out.push(b.getAttribute("aria-label") + " is past the panel's edge"); break; }
  }
  for (const e of document.querySelectorAll(".outputs .grid .ed")) {
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) out.push(e.getAttribute("aria-label") + " cuts " + JSON.stringify(e.value));
  }
  if (document.documentElement.scrollWidth > innerWidth) out.push("the page scrolls sideways");
  return out.join("\n");
})()`

// fieldBefore is the path of the last field whose editor comes before what
// sel selects, in the page's order.
func fieldBefore(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return js(t, ctx, `(() => {
  const at = document.querySelector(`+jsString(sel)+`);
  const eds = [...document.querySelectorAll(".outputs .ed")].filter((e) => e.compareDocumentPosition(at) & Node.DOCUMENT_POSITION_FOLLOWING);
  return eds.at(-1).closest(".field").dataset.path;
})()`)
}

// TestLineItemGridFits: at 1024 and 1440 px the line items of the demo's
// invoices fit their panel, every description whole, every row button in
// view.
func TestLineItemGridFits(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	for _, w := range []int64{1024, 1440} {
		for _, run := range []string{runQH, runAWS} {
			err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(s.base+"/runs/"+run), chromedp.WaitVisible(chromedp.CSS(".outputs .grid")), settled())
			if err != nil {
				t.Fatal(err)
			}
			if bad := js(t, ctx, gridFitsJS); bad != "" {
				t.Errorf("%s at %d px:\n%s", run, w, bad)
			}
		}
	}
}

// TestTypingOverACellReachedByTab: a cell reached by Tab has its text
// selected, as every one-line field has, so what a reviewer types replaces
// the model's value; a description (a text area, so it wraps) used to get
// the cursor at its start, and typing put the new text before the old.
func TestTypingOverACellReachedByTab(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	focusField(t, ctx, fieldBefore(t, ctx, ".outputs .grid .ed"))
	press(t, ctx, kb.Tab)
	if a := activePath(ctx); a != "line_items[0].description" {
		t.Fatalf("Tab reached %q, want the grid's first cell", a)
	}
	typeText(t, ctx, "Data transfer (EU)\n")
	waitSaved(t, ctx)
	if v := value(t, ctx, ed("line_items[0].description")); v != "Data transfer (EU)" {
		t.Fatalf("typed over a description reached by Tab, it says %q", v)
	}
	// Enter went to the amount; Shift+Tab back to the description selects it too.
	press(t, ctx, kb.Tab, chromedp.ModifierShift)
	typeText(t, ctx, "Transfer")
	if v := value(t, ctx, ed("line_items[0].description")); v != "Transfer" {
		t.Fatalf("typed over a description reached by Shift+Tab, it says %q", v)
	}
}

// TestGridRowsByKeyboard: Tab from the field before the line items lands in
// their first cell; a row inserted shifts the rows after it without
// marking them changed: only the cell typed in is marked, and a cell of a
// shifted row is reset to its own row's value, on the page and in the API.
func TestGridRowsByKeyboard(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	rows := rowCount(ctx, "line_items")
	before := fieldBefore(t, ctx, ".outputs .grid .ed")
	focusField(t, ctx, before)
	press(t, ctx, kb.Tab)
	if a := activePath(ctx); a != "line_items[0].description" {
		t.Fatalf("Tab from %s reached %q, want the grid's first cell", before, a)
	}
	marked := func() string {
		return js(t, ctx, `[...document.querySelectorAll(".outputs .grid td.edited, .outputs .grid .cell-reset")].map((e) => (e.dataset.path || e.dataset.fieldReset) + (e.matches(".cell-reset") ? " reset" : "")).join(", ")`)
	}
	press(t, ctx, "=", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelectorAll('.outputs .field[data-list="line_items"]').length === `+itoa(rows+1), "Alt+= inserted no row")
	waitSaved(t, ctx)
	if m := marked(); m != "" {
		t.Fatalf("after a row was inserted these cells are marked changed: %s", m)
	}
	typeText(t, ctx, "Setup fee")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	if m := marked(); m != "line_items[1].description, line_items[1].description reset" {
		t.Fatalf("after typing in the new row the marked cells are %q", m)
	}

	// The last row, shifted by one, changed and reset by key.
	last := "line_items[" + itoa(rows) + "].unit_price"
	if js(t, ctx, `String(!!document.querySelector(`+jsString(ed(last))+`))`) != "true" {
		last = js(t, ctx, `[...document.querySelectorAll('.outputs .grid tr[data-row="`+itoa(rows)+`"] td.field')].at(-1).dataset.path`)
	}
	was := value(t, ctx, ed(last))
	focusField(t, ctx, last)
	typeText(t, ctx, "99")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	focusField(t, ctx, last)
	press(t, ctx, kb.Backspace, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector(`+jsString(ed(last))+`).value === `+jsString(was), "Alt+Backspace did not put back the row's own value")
	waitSaved(t, ctx)
	if m := marked(); m != "line_items[1].description, line_items[1].description reset" {
		t.Fatalf("after the reset the marked cells are %q", m)
	}
	approveByKey(t, ctx, runQH)
	var items []map[string]any
	json.Unmarshal([]byte(at(t, s.apiGet("/api/v1/runs/"+runQH), "outputs.0.reviewedOutput.line_items.value")), &items)
	if len(items) != rows+1 || items[1]["description"] != "Setup fee" {
		t.Fatalf("reviewed line_items = %v, want %d rows, Setup fee second", items, rows+1)
	}
	key := last[strings.LastIndexByte(last, '.')+1:]
	if v := fmt.Sprint(items[rows][key]); v != was {
		t.Fatalf("reviewed line_items[%d].%s = %s, want its own row's %s back", rows, key, v, was)
	}
}

// TestPanelDivider: the divider between the document and the fields is a
// separator a keyboard reaches: Tab from the document stops on it, it shows
// that it has focus, says its width, and ← widens the panel.
func TestPanelDivider(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	idle := js(t, ctx, `getComputedStyle(document.querySelector(".splitter")).backgroundColor`)
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Tab)
	if a := js(t, ctx, `document.activeElement.getAttribute("role") + " " + document.activeElement.getAttribute("aria-label")`); a != "separator Width of the field panel" {
		t.Fatalf("Tab from the document reached %q", a)
	}
	if f := js(t, ctx, `(() => { const cs = getComputedStyle(document.activeElement); return cs.backgroundColor + " " + cs.outlineStyle; })()`); f == idle+" none" {
		t.Fatalf("the divider looks the same with focus: %s", f)
	}
	now := js(t, ctx, `document.activeElement.getAttribute("aria-valuenow")`)
	press(t, ctx, kb.ArrowLeft)
	if after := js(t, ctx, `document.activeElement.getAttribute("aria-valuenow")`); atof(after) <= atof(now) {
		t.Fatalf("← left the panel %s px wide, was %s", after, now)
	}
}
