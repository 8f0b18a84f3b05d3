package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestFindAnyRun: an invoice number typed in the queue's search finds its
// run; a run approved leaves the queue and is found among the decided
// runs by its invoice number, with who decided it.
func TestFindAnyRun(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	approveByKey(t, ctx, runQH)

	search := func(page, number string) []string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+page), chromedp.WaitVisible(chromedp.CSS(`input[name="q"]`)), settled(),
			chromedp.Click(chromedp.CSS(`input[name="q"]`))); err != nil {
			t.Fatal(err)
		}
		typeText(t, ctx, number)
		press(t, ctx, kb.Enter)
		waitFor(t, ctx, `new URLSearchParams(location.search).get("q") === `+jsString(number)+` && document.readyState === "complete"`, "Enter did not search")
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.list tbody tr")].map((r) => r.dataset.runId)`))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// The 2026 demo invoice's number, by its beginning.
	if ids := search("/", "4218301"); strings.Join(ids, ",") != runAWS {
		t.Fatalf("the queue's search for an invoice number found %v, want %s", ids, runAWS)
	}
	if ids := search("/", "30064443"); len(ids) != 0 {
		t.Fatalf("an approved run is still found in the queue: %v", ids)
	}
	// The demo's day approved another QualityHosting run of this number
	// earlier; the newest decision comes first.
	if ids := search("/decided", "30064443"); strings.Join(ids, ",") != runQH+",workflow_run_demo_qh_june_2025" {
		t.Fatalf("the decided runs' search found %v, want %s first", ids, runQH)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#decided tbody tr`)))
	if err != nil || !strings.Contains(row, "Approved") || !strings.Contains(row, "rev@example.com") {
		t.Fatalf("the decided run's row says %q (%v), want approved by the reviewer", row, err)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"PROCESSED"` {
		t.Fatalf("the API says %s", st)
	}
}
