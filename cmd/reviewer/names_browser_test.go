package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// banners are the notices the page shows, one line each.
func banners(t *testing.T, ctx context.Context) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.flash, [role="alert"], [role="status"], .presence')].filter((e) => e.checkVisibility() && e.textContent.trim()).map((e) => e.textContent.replace(/\s+/g, " ").trim())`))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLiveStatusAndNames: a supervisor takes a run over from a reviewer
// typing in it: the reviewer's page shows one notice, naming the
// supervisor, with the typed text kept in it; the supervisor approves, and
// the reviewer's header says so at once; everywhere people are named, with
// the email only on hover.
func TestLiveStatusAndNames(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo", "--feed-poll", "1h")
	s.named("ana@example.com", "Ana Lima", review.RoleReviewer)
	s.named("sam@example.com", "Sam Ortiz", review.RoleSupervisor)
	ana, sam := browser(t), browser(t)
	signIn(t, ana, s.base, "ana@example.com")
	signIn(t, sam, s.base, "sam@example.com")
	if err := chromedp.Do(ana, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(sam, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(`#locked`)), settled()); err != nil {
		t.Fatal(err)
	}
	focusField(t, ana, "due_date")
	typeText(t, ana, "2014-06-30")
	if err := chromedp.Do(sam, chromedp.Click(chromedp.CSS(`#locked button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, `document.body.dataset.editable === "false" && !!document.querySelector("#locked #kept")`, "the holder's page did not say, in one notice, that it can no longer edit, keeping the typed text")
	// Wait for whatever else the takeover sets off (the refused save of the
	// typed date, the heartbeat) to be answered.
	waitFor(t, ana, `!document.querySelector('.field[data-path="due_date"]')?.dataset.sent`, "the typed date's save was never answered")
	waitFor(t, sam, `document.getElementById("presence").textContent.includes("Ana Lima")`, "the supervisor's page does not name who else views the run")
	notices := banners(t, ana)
	said := 0
	for _, b := range notices {
		if strings.Contains(b, "@") {
			t.Errorf("a notice names a person by email: %q", b)
		}
		if strings.Contains(b, "working on this run") || strings.Contains(b, "kept here") {
			said++
			if !strings.Contains(b, "Sam Ortiz is working on this run") || !strings.Contains(b, "2014-06-30") {
				t.Errorf("the takeover notice reads %q", b)
			}
		}
	}
	if said != 1 {
		t.Errorf("the takeover is said in %d notices, want one: %q", said, notices)
	}
	if title := js(t, ana, `document.querySelector("#presence .person, .person[title]")?.title || ""`); title != "" && !strings.HasSuffix(title, "@example.com") {
		t.Errorf("a person's hover shows %q, not their email", title)
	}

	// Sam approves by keyboard; Ana's header follows at once.
	focusField(t, sam, "notes")
	press(t, sam, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ana, `document.querySelector("#run-status")?.textContent.includes("Approved by Sam Ortiz") && !document.querySelector("#run-status").textContent.includes("Needs review")`,
		"the watcher's header still says the run needs review")
	if title := js(t, ana, `document.querySelector("#run-status .person").title`); title != "sam@example.com" {
		t.Errorf("the decider's hover shows %q", title)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"PROCESSED"` {
		t.Fatalf("the API says %s", st)
	}
	for _, b := range banners(t, ana) {
		if strings.Contains(b, "@") {
			t.Errorf("after the decision a notice names a person by email: %q", b)
		}
	}

	// The dashboard names the reviewer, the email on hover.
	if err := chromedp.Do(sam, chromedp.Navigate(s.base+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".person"))); err != nil {
		t.Fatal(err)
	}
	if row := js(t, sam, `[...document.querySelectorAll("table.list td .person")].map((p) => p.textContent + " " + p.title).join("; ")`); !strings.Contains(row, "Sam Ortiz sam@example.com") {
		t.Errorf("the dashboard's reviewers read %q", row)
	}
}

// TestAListIsLookedThroughBeforeItIsChosen: in a closed currency list, a
// typed letter and arrow keys walk the choices without saving each; Enter
// saves the one chosen, once.
func TestAListIsLookedThroughBeforeItIsChosen(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	code := `.field[data-path="total"] select[data-part="code"]`
	before := len(auditOf(t, s, runQH))
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(code))); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "u")
	press(t, ctx, kb.ArrowDown)
	press(t, ctx, kb.ArrowDown)
	press(t, ctx, kb.ArrowUp)
	chosen := js(t, ctx, `document.querySelector(`+jsString(code)+`).value`)
	if chosen == "EUR" || chosen == "" {
		t.Fatalf("the keys did not walk the list: %q", chosen)
	}
	// The saves are answered in order: after Enter's, every change the walk
	// might have sent is in the history.
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	edits := auditOf(t, s, runQH)[before:]
	if len(edits) != 1 || !strings.Contains(fmt.Sprint(edits[0]["after"]), chosen) {
		t.Fatalf("Enter saved %v, want one change to %s", edits, chosen)
	}
}

// TestDemoDecisionsKeepTheirHours: the demo's morning decisions are stamped
// as their story goes, a while after each run arrived, not all at load.
func TestDemoDecisionsKeepTheirHours(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	when := func(runID string) time.Time {
		t.Helper()
		at, err := time.Parse(time.RFC3339, strings.Trim(at(t, s.apiGet("/api/v1/runs/"+runID), "reviewedAt"), `"`))
		if err != nil {
			t.Fatalf("%s: %v", runID, err)
		}
		return at
	}
	july, bounced := when("workflow_run_demo_aws_july_2026"), when("workflow_run_demo_article_bounced_2026")
	if gap := bounced.Sub(july); gap < 5*time.Hour || gap > 6*time.Hour {
		t.Fatalf("the July invoice was decided at %s and the bounced article at %s: %s apart, not the morning's 5 1/2 hours", july, bounced, gap)
	}
	if time.Since(bounced) < 20*time.Minute {
		t.Fatalf("the last morning decision is stamped %s, not in the past", bounced)
	}
}
