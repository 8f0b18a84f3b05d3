package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// TestDuplicateFlag: the demo's runs of one invoice number are flagged in
// the queue and on their pages, each with a link to the earliest other run
// and how it was decided; the link is reached and followed by keyboard,
// and the API says the same.
func TestDuplicateFlag(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	const july, copied = "workflow_run_demo_aws_july_2026", "workflow_run_demo_aws_copy_2026"
	// Ben, who decided the earlier run: while it waits for its QA check,
	// only he may open its page.
	s.user("ben@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "ben@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-run-id="`+runAWS+`"]`)), settled()); err != nil {
		t.Fatal(err)
	}
	row := `document.querySelector('tr[data-run-id="` + runAWS + `"]')`
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](row+`.querySelector("[data-duplicate-of]")?.innerText ?? ""`))
	if err != nil || !strings.Contains(note, "Duplicate") || !strings.Contains(note, "Same invoice_number 42183017 as the earlier run") ||
		!strings.Contains(note, "approved by ben@example.com") {
		t.Fatalf("the queue row's note reads %q (%v)", note, err)
	}
	// From the run's own link, Tab reaches the other run's, and Enter follows it.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](row+`.querySelector("a").focus()`)); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Tab)
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute("href")`)); f != "/runs/"+july {
		t.Fatalf("Tab went to %q, not the earlier run's link", f)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.body.dataset.runId === `+jsString(july), "Enter on the link did not open the earlier run")
	waitFor(t, ctx, `document.querySelector("#run-notices [data-duplicate-of]")?.innerText.includes("Has a duplicate")`, "the earlier run does not say it has a later duplicate")
	if other, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#run-notices [data-duplicate-of]").dataset.duplicateOf`)); other != copied {
		t.Fatalf("the earliest run points at %q, want the next one, %s", other, copied)
	}
	// The run's own page says it too.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitReady(chromedp.CSS("#run-notices")), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#run-notices [data-duplicate-of]")?.innerText.includes("approved by ben@example.com")`, "the run page has no duplicate note")
	waitFor(t, ctx, `document.querySelector("#run-notices .checks")?.innerText.includes("An earlier run has this invoice number")`, "the demo's rule on duplicate does not warn")

	if got := at(t, s.apiGet("/api/v1/runs/"+runAWS+"/duplicate"), "runId"); got != `"`+july+`"` {
		t.Fatalf("the API's duplicate is %s", got)
	}
	// All three runs of the fibre invoice number are flagged.
	list := string(s.apiGet("/api/v1/runs?workflowId=workflow_demo_utilities&limit=100"))
	for _, id := range []string{runFiber, "workflow_run_demo_fiber_june_2026", "workflow_run_demo_fiber_aug_2026"} {
		i := strings.Index(list, `"id":"`+id+`"`)
		if i < 0 {
			t.Fatalf("%s is not listed", id)
		}
		rest := list[i:]
		if end := strings.Index(rest[1:], `{"object":"workflow_run"`); end > 0 {
			rest = rest[:end]
		}
		if !strings.Contains(rest, `"duplicate":{"runId":"workflow_run_demo_fiber_`) {
			t.Errorf("%s is not flagged: %s", id, rest)
		}
	}
}
