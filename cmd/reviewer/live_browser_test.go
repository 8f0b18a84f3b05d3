package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
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

// queueDepth is how many runs the queue page says are waiting.
func queueDepth(t *testing.T, ctx context.Context) int {
	t.Helper()
	depth, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#queue-depth")))
	if err != nil {
		t.Fatal(err)
	}
	var waiting int
	if _, err := fmt.Sscanf(depth, "%d waiting", &waiting); err != nil {
		t.Fatalf("the queue's count reads %q", depth)
	}
	return waiting
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
	waiting := queueDepth(t, ana)
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

// TestManyRunsArriveAtOnce: runs arriving together reach an open queue
// page in one request for their rows, not one request per run, and the
// page then shows what the API says is waiting.
//
// So that the runs arrive at once whatever the machine's speed, the page's
// script is held (a loop of synchronous requests, which lets no message
// through) until the server lists every one of them: their messages then
// all wait for the page together, as a burst does on a busy page.
func TestManyRunsArriveAtOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("ana@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(`#live[data-live="on"]`))); err != nil {
		t.Fatal(err)
	}
	waiting := queueDepth(t, ctx)
	const runs = 40
	held := make(chan bool, 1)
	go func() {
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const until = Date.now() + %d;
			while (Date.now() < until) {
				console.log("held");
				const x = new XMLHttpRequest();
				x.open("GET", "/", false);
				x.send();
				if ((x.responseText.match(/data-run-id="workflow_run_many_/g) || []).length === %d) return true;
			}
			return false;
		})()`, ceiling.Milliseconds(), runs)))
		held <- ok
	}()
	for _, err := range chromedp.Events(ctx, runtime.ConsoleAPICalled) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	for i := range runs {
		id := fmt.Sprintf("workflow_run_many_%d", i)
		s.send("evt_"+id, review.EventRunNeedsReview, map[string]any{"object": "workflow_run", "id": id, "status": "NEEDS_REVIEW",
			"workflow": map[string]any{"id": "workflow_many", "name": "Many"}})
	}
	if !<-held {
		t.Fatal("the server never listed the runs")
	}
	waitFor(t, ctx, fmt.Sprintf(`document.querySelectorAll('#queue tr[data-run-id^="workflow_run_many_"]').length === %d`, runs), "the runs did not all reach the page")

	rowRequests, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname.startsWith("/queue/rows")).length`))
	if err != nil {
		t.Fatal(err)
	}
	if rowRequests == 0 || rowRequests > runs/4 {
		t.Errorf("the page made %d requests for the rows of %d runs arriving at once", rowRequests, runs)
	}
	var api struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(s.apiGet("/api/v1/queue?limit=500"), &api); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range api.Data {
		want = append(want, r.ID)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#queue tbody tr[data-run-id]")].map((tr) => tr.dataset.runId)`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	slices.Sort(shown)
	if !slices.Equal(shown, want) {
		t.Errorf("the page shows %v\nthe API lists %v", shown, want)
	}
	waitText(t, ctx, "#queue-depth", func(d string) bool { return strings.HasPrefix(d, fmt.Sprintf("%d waiting", waiting+runs)) }, "the count did not follow")
}
