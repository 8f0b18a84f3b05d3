package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
