package main

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/review"
)

// TestTurnIsSharedBothWays: a page turned with the key O, and back with
// Shift+O, turns for a second viewer of the run without a reload (the
// change feed tells their page); the second viewer, who cannot edit the
// run while the first holds it, is told why their own turn is refused.
func TestTurnIsSharedBothWays(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	s.user("bo@example.com", review.RoleReviewer)
	c := s.client("ana@example.com")
	const name = "nics-background-checks-2015-11-rotated"
	s.send("evt_shared_turn", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_shared_turn", "status": "NEEDS_REVIEW", "workflow": map[string]any{"id": "workflow_t", "name": "Turned"},
		"files": []any{map[string]any{"object": "file", "id": "file_nics", "name": name + ".pdf", "type": "PDF", "metadata": map[string]any{"pageCount": 1}}},
	})
	s.waitRun(c, "workflow_run_shared_turn")
	b, err := os.ReadFile("testdata/" + name + ".pdf")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_shared_turn", "file_nics", name+".pdf", b)

	ana, bo := browser(t), browser(t)
	signIn(t, ana, s.base, "ana@example.com")
	signIn(t, bo, s.base, "bo@example.com")
	for _, ctx := range []context.Context{ana, bo} { // ana first: she holds the run
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_shared_turn"), chromedp.WaitVisible(chromedp.CSS(".page img")), settled()); err != nil {
			t.Fatal(err)
		}
	}
	turned := func(ctx context.Context, turn, what string) {
		t.Helper()
		waitFor(t, ctx, `document.querySelector(".page").dataset.turn === "`+turn+`" && [...document.querySelectorAll(".page > img")].every((i) => i.complete && i.currentSrc.includes("turn=`+turn+`"))`, what)
	}
	press(t, ana, "o")
	turned(ana, "90", "the key O did not turn the page")
	turned(bo, "90", "the second viewer's page did not turn with the first's")
	press(t, ana, "O", chromedp.ModifierShift)
	turned(ana, "0", "Shift+O did not turn the page back")
	turned(bo, "0", "the second viewer's page did not turn back with the first's")

	press(t, bo, "o")
	waitFor(t, bo, `document.getElementById("save-state").textContent.includes("ana@example.com is working on this run")`, "the second viewer was not told why their turn was refused")
	if turn, err := chromedp.Run(ana, chromedp.Evaluate[string](`document.querySelector(".page").dataset.turn`)); err != nil || turn != "0" {
		t.Fatalf("a refused turn turned the page for the first viewer: %q %v", turn, err)
	}
}

// TestArrivingDocumentIsTold: a run page open while its document has not
// come says so as soon as the document is here and measured (the change
// feed tells it), with the way to see it, instead of asking for a reload.
func TestArrivingDocumentIsTold(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	s.user("bo@example.com", review.RoleReviewer)
	c := s.client("ana@example.com")
	s.send("evt_arriving", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_arriving", "status": "NEEDS_REVIEW", "workflow": map[string]any{"id": "workflow_t", "name": "Arriving"},
		"files": []any{map[string]any{"object": "file", "id": "file_later", "name": "later.pdf", "type": "PDF", "metadata": map[string]any{"pageCount": 1}}},
	})
	s.waitRun(c, "workflow_run_arriving")
	bo := browser(t)
	signIn(t, bo, s.base, "bo@example.com")
	if err := chromedp.Do(bo, chromedp.Navigate(s.base+"/runs/workflow_run_arriving"), chromedp.WaitVisible(chromedp.CSS(".page-missing")), settled()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/nics-background-checks-2015-11-rotated.pdf")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_arriving", "file_later", "later.pdf", b)
	waitFor(t, bo, `(() => { const m = document.querySelector(".page-missing"); return m && "ready" in m.dataset && m.querySelector("a")?.textContent === "show it"; })()`, "the open page did not say its document came")
	if err := chromedp.Do(bo, chromedp.Click(chromedp.CSS(".page-missing a")), chromedp.WaitVisible(chromedp.CSS(".page img"))); err != nil {
		t.Fatalf("the document was not shown after following the link: %v", err)
	}
}
