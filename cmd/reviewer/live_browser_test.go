package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/review"
)

// waitText waits until the element's text satisfies ok.
func waitText(t *testing.T, ctx context.Context, sel string, ok func(string) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(ceiling)
	last := ""
	for time.Now().Before(deadline) {
		last, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`) || {textContent: "<gone>"}).textContent`))
		if ok(last) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: %s reads %q", what, sel, last)
}

// TestQueueIsLive: two people signed in from two browsers. When one opens a
// run, the other's queue shows who holds it, without a reload; when the
// first approves, the row leaves the second's queue.
//
// The relay's poll is set to an hour, so only the commit's wake-up can bring
// the change: a lost wake-up (the 2 s stall of a one-slot channel with two
// readers) fails this test instead of hiding behind the timer.
func TestQueueIsLive(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo", "--feed-poll", "1h")
	s.user("ana@example.com", review.RoleReviewer)
	s.user("bo@example.com", review.RoleReviewer)
	ana, bo := browser(t), browser(t)
	signIn(t, ana, s.base, "ana@example.com")
	signIn(t, bo, s.base, "bo@example.com")
	const runID = "workflow_run_demo_qh_2025"
	row := `tr[data-run-id="` + runID + `"]`
	if err := chromedp.Do(ana, chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(row)), chromedp.WaitVisible(chromedp.CSS(`#live[data-live="on"]`))); err != nil {
		t.Fatal(err)
	}
	depth, err := chromedp.Run(ana, chromedp.Text(chromedp.CSS("#queue-depth")))
	if err != nil {
		t.Fatal(err)
	}
	var waiting int
	if _, err := fmt.Sscanf(depth, "%d waiting", &waiting); err != nil {
		t.Fatalf("the queue's count reads %q", depth)
	}
	if err := chromedp.Do(bo, chromedp.Navigate(s.base+"/runs/"+runID), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled()); err != nil {
		t.Fatal(err)
	}
	waitText(t, ana, row+" .holder", func(s string) bool { return strings.Contains(s, "bo@example.com") }, "the claim did not appear live")
	reloaded, _ := chromedp.Run(ana, chromedp.Evaluate[bool](`performance.getEntriesByType("navigation").length !== 1`))
	if reloaded {
		t.Fatal("the queue page reloaded")
	}
	if err := chromedp.Do(bo, chromedp.Click(chromedp.CSS(`[data-action="approve"]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ana, row, func(s string) bool { return s == "<gone>" }, "the approved run stayed in the queue")
	waitText(t, ana, "#queue-depth", func(s string) bool { return strings.HasPrefix(s, fmt.Sprintf("%d waiting", waiting-1)) }, "the count did not follow")
}
