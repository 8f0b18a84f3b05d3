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
	retype(t, ctx, splitCell(1, "type"), "reprot")
	waitEdits(t, s, runPacket, 1)
	retype(t, ctx, splitCell(1, "type"), "report")
	waitEdits(t, s, runPacket, 2)
	waitSaved(t, ctx)
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
