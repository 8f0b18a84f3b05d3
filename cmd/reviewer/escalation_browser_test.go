package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// TestSendToSupervisor: a reviewer whose approval a blocking rule stops is
// told they can send the run to a supervisor; Alt+E asks why, Ctrl+Enter
// sends it and opens the next run. A supervisor watching the queue is told
// at once, with the reason; the run has left the queue for the escalation
// queue, and the API and the run's history say so.
func TestSendToSupervisor(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	importRules(t, s, `{"workflow_demo_invoices": [{"name": "has a PO", "expr": "purchase_order != null",
		"message": "Invoices need a purchase order.", "severity": "block", "fields": ["purchase_order"]}]}`)
	s.user("sup@example.com", review.RoleSupervisor)
	sup := browser(t)
	signIn(t, sup, s.base, "sup@example.com")
	if err := chromedp.Do(sup, chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-run-id="`+runAWS+`"]`)), settled()); err != nil {
		t.Fatal(err)
	}

	ctx := openRun(t, s, "rev@example.com", runAWS)
	waitFor(t, ctx, `!!document.querySelector('#run-notices [data-blocking="1"] [data-action="escalate"]')`, "the failing rule offers no way to a supervisor")
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `[...document.querySelectorAll("[role=status], [aria-live]")].some((e) => e.textContent.includes("send the run to a supervisor (Shift+E; Alt+E in a field)"))`, "the blocked approval does not say a supervisor can take it")
	// The blocked approval put the cursor in the field the rule names: there
	// the key is Alt+E.
	press(t, ctx, "e", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.getElementById("escalate-dialog").open && document.activeElement.id === "escalateReason"`, "Alt+E did not ask why")
	const why = "No purchase order on the invoice; the vendor says none was issued."
	typeText(t, ctx, why)
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runAWS), "Ctrl+Enter did not send the run on")

	// The supervisor is told live, and the row has left the queue.
	waitFor(t, sup, `document.querySelector('#escalations [data-escalated="`+runAWS+`"]')?.textContent.includes(`+jsString(why)+`)`, "the supervisor was not told")
	waitFor(t, sup, `!document.querySelector('tr[data-run-id="`+runAWS+`"]:not(.leaving)')`, "the escalated run stayed in the queue")
	told, _ := chromedp.Run(sup, chromedp.Evaluate[string](`document.getElementById("escalations").textContent`))
	if !strings.Contains(told, "Sent to a supervisor by") {
		t.Fatalf("the supervisor's notice reads %q", told)
	}
	// The escalation queue, reached from the notice by keyboard.
	if err := chromedp.Do(sup, chromedp.Evaluate[chromedp.Void](`document.querySelector('#escalations a[href="/?view=escalated"]').focus()`)); err != nil {
		t.Fatal(err)
	}
	press(t, sup, kb.Enter)
	waitFor(t, sup, `location.search === "?view=escalated" && !!document.querySelector('tr[data-run-id="`+runAWS+`"] [data-hold="escalated"]')`, "the escalation queue does not list the run")

	list := string(s.apiGet("/api/v1/queue?view=escalated"))
	if !strings.Contains(list, `"id":"`+runAWS+`"`) || !strings.Contains(list, `"kind":"escalated"`) || !strings.Contains(list, `"by":"rev@example.com"`) {
		t.Fatalf("the API's escalation queue: %s", list)
	}
	if q := string(s.apiGet("/api/v1/queue?limit=500")); strings.Contains(q, `"id":"`+runAWS+`"`) {
		t.Fatalf("the API's queue still lists the escalated run")
	}
	if trail := string(s.apiGet("/api/v1/runs/" + runAWS + "/audit")); !strings.Contains(trail, `"send to supervisor"`) || !strings.Contains(trail, why) {
		t.Fatalf("the history: %s", trail)
	}
}

// TestPostpone: Alt+P (the run opens with the cursor in a field, where
// plain letters type) asks why and until when; the run leaves the queue
// for the postponed view until then, in the API and in its history.
func TestPostpone(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runFiber)
	press(t, ctx, "p", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.getElementById("postpone-dialog").open && document.activeElement.id === "postponeReason"`, "Alt+P did not ask why")
	typeText(t, ctx, "Waiting for the credit note")
	press(t, ctx, kb.Tab)
	if id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); id != "postponeFor" {
		t.Fatalf("Tab went to %q, not the time", id)
	}
	press(t, ctx, kb.ArrowUp) // from 4 hours to an hour (a day is past its due time)
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runFiber), "Ctrl+Enter did not postpone the run")

	list := string(s.apiGet("/api/v1/queue?view=postponed"))
	i := strings.Index(list, `"id":"`+runFiber+`"`)
	if i < 0 || !strings.Contains(list[i:], `"reason":"Waiting for the credit note"`) {
		t.Fatalf("the API's postponed runs: %s", list)
	}
	until := list[strings.Index(list[i:], `"until":"`)+i+len(`"until":"`):]
	end, err := time.Parse(time.RFC3339, until[:strings.Index(until, `"`)])
	if err != nil || end.Before(time.Now().Add(30*time.Minute)) || end.After(time.Now().Add(90*time.Minute)) {
		t.Fatalf("postponed until %v (%v), want in an hour", end, err)
	}
	if q := string(s.apiGet("/api/v1/queue?limit=500")); strings.Contains(q, `"id":"`+runFiber+`"`) {
		t.Fatalf("the API's queue still lists the postponed run")
	}
	if trail := string(s.apiGet("/api/v1/runs/" + runFiber + "/audit")); !strings.Contains(trail, `"postpone"`) {
		t.Fatalf("the history: %s", trail)
	}
}

// TestPostponePastDue: the postpone dialog says when the run is due, and
// says as the time is chosen that a later one would make the run late. A
// reviewer's Ctrl+Enter then sends nothing: the run is postponed only
// once an earlier time is chosen, until then. A supervisor is asked to
// tick that they mean it, and with the box ticked (Space) postpones the
// run past its due time.
func TestPostponePastDue(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	const dialog, late, box = `document.getElementById("postpone-dialog")`, `document.getElementById("postpone-late")`, `document.getElementById("postponePastDue")`
	ctx := openRun(t, s, "rev@example.com", runFiber) // due in 22 h 45 min
	press(t, ctx, "p", chromedp.ModifierAlt)
	waitFor(t, ctx, dialog+`.open && /^Due \d+ \w+ \d{4} \d\d:\d\d UTC\.$/.test(document.getElementById("postpone-due").textContent)`, "the dialog does not say when the run is due")
	typeText(t, ctx, "Waiting for the credit note")
	press(t, ctx, kb.Tab)
	waitFor(t, ctx, `document.activeElement.id === "postponeFor" && `+late+`.hidden`, "in 4 hours, before the due time, the dialog warns")
	press(t, ctx, kb.ArrowDown) // a day: past the due time
	waitFor(t, ctx, `!`+late+`.hidden && /^Back in the queue \d+ h( \d+ min)? after it is due: it would be late\. /.test(`+late+`.textContent) && `+late+`.textContent.includes("a supervisor's call") && `+late+`.getAttribute("role") === "alert" && getComputedStyle(document.getElementById("postpone-past-due")).display === "none"`,
		"a reviewer choosing a time past the due time is not told it is a supervisor's call")
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl) // sends nothing
	waitFor(t, ctx, dialog+`.open && document.getElementById("postponeFor").matches(":invalid")`, "the reviewer's choice past the due time is not held back")
	press(t, ctx, kb.ArrowUp) // back to 4 hours
	waitFor(t, ctx, late+`.hidden && !`+late+`.hasAttribute("role") && document.getElementById("postponeFor").matches(":valid")`, "an earlier time is still refused")
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runFiber), "Ctrl+Enter did not postpone the run")
	if trail := string(s.apiGet("/api/v1/runs/" + runFiber + "/audit")); strings.Count(trail, `"postpone"`) != 1 {
		t.Fatalf("the history, after one postponement sent: %s", trail)
	}
	if end := postponedUntil(t, s, runFiber); end.Before(time.Now().Add(3*time.Hour)) || end.After(time.Now().Add(5*time.Hour)) {
		t.Fatalf("the reviewer postponed until %v, want in 4 hours", end)
	}

	s.user("sup@example.com", review.RoleSupervisor)
	sup := browser(t)
	signIn(t, sup, s.base, "sup@example.com")
	if err := chromedp.Do(sup, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	press(t, sup, "p", chromedp.ModifierAlt) // due in 23 h 35 min
	waitFor(t, sup, dialog+`.open && document.activeElement.id === "postponeReason"`, "Alt+P did not ask the supervisor why")
	typeText(t, sup, "The vendor sends the corrected invoice tomorrow")
	press(t, sup, kb.Tab)
	press(t, sup, kb.ArrowDown) // a day
	waitFor(t, sup, `!`+late+`.hidden && `+late+`.textContent.includes("it would be late. Tick the box") && !document.getElementById("postpone-past-due").hidden && `+box+`.required`,
		"the supervisor is not asked to confirm postponing past the due time")
	press(t, sup, kb.Enter, chromedp.ModifierCtrl) // sends nothing: the box is not ticked
	// The browser holds the form back and puts the cursor on the box.
	waitFor(t, sup, dialog+`.open && `+box+`.matches(":invalid") && document.activeElement.id === "postponePastDue"`, "the unconfirmed postponement is not held back at the box")
	press(t, sup, " ")
	waitFor(t, sup, box+`.checked`, "Space did not tick the box")
	press(t, sup, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, sup, `document.body.dataset.runId !== `+jsString(runAWS), "Ctrl+Enter did not postpone the run")
	if end := postponedUntil(t, s, runAWS); end.Before(time.Now().Add(23*time.Hour)) || end.After(time.Now().Add(25*time.Hour)) {
		t.Fatalf("the supervisor postponed until %v, want in a day", end)
	}
}

// postponedUntil is when the API's postponed view says runID comes back.
func postponedUntil(t *testing.T, s *server, runID string) time.Time {
	t.Helper()
	list := string(s.apiGet("/api/v1/queue?view=postponed"))
	i := strings.Index(list, `"id":"`+runID+`"`)
	if i < 0 {
		t.Fatalf("the API's postponed runs lack %s: %s", runID, list)
	}
	until := list[strings.Index(list[i:], `"until":"`)+i+len(`"until":"`):]
	end, err := time.Parse(time.RFC3339, until[:strings.Index(until, `"`)])
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// TestPostponedRunComesBack: a run postponed for a few seconds leaves the
// open queue page at once and is back on it when its time has come, with
// nothing else happening and no reload.
func TestPostponedRunComesBack(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-run-id="`+runFiber+`"]`)), settled(),
		chromedp.Evaluate[chromedp.Void](`window.__stay = 1`)); err != nil {
		t.Fatal(err)
	}
	s.user("ana@example.com", review.RoleReviewer)
	resp, err := s.client("ana@example.com").PostForm(s.base+"/runs/"+runFiber+"/postpone",
		url.Values{"reason": {"Back in a moment"}, "until": {time.Now().Add(8 * time.Second).UTC().Format(time.RFC3339)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("postponing: %s", resp.Status)
	}
	waitFor(t, ctx, `!document.querySelector('tr[data-run-id="`+runFiber+`"]:not(.leaving)')`, "the postponed run stayed on the queue page")
	waitFor(t, ctx, `!!document.querySelector('tr[data-run-id="`+runFiber+`"]:not(.leaving)')`, "the postponed run did not come back")
	stayed(t, ctx, "the postponed run came back")
	if q := string(s.apiGet("/api/v1/queue?limit=500")); !strings.Contains(q, `"id":"`+runFiber+`"`) {
		t.Fatalf("the API's queue does not list the run that came back")
	}
}

// TestEscalationNoticeOnEveryLivePage: a supervisor on a run's page, the
// dashboard or the Late board is told of a run sent to a supervisor as on
// the queue, and reaches the escalation queue from the notice by keyboard.
func TestEscalationNoticeOnEveryLivePage(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("sup@example.com", review.RoleSupervisor)
	pages := map[string]context.Context{}
	for _, path := range []string{"/runs/" + runFiber, "/dashboard", "/breaches"} {
		ctx := browser(t)
		signIn(t, ctx, s.base, "sup@example.com")
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS(`#live[data-live="on"]`)), settled()); err != nil {
			t.Fatal(err)
		}
		pages[path] = ctx
	}
	s.user("rev@example.com", review.RoleReviewer)
	const why = "The vendor is not one we know."
	resp, err := s.client("rev@example.com").PostForm(s.base+"/runs/"+runAWS+"/escalate", url.Values{"reason": {why}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("escalating: %s", resp.Status)
	}
	for path, ctx := range pages {
		waitFor(t, ctx, `document.querySelector('#escalations [data-escalated="`+runAWS+`"]')?.textContent.includes(`+jsString(why)+`)`, "the supervisor on "+path+" was not told")
	}
	ctx := pages["/breaches"]
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#escalations a[href="/?view=escalated"]').focus()`)); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `location.search === "?view=escalated" && !!document.querySelector('tr[data-run-id="`+runAWS+`"] [data-hold="escalated"]')`, "the notice does not lead to the escalation queue")
}
