package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

// TestEachEditorKindSaves: the browser knows a field's editor only by the
// kind the page writes on it (data-editor), and each kind sends its value
// as such: a yes or no chosen by keyboard, an amount typed with a decimal
// comma beside its code, a signature's name and its date typed the
// European way (stored as YYYY-MM-DD). The history says what was saved
// (its numbers read back through a float: 40.10 reads 40.1).
func TestEachEditorKindSaves(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	part := func(path, name string) string {
		return `.field[data-path="` + path + `"] [data-part="` + name + `"]`
	}
	focus := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](`document.activeElement.select?.()`)); err != nil {
			t.Fatal(err)
		}
	}
	before := len(auditOf(t, s, runQH))
	focus(ed("is_paid"))
	typeText(t, ctx, "y")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	focus(part("total", "amount"))
	typeText(t, ctx, "40,10")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	focus(part("signature", "printed_name"))
	typeText(t, ctx, "Ana Lima")
	focus(part("signature", "signature_date")) // leaving the name confirms it
	typeText(t, ctx, "4.3.18")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	waitFor(t, ctx, `document.querySelector(`+jsString(part("signature", "signature_date"))+`).value === "2018-03-04"`, "the signature's date is not shown as saved")
	last := map[string]string{}
	for _, a := range auditOf(t, s, runQH)[before:] {
		b, _ := json.Marshal(a["after"])
		last[a["path"].(string)] = string(b)
	}
	for path, want := range map[string]string{
		"is_paid":   `true`,
		"total":     `{"amount":40.1,"iso_4217_currency_code":"EUR"}`,
		"signature": `{"is_signed":false,"printed_name":"Ana Lima","signature_date":"2018-03-04","title_or_role":null}`,
	} {
		if last[path] != want {
			t.Errorf("%s saved as %s, want %s", path, last[path], want)
		}
	}
}

// TestAnOlderReadIsNotShown: when Extend changes the run under review the
// page reads it again; a read that comes back after the page's own later
// save is older than what the page shows, and is not shown (it put back the
// field's old value and the old version, so the next save was refused as a
// conflict). The test holds the read at its response until the save is shown.
func TestAnOlderReadIsNotShown(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/fragments*", fetch.RequestStageResponse)
	extendSendsAgain(t, s, runQH)
	waitHeld(t, held, "the page did not read the run again when Extend changed it")
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked with the vendor")
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector("#save-state").textContent.startsWith("Saved") && document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`, "the save was not shown")
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.version`))
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	waitFor(t, ctx, `window.__reads >= 1`, "the older read was not answered")
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector('.field[data-path="notes"] .ed').value, document.body.dataset.version]`))
	if err != nil {
		t.Fatal(err)
	}
	if shown[0] != "Checked with the vendor" || shown[1] != version {
		t.Fatalf("after the older read the page shows %q at version %s, want the save at version %s", shown[0], shown[1], version)
	}
	// The next save goes ahead from the version shown.
	focusField(t, ctx, "customer_number")
	typeText(t, ctx, "11083")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	saved := map[string]string{}
	for _, a := range auditOf(t, s, runQH) {
		b, _ := json.Marshal(a["after"])
		saved[a["path"].(string)] = string(b)
	}
	if saved["notes"] != `"Checked with the vendor"` || saved["customer_number"] != `11083` {
		t.Fatalf("the history says notes %v and customer_number %v were saved", saved["notes"], saved["customer_number"])
	}
}

// TestTextOnItsWayStaysInView: what a field sent to be saved stays in it
// while the save is on its way, though the page shows the run as read
// meanwhile (before, the field showed its old value until the answer, and
// kept nothing if the save then failed). The test holds the save's request
// until the read is shown.
func TestTextOnItsWayStaysInView(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked with the vendor")
	press(t, ctx, kb.Enter)
	waitHeld(t, held, "the save was not sent")
	extendSendsAgain(t, s, runQH)
	waitFor(t, ctx, `window.__reads >= 1`, "the page did not read the run again when Extend changed it")
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.field[data-path="notes"] .ed').value`)); err != nil || v != "Checked with the vendor" {
		t.Fatalf("while its save is on its way the field shows %q (%v)", v, err)
	}
	close(release)
	waitFor(t, ctx, `document.querySelector("#save-state").textContent.startsWith("Saved") && document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`, "the save was not shown")
}

// holdFirst holds the first request of the page matching pattern at stage
// (the DevTools fetch domain) until release is closed; held is closed when
// it is held. It also counts the page's reads of its run as they are
// handled, in window.__reads.
func holdFirst(t *testing.T, ctx context.Context, pattern string, stage fetch.RequestStage) (held, release chan struct{}) {
	t.Helper()
	held, release = make(chan struct{}), make(chan struct{})
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		paused := cdp.Events(ctx, tg, fetch.RequestPaused)
		go func() {
			first := true
			for ev, err := range paused {
				if err != nil {
					return
				}
				if first {
					first = false
					close(held)
					select {
					case <-release:
					case <-ctx.Done():
						return
					}
				}
				cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			}
		}()
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: stage}}})
		return err
	}), chromedp.Evaluate[chromedp.Void](`(() => {
		window.__reads = 0;
		const json = Response.prototype.json;
		Response.prototype.json = function () {
			const p = json.call(this);
			if (this.url.includes("/fragments")) p.then(() => setTimeout(() => window.__reads++));
			return p;
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	return held, release
}

func waitHeld(t *testing.T, held chan struct{}, msg string) {
	t.Helper()
	select {
	case <-held:
	case <-time.After(ceiling):
		t.Fatal(msg)
	}
}

// extendSendsAgain sends a demo run's webhook again, as Extend does when
// the run changes: the pages showing it read it again.
func extendSendsAgain(t *testing.T, s *server, runID string) {
	t.Helper()
	runs, err := demo.Runs(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == runID {
			s.send("evt_again_"+runID, review.EventRunNeedsReview, r.Payload)
			return
		}
	}
	t.Fatalf("no demo run %s", runID)
}
