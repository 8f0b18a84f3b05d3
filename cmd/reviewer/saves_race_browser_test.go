package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestApprovalWaitsForAFailedSave: Ctrl+Enter while two saves are queued,
// the first refused and the second saved. The second save's answer swapped
// the fields in, which wiped the first field's red mark, so the approval
// found nothing marked and approved the run without what was typed in it.
// Nothing held on the page may be dropped by a decision: the approval stops
// and names the field; once it is corrected, the run goes downstream with
// it. The test holds the first save's request until both are queued.
func TestApprovalWaitsForAFailedSave(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "31/31/2014")
	press(t, ctx, kb.Enter)
	waitHeld(t, held, "the date's save was not sent")
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked with the vendor")
	press(t, ctx, kb.Enter)
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	close(release)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runQH)+` || document.querySelector("#save-state").textContent.startsWith("Not approved") && document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`,
		"the approval was not answered")
	if id := js(t, ctx, `String(document.body.dataset.runId)`); id != runQH {
		t.Fatalf("the run was approved with a field not saved: the page went on to %s", id)
	}
	if got := js(t, ctx, `(() => { const f = document.querySelector('.field[data-path="invoice_date"]'); return f.querySelector(".ed").value + " " + f.classList.contains("invalid"); })()`); got != "31/31/2014 true" {
		t.Fatalf("the refused date shows as %q (value, marked), want what was typed, marked", got)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st == `"PROCESSED"` {
		t.Fatalf("the run was approved with a field not saved")
	}
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "2014-05-31")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	approveByKey(t, ctx, runQH)
	wantReviewed(t, s, map[string]string{"invoice_date": `"2014-05-31"`, "notes": `"Checked with the vendor"`})
}

// wantReviewed checks the reviewed values of the decided run's fields
// through the API, as a system downstream reads them.
func wantReviewed(t *testing.T, s *server, want map[string]string) {
	t.Helper()
	reviewed := s.apiGet("/api/v1/runs/" + runQH)
	for path, v := range want {
		if got := at(t, reviewed, "outputs.0.reviewedOutput."+path+".value"); got != v {
			t.Errorf("reviewed %s = %s, want %s", path, got, v)
		}
	}
}

// reviewedItems approves the run by key and reads its line items' reviewed
// descriptions through the API, as a system downstream does.
func reviewedItems(t *testing.T, s *server, ctx context.Context) []string {
	t.Helper()
	approveByKey(t, ctx, runQH)
	var items []map[string]any
	json.Unmarshal([]byte(at(t, s.apiGet("/api/v1/runs/"+runQH), "outputs.0.reviewedOutput.line_items.value")), &items)
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it["description"]))
	}
	return out
}

// TestTypedCellMovesWithItsRow: text typed in a cell and not yet confirmed
// when its row is moved (Alt+↑) goes with its row. The page kept it by the
// cell's place, so it landed in the row moved down into that place, and the
// moved row showed its old text.
func TestTypedCellMovesWithItsRow(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	first := value(t, ctx, ed("line_items[0].description"))
	focusField(t, ctx, "line_items[1].description")
	typeText(t, ctx, "Setup fee")
	press(t, ctx, kb.ArrowUp, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[0].description" && !document.querySelector("#save-state").textContent.startsWith("Saving")`, "focus did not follow the moved row")
	got := js(t, ctx, `[0, 1].map((i) => document.querySelector('.field[data-path="line_items[' + i + '].description"] .ed').value).join(" | ")`)
	if want := "Setup fee | " + first; got != want {
		t.Fatalf("after the move the rows' descriptions read %q, want %q", got, want)
	}
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	if items := reviewedItems(t, s, ctx); len(items) < 2 || items[0] != "Setup fee" || items[1] != first {
		t.Fatalf("reviewed descriptions %q, want Setup fee then %q", items, first)
	}
}

// TestNoCellSavedIntoAnotherRow: while a row's move is on its way, what is
// confirmed in one of its cells was saved at the cell's place before the
// move, which the move gave to another row: the text was saved into the
// wrong row. The test holds the move's request while a cell is typed in.
func TestNoCellSavedIntoAnotherRow(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	first := value(t, ctx, ed("line_items[0].description"))
	second := value(t, ctx, ed("line_items[1].description"))
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "line_items[1].description")
	press(t, ctx, kb.ArrowUp, chromedp.ModifierAlt)
	waitHeld(t, held, "the move was not sent")
	typeText(t, ctx, "Setup fee\n")
	close(release)
	waitFor(t, ctx, `document.querySelector("#save-state").textContent.startsWith("Saved")`, "the move was not saved")
	// Whatever the page did with the keys typed meanwhile, the row moved
	// down keeps its own description.
	if items := reviewedItems(t, s, ctx); len(items) < 2 || items[1] != first || (items[0] != second && items[0] != "Setup fee") {
		t.Fatalf("reviewed descriptions %q, want %q or Setup fee, then %q", items, second, first)
	}
}

// TestTypingGoesOnThroughASwap: a field being typed in when the page swaps
// in the run as read again (Extend changed it) keeps its text and caret,
// and nothing of it is saved before it is confirmed. The swap removed the
// focused editor, the browser then fired its change, and the page saved
// the half-typed text. The test holds the read until the typing began.
func TestTypingGoesOnThroughASwap(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/fragments*", fetch.RequestStageResponse)
	extendSendsAgain(t, s, runQH)
	waitHeld(t, held, "the page did not read the run again when Extend changed it")
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked")
	close(release)
	waitFor(t, ctx, `window.__reads >= 1`, "the read was not answered")
	typeText(t, ctx, " with the vendor")
	if got := js(t, ctx, `(() => { const e = document.querySelector('.field[data-path="notes"] .ed'); return e.value + " | " + (document.activeElement === e) + " | " + document.querySelector("#save-state").textContent; })()`); got != "Checked with the vendor | true | " {
		t.Fatalf("after the swap the notes read (text | focused | state) %q, want what was typed, focused, nothing saved", got)
	}
	for _, a := range auditOf(t, s, runQH) {
		if a["path"] == "notes" {
			t.Fatalf("the half-typed notes were saved: %v", a["after"])
		}
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`, "the notes were not saved")
}

// TestApprovalWaitsForAConflictedSave: a save refused because the run
// changed meanwhile (the reviewer saved in another tab) while Ctrl+Enter
// waited for it. The page read the run again and took its version, and the
// approval went ahead with it without what the refused save carried. The
// approval stops at the field, marked, its text kept; Enter saves it over
// the latest values, and the run goes downstream with both changes.
func TestApprovalWaitsForAConflictedSave(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	other, closeOther := chromedp.NewContext(ctx)
	defer closeOther()
	if err := chromedp.Do(other, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(ed("customer_number"))), settled()); err != nil {
		t.Fatal(err)
	}
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked with the vendor")
	press(t, ctx, kb.Enter)
	waitHeld(t, held, "the save was not sent")
	focusField(t, other, "customer_number")
	typeText(t, other, "11083")
	press(t, other, kb.Enter)
	waitSaved(t, other)
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	close(release)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runQH)+` || document.querySelector("#save-state").textContent.startsWith("Not approved")`, "the approval was not answered")
	if id := js(t, ctx, `String(document.body.dataset.runId)`); id != runQH {
		t.Fatalf("the run was approved with a field not saved: the page went on to %s", id)
	}
	if got := js(t, ctx, `(() => { const f = document.querySelector('.field[data-path="notes"]'); return f.querySelector(".ed").value + " | " + f.classList.contains("invalid"); })()`); got != "Checked with the vendor | true" {
		t.Fatalf("the refused notes read (text | marked) %q, want what was typed, marked", got)
	}
	focusField(t, ctx, "notes")
	press(t, ctx, kb.End)
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`, "the notes were not saved over the latest values")
	approveByKey(t, ctx, runQH)
	wantReviewed(t, s, map[string]string{"customer_number": `11083`, "notes": `"Checked with the vendor"`})
}

// TestEnterMovesOnBeforeTheAnswer: a fast typist on a slow server presses
// Enter and types on, meaning the next field. The page moved only when the
// save answered, so the keys went on into the field just saved. Enter now
// moves at once; the test holds the save until the next field is typed.
func TestEnterMovesOnBeforeTheAnswer(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "invoice_number")
	typeText(t, ctx, "30064449\n")
	waitHeld(t, held, "the save was not sent")
	typeText(t, ctx, "8/5/2014")
	close(release)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_number"] .ed').dataset.saved === "30064449"`, "the invoice number was not saved")
	if got := js(t, ctx, `document.querySelector('.field[data-path="invoice_number"] .ed').value + " | " + document.querySelector('.field[data-path="invoice_date"] .ed').value + " | " + document.activeElement.closest(".field")?.dataset.path`); got != "30064449 | 8/5/2014 | invoice_date" {
		t.Fatalf("after Enter and typing on, (invoice number | date | focus) read %q", got)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_date"] .ed').dataset.saved === "2014-05-08"`, "the date typed on was not saved")
}

// TestRowMovedTwiceByKey: Alt+↑ twice on the third row, the second pressed
// while the first move is on its way. The second named the row by its
// place when pressed, which the first move gave to another row: that row
// went back up and the third row did not move at all. A row key pressed
// meanwhile now acts on the row as the first move leaves it (the focus
// follows it). The test holds the first move's request.
func TestRowMovedTwiceByKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	var was []string
	for i := range 3 {
		was = append(was, value(t, ctx, ed("line_items["+itoa(i)+"].description")))
	}
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "line_items[2].description")
	press(t, ctx, kb.ArrowUp, chromedp.ModifierAlt)
	waitHeld(t, held, "the move was not sent")
	press(t, ctx, kb.ArrowUp, chromedp.ModifierAlt)
	close(release)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[0].description" && document.querySelector("#save-state").textContent.startsWith("Saved")`, "focus did not follow the row to the top")
	if items := reviewedItems(t, s, ctx); len(items) < 3 || items[0] != was[2] || items[1] != was[0] || items[2] != was[1] {
		t.Fatalf("reviewed descriptions %q, want the third row first: %q", items, []string{was[2], was[0], was[1]})
	}
}
