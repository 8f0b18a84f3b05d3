package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// The review desk, third round: each finding driven with real keys in
// Chromium, then checked on the page and in the API.

const runPacket = "workflow_run_demo_packet_2026" // 2026-02-09: a split into an invoice and a report, then extraction

// js evaluates an expression on the page and returns its string value.
func js(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// saveState is what the page's save status says.
func saveState(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-state")))
	return s
}

// auditOf reads a run's history through the API.
func auditOf(t *testing.T, s *server, runID string) []map[string]any {
	t.Helper()
	var a struct{ Data []map[string]any }
	if err := json.Unmarshal(s.apiGet("/api/v1/runs/"+runID+"/audit"), &a); err != nil {
		t.Fatal(err)
	}
	return a.Data
}

// TestAPageNumberSavesAndApproves: a sub-document's page number is an input
// of type number, whose selection cannot be set; typing one and Enter saves
// it, the page says so, and Ctrl+Enter approves. A step of the save queue
// that fails (here: the page cannot be updated after a save) is said on the
// page, and the saves and the decision after it go on.
func TestAPageNumberSavesAndApproves(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runPacket)
	split := func(i int, part string) string {
		return `#sp-splr_demo_packet-` + itoa(i) + `-` + part
	}

	// A step that throws: the next swap of the page fails, once.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
  const real = Element.prototype.replaceWith;
  Element.prototype.replaceWith = function () { Element.prototype.replaceWith = real; throw new Error("the page broke"); };
})()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(split(1, "identifier"))), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "2015-12")
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.getElementById("save-state").textContent.includes("the page broke")`, "a failed step was not said")
	if st := saveState(ctx); strings.Contains(st, "Saving") {
		t.Fatalf("after a failed step the page says %q", st)
	}

	// The page number, by key.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(split(0, "endPage"))), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "1")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	stayed(t, ctx, "saving a page number")
	if v := value(t, ctx, split(0, "endPage")); v != "1" {
		t.Fatalf("the last page of sub-document 1 shows %q", v)
	}
	approveByKey(t, ctx, runPacket)

	got := s.apiGet("/api/v1/runs/" + runPacket)
	out := "stepRuns.0.result.splitRun"
	if st := at(t, got, "status"); st != `"PROCESSED"` {
		t.Fatalf("after Ctrl+Enter the run is %s", st)
	}
	if v := at(t, got, out+".reviewedOutput.splits.0.endPage"); v != "1" {
		t.Fatalf("reviewedOutput splits[0].endPage = %s, want 1", v)
	}
	if v := at(t, got, out+".reviewedOutput.splits.1.identifier"); v != `"2015-12"` {
		t.Fatalf("the change saved while the page failed is lost: splits[1].identifier = %s", v)
	}
	if v := at(t, got, out+".edited"); v != "true" {
		t.Fatalf("splitRun.edited = %s", v)
	}
	var edits []string
	for _, a := range auditOf(t, s, runPacket) {
		edits = append(edits, a["action"].(string))
	}
	if strings.Join(edits, ",") != "edit,edit,approve" {
		t.Fatalf("the history holds %v, want two edits and the approval", edits)
	}
}

// crashTab kills a tab's renderer, as a tab dies when the browser or the
// machine goes first: nothing on the page runs as it goes.
func crashTab(t *testing.T, tab context.Context) {
	t.Helper()
	// Page.crash answers only with the renderer gone, so the call ends
	// when the tab reports its crash (or at the test's ceiling).
	crashed, stop := context.WithCancel(tab)
	defer stop()
	events := chromedp.Events(crashed, inspector.TargetCrashed)
	go chromedp.Do(crashed, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		cdp.Call(ctx, t, page.Crash, cdp.Empty{})
		return nil
	}))
	for _, err := range events {
		if err != nil {
			t.Fatalf("the tab did not crash: %v", err)
		}
		break
	}
}

// reopen opens the run in a new tab of the same browser.
func reopen(t *testing.T, ctx context.Context, s *server, runID, field string) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(ctx)
	t.Cleanup(closeTab)
	if err := chromedp.Do(tab, chromedp.Navigate(s.base+"/runs/"+runID), chromedp.WaitVisible(chromedp.CSS(ed(field))), settled()); err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestApproveSavesRestoredText: text typed and not confirmed, put back
// after the tab died, is saved by Ctrl+Enter before the decision, never
// dropped; text that is refused stops the approval, naming its field, and
// Esc drops it and the sentence.
func TestApproveSavesRestoredText(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	restored := func(tab context.Context, path string) {
		t.Helper()
		if js(t, tab, `document.querySelector('.field[data-path="`+path+`"]').classList.contains("restored") + ""`) != "true" {
			t.Fatalf("%s is not marked as put back", path)
		}
	}

	// A date that is no date, typed and left unconfirmed.
	tab := reopen(t, ctx, s, runQH, "invoice_date")
	focusField(t, tab, "invoice_date")
	typeText(t, tab, "not a date")
	crashTab(t, tab)
	tab = reopen(t, ctx, s, runQH, "invoice_date")
	restored(tab, "invoice_date")
	focusField(t, tab, "notes")
	press(t, tab, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, tab, `document.querySelector('.field[data-path="invoice_date"]').classList.contains("invalid")`, "Ctrl+Enter did not try the text put back")
	if st := saveState(tab); !strings.Contains(st, "Not approved") || !strings.Contains(st, "Invoice date") {
		t.Fatalf("a refused field stopped the approval saying %q", st)
	}
	if a := activePath(tab); a != "invoice_date" {
		t.Fatalf("after the refusal focus is on %q, want the refused field", a)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"NEEDS_REVIEW"` {
		t.Fatalf("the run was decided over a refused field: %s", st)
	}
	press(t, tab, kb.Escape)
	if v := value(t, tab, ed("invoice_date")); v != "2014-05-07" {
		t.Fatalf("Esc left %q", v)
	}
	if st := saveState(tab); st != "" {
		t.Fatalf("after Esc dropped the refused text the page still says %q", st)
	}

	// A note typed and left unconfirmed: Ctrl+Enter saves it, then approves.
	focusField(t, tab, "notes")
	typeText(t, tab, "Half a thought")
	crashTab(t, tab)
	tab = reopen(t, ctx, s, runQH, "notes")
	if v := value(t, tab, ed("notes")); v != "Half a thought" {
		t.Fatalf("the typed text was not put back: notes = %q", v)
	}
	restored(tab, "notes")
	if err := chromedp.Do(tab, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	approveByKey(t, tab, runQH)
	got := s.apiGet("/api/v1/runs/" + runQH)
	if v := at(t, got, "outputs.0.reviewedOutput.notes.value"); v != `"Half a thought"` {
		t.Fatalf("reviewedOutput notes = %s, want the text put back", v)
	}
	if v := at(t, got, "outputs.0.edited"); v != "true" {
		t.Fatalf("outputs[0].edited = %s", v)
	}
	if v := at(t, got, "outputs.0.edits.notes"); v == "" || v == "null" {
		t.Fatalf("edits omits notes: %s", at(t, got, "outputs.0.edits"))
	}
	var trail []string
	for _, a := range auditOf(t, s, runQH) {
		trail = append(trail, fmt.Sprint(a["action"], " ", a["path"]))
	}
	if strings.Join(trail, ",") != "edit notes,approve <nil>" {
		t.Fatalf("the history holds %v, want the note's edit then the approval", trail)
	}
}

// collisionsJS walks the page's keyboard registry (every key as declared,
// the one list the help is made from) and lists each key that does two
// things where it works, and each key that acts alone while it also starts
// a two-key sequence.
const collisionsJS = `(async () => {
  const app = document.querySelector('script[src$="/js/app.js"]').src;
  const { declared } = await import(app.replace(/app\.js$/, "keys.js"));
  const owner = new Map(), out = [];
  declared().forEach((b, i) => {
    for (const scope of ["page", "field"]) for (const k of b[scope]) {
      const id = scope + ": " + k;
      if (owner.has(id) && owner.get(id).i !== i) out.push(id + " is both " + owner.get(id).help + " and " + b.help);
      owner.set(id, { i, help: b.help });
    }
  });
  for (const [id, b] of owner) {
    const [scope, keys] = id.split(": ");
    if (keys.includes(" ") && owner.has(scope + ": " + keys.split(" ")[0])) out.push(id + " (" + b.help + ") starts with a key that acts alone");
  }
  return out.join("\n");
})()`

// helpKeysJS lists each line of the open help: its key caps, each as it
// reads between ⟨ and ⟩, then what they do.
const helpKeysJS = `[...document.querySelectorAll("#help-keys dt")].map((dt) => [...dt.querySelectorAll("kbd")].map((k) => "⟨" + k.textContent + "⟩").join("") + " " + dt.nextElementSibling.textContent).join("\n")`

// TestOneKeyOneAction: no key of the review page or the queue does two
// things; the help lists each key once, every key cap with its key; it
// opens at its top.
func TestOneKeyOneAction(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	for _, path := range []string{"/runs/" + runQH, "/"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS(".topbar nav")), settled()); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](collisionsJS, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if got != "" {
			t.Errorf("on %s keys collide:\n%s", path, got)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled(), chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "?")
	waitFor(t, ctx, `document.getElementById("help-dialog").open`, "? did not open the help")
	help := js(t, ctx, helpKeysJS)
	if regexp.MustCompile(`⟨\s*⟩`).MatchString(help) {
		t.Errorf("the help draws an empty key cap:\n%s", help)
	}
	if n := strings.Count(help, "⟨Alt =⟩"); n != 1 {
		t.Errorf("the help lists Alt = %d times:\n%s", n, help)
	}
	if !strings.Contains(help, "⟨+⟩⟨Alt +⟩ zoom in") {
		t.Errorf("the help does not say + zooms in:\n%s", help)
	}
	if top := js(t, ctx, `document.getElementById("help-dialog").scrollTop + " " + document.activeElement.textContent`); top != "0 Close" {
		t.Errorf("the help opens scrolled to %q, want its top with Close focused", top)
	}
}

// TestRowsAndSubDocumentsByKeyboard: "+ row" is reached by Tab and Enter
// adds a row; Alt+= in a row inserts one after it (also as a Mac sends
// it), and never zooms; Alt+= in a sub-document adds one, and "+
// sub-document" is in the Tab order. The decision carries what was added.
// Enter on the last field stays there and says so.
func TestRowsAndSubDocumentsByKeyboard(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	rows := rowCount(ctx, "line_items")
	zoom := js(t, ctx, `document.getElementById("zoom-level").textContent`)

	// The field before "+ row", then Tab.
	before := fieldBefore(t, ctx, `[data-action="add-row"][data-list="line_items"]`)
	focusField(t, ctx, before)
	press(t, ctx, kb.Tab)
	if a := js(t, ctx, `document.activeElement.dataset.action || document.activeElement.tagName`); a != "add-row" {
		t.Fatalf("Tab from %s reached %q, want + row", before, a)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelectorAll('.outputs .field[data-list="line_items"]').length === `+itoa(rows+1), "Enter on + row added no row")
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[`+itoa(rows)+`].description"`, "the new row's first cell has no focus")
	typeText(t, ctx, "Setup fee")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)

	// Alt+= in that row, as a Mac sends it (Option+= types ≠).
	focusField(t, ctx, "line_items["+itoa(rows)+"].description")
	macAltEquals := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			ev := input.DispatchKeyEventParams{Type: typ, Key: "≠", Code: "Equal", WindowsVirtualKeyCode: 187, NativeVirtualKeyCode: 187, Modifiers: int64(chromedp.ModifierAlt)}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err := chromedp.Do(ctx, macAltEquals); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll('.outputs .field[data-list="line_items"]').length === `+itoa(rows+2), "Alt+= (≠) in a row inserted no row")
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[`+itoa(rows+1)+`].description"`, "the inserted row's first cell has no focus")
	typeText(t, ctx, "Travel")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	// And as a PC sends it, from the first row.
	focusField(t, ctx, "line_items[0].description")
	press(t, ctx, "=", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelectorAll('.outputs .field[data-list="line_items"]').length === `+itoa(rows+3), "Alt+= in a row inserted no row")
	waitSaved(t, ctx)
	if z := js(t, ctx, `document.getElementById("zoom-level").textContent`); z != zoom {
		t.Fatalf("Alt+= zoomed the document from %s to %s", zoom, z)
	}

	// A sub-document.
	split := `#sp-dpr_demo_qh_split-0-`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(split+"endPage"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Tab)
	if a := js(t, ctx, `document.activeElement.dataset.action || document.activeElement.tagName`); a != "add-split" {
		t.Fatalf("Tab from the last cell of the sub-documents reached %q, want + sub-document", a)
	}
	press(t, ctx, kb.Tab, chromedp.ModifierShift)
	press(t, ctx, "=", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelectorAll(".splits-editor tbody tr").length === 2 && document.activeElement.dataset.part === "type"`, "Alt+= in a sub-document added none")
	press(t, ctx, kb.ArrowDown) // the first configured type
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	stayed(t, ctx, "adding rows and sub-documents")
	approveByKey(t, ctx, runQH)

	got := s.apiGet("/api/v1/runs/" + runQH)
	var items []map[string]any
	json.Unmarshal([]byte(at(t, got, "outputs.0.reviewedOutput.line_items.value")), &items)
	if len(items) != rows+3 || items[rows+1]["description"] != "Setup fee" || items[rows+2]["description"] != "Travel" {
		t.Fatalf("reviewed line_items = %v, want %d rows: a new second one, Setup fee and Travel last", items, rows+3)
	}
	var subs []map[string]any
	json.Unmarshal([]byte(at(t, got, "outputs.2.reviewedOutput.subDocuments")), &subs)
	if len(subs) != 2 || subs[1]["type"] != "invoice" || subs[1]["startPage"] != 2.0 {
		t.Fatalf("reviewed sub-documents = %v, want a second from page 2", subs)
	}
	if e := at(t, got, "outputs.0.edited"); e != "true" {
		t.Fatalf("outputs[0].edited = %s", e)
	}

	// Enter on the last field of a run stays, and says what is next.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	last := `#ed-clr_demo_aws-class`
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(last))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.getElementById("save-state").textContent.includes("That was the last field: Ctrl+Enter approves.")`, "Enter on the last field said nothing")
	if a := js(t, ctx, `document.activeElement.id`); a != strings.TrimPrefix(last, "#") {
		t.Fatalf("Enter on the last field moved to %q", a)
	}
}
