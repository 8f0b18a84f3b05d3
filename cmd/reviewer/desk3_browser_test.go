package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
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
func crashTab(tab context.Context) {
	crash := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		cdp.Call(ctx, t, page.Crash, cdp.Empty{}) // answers only with the renderer gone
		return nil
	})
	crashed, stop := context.WithTimeout(tab, 5*time.Second)
	defer stop()
	chromedp.Do(crashed, crash)
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
	crashTab(tab)
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
	crashTab(tab)
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
