package main

import (
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestApprovalWaitsForAFailedSave: Ctrl+Enter while two saves are queued,
// the first refused and the second saved. The second save's answer swapped
// the fields in, which wiped the first field's red mark, so the approval
// found nothing marked and approved the run without what was typed in it.
// Nothing held on the page may be dropped by a decision: the approval stops
// and names the field; once it is corrected, the run goes downstream with
// it. The test holds the first save's request until both are queued.
func TestApprovalWaitsForAFailedSave(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	held, release := holdFirst(t, ctx, "*/edits*", fetch.RequestStageRequest)
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "31/31/2014")
	press(t, ctx, kb.Enter)
	waitHeld(t, held, "the date's save was not sent")
	focusField(t, ctx, "notes")
	typeText(t, ctx, "Checked with the vendor")
	press(t, ctx, kb.Enter)
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	close(release)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runQH)+` || document.querySelector("#save-state").textContent.startsWith("Not approved") && document.querySelector('.field[data-path="notes"] .ed').dataset.saved === "Checked with the vendor"`,
		"the approval was not answered")
	if id := js(t, ctx, `document.body.dataset.runId`); id != runQH {
		t.Fatalf("the run was approved with a field not saved: the page went on to %s", id)
	}
	if got := js(t, ctx, `(() => { const f = document.querySelector('.field[data-path="invoice_date"]'); return f.querySelector(".ed").value + " " + f.classList.contains("invalid"); })()`); got != "31/31/2014 true" {
		t.Fatalf("the refused date shows as %q (value, marked), want what was typed, marked", got)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st == `"PROCESSED"` {
		t.Fatalf("the run was approved with a field not saved")
	}
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "2014-05-31")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	approveByKey(t, ctx, runQH)
	reviewed := s.apiGet("/api/v1/runs/" + runQH)
	for path, want := range map[string]string{
		"outputs.0.reviewedOutput.invoice_date.value": `"2014-05-31"`,
		"outputs.0.reviewedOutput.notes.value":        `"Checked with the vendor"`,
	} {
		if got := at(t, reviewed, path); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}
