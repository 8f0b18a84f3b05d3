package main

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)


func TestZZTryout(t *testing.T) {
	s := startServer(t, "--demo")
	s.user("lead@example.com", review.RoleAdmin)
	lead := browser(t)
	signIn(t, lead, s.base, "lead@example.com")
	snap := func(name string) {
		t.Helper()
		if err := chromedp.Do(lead, chromedp.EmulateViewport(1400, 900), settled()); err != nil {
			t.Fatal(err)
		}
		b, err := chromedp.Run(lead, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/tryout-"+name+".png", b, 0o644)
	}
	nav := func(path string) {
		t.Helper()
		if err := chromedp.Do(lead, chromedp.Navigate(s.base+path), settled()); err != nil {
			t.Fatal(err)
		}
	}
	nav("/breaches")
	snap("1-late")
	nav("/")
	snap("2-queue")
	nav("/runs/" + runAWS)
	if err := chromedp.Do(lead, chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	press(t, lead, "e", chromedp.ModifierAlt)
	waitFor(t, lead, `document.getElementById("escalate-dialog").open`, "no dialog")
	typeText(t, lead, "Vendor not in our master data; please confirm with purchasing.")
	snap("3-escalate-dialog")
	press(t, lead, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, lead, `document.body.dataset.runId !== `+jsString(runAWS), "not sent")
	snap("4-after-escalate")
	nav("/runs/" + runFiber)
	if err := chromedp.Do(lead, chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	press(t, lead, "p", chromedp.ModifierAlt)
	waitFor(t, lead, `document.getElementById("postpone-dialog").open`, "no dialog")
	typeText(t, lead, "Waiting for the credit note")
	press(t, lead, kb.Tab)
	snap("5-postpone-dialog")
	press(t, lead, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, lead, `document.body.dataset.runId !== `+jsString(runFiber), "not postponed")
	snap("6-after-postpone")
	nav("/?view=escalated")
	snap("7-escalated")
	nav("/?view=postponed")
	snap("8-postponed")
	nav("/runs/" + runAWS)
	snap("9-escalated-run")
	nav("/admin/settings#due")
	snap("10-settings")
	nav("/breaches")
	snap("11-late-after")
}
