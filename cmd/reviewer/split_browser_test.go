package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Split review, driven with real keys in Chromium and checked in the API.

// splitCell is the selector of a cell of the packet run's sub-document i.
func splitCell(i int, part string) string { return `#sp-splr_demo_packet-` + itoa(i) + `-` + part }

// retype puts the cursor in a cell with its text selected, as a click and
// Ctrl+A would, types text over it and presses Enter.
func retype(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, text)
	press(t, ctx, kb.Enter)
}

// waitEdits waits until the run's history holds n edits.
func waitEdits(t *testing.T, s *server, runID string, n int) {
	t.Helper()
	deadline := time.Now().Add(ceiling)
	for time.Now().Before(deadline) {
		got := 0
		for _, a := range auditOf(t, s, runID) {
			if a["action"] == "edit" {
				got++
			}
		}
		if got == n {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("the history never held %d edits", n)
}

// TestSplitTypedBackIsTheModels: a sub-document's type typed wrong, saved,
// then typed back to the model's and approved, is the model's: the split is
// not edited and keeps the model's classificationId and observation.
func TestSplitTypedBackIsTheModels(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runPacket)
	if v := value(t, ctx, splitCell(1, "type")); v != "report" {
		t.Fatalf("sub-document 2 is a %q, want the model's report", v)
	}
	// The splitter has no configured types: the box offers the model's,
	// is wide enough to read them, and a typo is saved and warned of.
	if o := js(t, ctx, `[...document.querySelector(`+jsString(splitCell(1, "type"))+`).list.options].map((o) => o.value).join(",")`); o != "invoice,report" {
		t.Fatalf("the type box offers %q", o)
	}
	if w := js(t, ctx, `String(document.querySelector(`+jsString(splitCell(1, "type"))+`).offsetWidth)`); atof(w) < 100 {
		t.Fatalf("the type box is %s px wide", w)
	}
	retype(t, ctx, splitCell(1, "type"), "reprot")
	waitEdits(t, s, runPacket, 1)
	waitFor(t, ctx, `document.querySelector(".splits-editor [data-split-notes]")?.textContent.includes('"reprot" is not a type this splitter knows (invoice, report).')`, "the unknown type was not warned of")
	retype(t, ctx, splitCell(1, "type"), "report")
	waitEdits(t, s, runPacket, 2)
	waitSaved(t, ctx)
	waitFor(t, ctx, `!document.querySelector(".splits-editor [data-split-notes]")`, "the warning stayed after the type was typed back")
	stayed(t, ctx, "typing a type back")
	approveByKey(t, ctx, runPacket)

	got := s.apiGet("/api/v1/runs/" + runPacket)
	out := "stepRuns.0.result.splitRun"
	if v := at(t, got, out+".edited"); v != "false" {
		t.Errorf("splitRun.edited = %s after typing the model's type back", v)
	}
	for part, want := range map[string]string{
		"type":             `"report"`,
		"classificationId": `"cls_report"`,
		"observation":      `"One page of NICS firearm background check statistics, turned sideways."`,
	} {
		if v := at(t, got, out+".reviewedOutput.splits.1."+part); v != want {
			t.Errorf("reviewedOutput splits[1].%s = %s, want %s", part, v, want)
		}
	}
}

// splitNotes is what the split editor warns of, one note a line.
func splitNotes(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".splits-editor [data-split-notes] li")].map((li) => li.textContent.trim()).join("\n")`))
	return s
}

// TestSplitGapFilledInPlace: sub-document 1 shortened to page 1 leaves
// page 2 to none, which the editor says; Alt+= finds that gap, not the end,
// and puts the new sub-document in its place in page order; typed and
// saved, the gap is gone, on the page and in the API.
func TestSplitGapFilledInPlace(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runPacket)
	if n := splitNotes(ctx); n != "" {
		t.Fatalf("the model's split, which covers every page once, is warned of: %q", n)
	}
	retype(t, ctx, splitCell(0, "endPage"), "1")
	waitEdits(t, s, runPacket, 1)
	waitFor(t, ctx, `document.querySelectorAll(".splits-editor [data-split-notes] li").length > 0`, "the gap was not shown")
	if n := splitNotes(ctx); n != "Page 2 belongs to no sub-document." {
		t.Fatalf("the split editor says %q", n)
	}

	// Alt+= from sub-document 2's type: the new one goes between 1 and 2.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(splitCell(1, "type")))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "=", chromedp.ModifierAlt)
	typeOnPage2(t, ctx, s, 2, "Alt+= on sub-document 2")
	waitFor(t, ctx, `document.querySelectorAll(".splits-editor [data-split-notes] li").length === 0`, "the gap is still warned of after it was filled")
	stayed(t, ctx, "adding a sub-document")
	approveThree(t, ctx, s)
}

// TestSplitStartedAtThumbnail: on page 2's thumbnail, reached by focus as
// Tab reaches it, Alt+= starts a sub-document there: sub-document 1 ends on
// page 1, the new one holds page 2 and comes between; saved, approved, the
// API has the three, the report untouched.
func TestSplitStartedAtThumbnail(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runPacket)
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`[data-thumb="2"]`))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "=", chromedp.ModifierAlt)
	typeOnPage2(t, ctx, s, 1, "Alt+= on page 2's thumbnail")
	waitSaved(t, ctx)
	stayed(t, ctx, "starting a sub-document at a thumbnail")
	approveThree(t, ctx, s)
}

// typeOnPage2 checks that after what (a key) the packet run shows a new
// sub-document on page 2 between the other two, with the cursor in its
// type, then types its type and saves it, the run's edits-th edit.
func typeOnPage2(t *testing.T, ctx context.Context, s *server, edits int, what string) {
	t.Helper()
	waitFor(t, ctx, `document.querySelectorAll(".splits-editor tr[data-split]").length === 3`, what+" added no sub-document")
	rows := js(t, ctx, `[...document.querySelectorAll(".splits-editor tr[data-split]")].map((tr) => ["type", "startPage", "endPage"].map((p) => tr.querySelector('[data-part="' + p + '"]').value).join(" ")).join(", ")`)
	if rows != "invoice 1 1,  2 2, report 3 3" {
		t.Fatalf("after %s the rows are %q, want the new one on page 2 between the others", what, rows)
	}
	if a := js(t, ctx, `document.activeElement.dataset.part + " of row " + document.activeElement.closest("tr")?.dataset.split`); a != "type of row 1" {
		t.Fatalf("after %s the cursor is in the %s", what, a)
	}
	typeText(t, ctx, "invoice")
	press(t, ctx, kb.Enter)
	waitEdits(t, s, runPacket, edits)
}

// approveThree approves the packet run by key and checks its reviewed
// split in the API: an invoice on page 1, one on page 2, and the report,
// which keeps what the model said of it.
func approveThree(t *testing.T, ctx context.Context, s *server) {
	t.Helper()
	approveByKey(t, ctx, runPacket)
	got := s.apiGet("/api/v1/runs/" + runPacket)
	out := "stepRuns.0.result.splitRun.reviewedOutput.splits."
	for i, want := range []string{`"invoice" 1 1`, `"invoice" 2 2`, `"report" 3 3`} {
		p := out + itoa(i) + "."
		if g := at(t, got, p+"type") + " " + at(t, got, p+"startPage") + " " + at(t, got, p+"endPage"); g != want {
			t.Errorf("reviewedOutput splits[%d] = %s, want %s", i, g, want)
		}
	}
	if v := at(t, got, out+"1.fileId"); v != `"file_demo_packet"` {
		t.Errorf("the sub-document the reviewer added names file %s, want the packet's", v)
	}
	if v := at(t, got, out+"2.classificationId"); v != `"cls_report"` {
		t.Errorf("the report, moved down a row, lost its classificationId: %s", v)
	}
}
