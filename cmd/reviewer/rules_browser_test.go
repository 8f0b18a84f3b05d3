package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// importRules gives the demo's workflows validation rules, through the
// command line as an operator would.
func importRules(t *testing.T, s *server, body string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rules", "import", "--data", s.data, file}, noEnv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestFailingSumBlocksApproval: a line item typed wrong makes the sum rule
// fail: the page says so beside the total and in the rules summary, the
// Approve button says approval waits, and Ctrl+Enter does not approve.
// Fixing the line item clears it, and Ctrl+Enter approves; what the rules
// said travels with the decision.
func TestFailingSumBlocksApproval(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	importRules(t, s, `{"workflow_demo_legacy": [{"name": "lines add up", "expr": "total.amount == sum(line_items.map(i, i.amount))",
		"message": "The line amounts must add up to the total.", "severity": "block", "fields": ["total"]},
		{"name": "amounts positive", "expr": "row.amount > 0", "each": "line_items", "fields": ["amount"], "message": "A line amount is not positive.", "severity": "warn"}]}`)
	ctx := openRun(t, s, "rev@example.com", runQH)
	summary := func() string {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#run-notices .checks")?.innerText + document.querySelector("#run-notices .checks")?.outerHTML`))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if got := summary(); !strings.Contains(got, "2 of 2 pass") {
		t.Fatalf("the rules summary before any change reads %q", got)
	}
	cell := "line_items[1].amount"
	focusField(t, ctx, cell)
	typeText(t, ctx, "5.93")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	waitFor(t, ctx, `!!document.querySelector('#run-notices [data-blocking="1"]')`, "the failing rule did not block approval")
	if got := summary(); !strings.Contains(got, "1 of 2 pass") || !strings.Contains(got, "Blocks approval") || !strings.Contains(got, "The line amounts must add up to the total.") {
		t.Fatalf("the rules summary reads %q", got)
	}
	note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.field[data-path="total"] .rule-note`)))
	if err != nil || note != "Blocks approval: The line amounts must add up to the total." {
		t.Fatalf("beside the total: %q %v", note, err)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-action="approve"]').getAttribute("aria-disabled")`)); v != "true" {
		t.Fatalf("the Approve button is aria-disabled=%q", v)
	}
	// Ctrl+Enter does not approve; it says why and goes to the field.
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `[...document.querySelectorAll("[role=status], [aria-live]")].some((e) => e.textContent.includes("Approval waits for the rules that fail"))`, "Ctrl+Enter did not say why it does not approve")
	if id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.runId`)); id != runQH {
		t.Fatalf("Ctrl+Enter left the run for %s", id)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"NEEDS_REVIEW"` {
		t.Fatalf("the API says %s after a blocked approval", st)
	}
	// The fix.
	focusField(t, ctx, cell)
	typeText(t, ctx, "5.39")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	waitFor(t, ctx, `!document.querySelector('#run-notices [data-blocking]') && document.querySelector('[data-action="approve"]').getAttribute("aria-disabled") === "false"`, "fixing the line item did not clear the rule")
	if got := summary(); !strings.Contains(got, "2 of 2 pass") {
		t.Fatalf("after the fix the rules summary reads %q", got)
	}
	approveByKey(t, ctx, runQH)
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"PROCESSED"` {
		t.Fatalf("the API says %s after the approval", st)
	}
}

// TestSupervisorOverridesARule: for a supervisor, approving a run whose
// blocking rule fails opens a dialog asking why; the note is kept with the
// decision, and the run is approved.
func TestSupervisorOverridesARule(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	importRules(t, s, `{"workflow_demo_invoices": [{"name": "has a PO", "expr": "purchase_order != null",
		"message": "Invoices need a purchase order.", "severity": "block", "fields": ["purchase_order"]}]}`)
	s.user("sup@example.com", review.RoleSupervisor)
	ctx := browser(t)
	signIn(t, ctx, s.base, "sup@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitVisible(chromedp.CSS(ed("invoice_number"))), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('#run-notices [data-blocking="1"]')`, "the failing rule is not shown")
	focusField(t, ctx, "invoice_number")
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.getElementById("override-dialog")?.open && document.activeElement.id === "overrideNote"`, "Ctrl+Enter did not ask the supervisor why")
	// The dialog says which rule the approval goes over, read with the question.
	if said := js(t, ctx, `document.getElementById(document.activeElement.getAttribute("aria-describedby")).innerText`); said != "has a PO: Invoices need a purchase order." {
		t.Fatalf("the override dialog says %q of the rule it goes over", said)
	}
	typeText(t, ctx, "PO sent separately by the vendor")
	press(t, ctx, kb.Tab) // Cancel
	press(t, ctx, kb.Tab) // Approve
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); !strings.HasPrefix(f, "Approve") {
		t.Fatalf("Tab went to %q, not the dialog's Approve", f)
	}
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runAWS), "the override did not approve")
	if st := at(t, s.apiGet("/api/v1/runs/"+runAWS), "status"); st != `"PROCESSED"` {
		t.Fatalf("the API says %s", st)
	}
	// The decision's history entry keeps the note and what the rule said.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitReady(chromedp.CSS("#audit")), settled()); err != nil {
		t.Fatal(err)
	}
	trail, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("audit").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trail, "PO sent separately by the vendor") || !strings.Contains(trail, "has a PO") {
		t.Fatalf("the history reads %q", trail)
	}
}

// TestRulesShowThemselves: a failing blocking rule is shown in the rules
// box, with the value it read, beside the warning; a supervisor keeps the
// rules, and "Try on the newest run", pressed by keyboard, tries the
// newest run still waiting, names it, and its result takes the focus
// where the person is looking.
func TestRulesShowThemselves(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	importRules(t, s, `{"workflow_demo_legacy": [{"name": "a big total", "expr": "total.amount > 1000.0",
		"message": "Totals below 1,000 go to the small-order desk.", "severity": "block", "fields": ["total"]},
		{"name": "big lines", "expr": "row.amount > 100.0", "each": "line_items", "fields": ["amount"], "message": "A line is small.", "severity": "warn"}]}`)
	ctx := openRun(t, s, "rev@example.com", runQH)
	waitFor(t, ctx, `(() => { const li = document.querySelector('#run-notices .checks li[data-rule="a big total"]'); return !!li && li.checkVisibility() && li.getBoundingClientRect().height > 0; })()`,
		"the failing blocking rule is not shown in the rules box")
	box := js(t, ctx, `document.querySelector("#run-notices .checks").innerText`)
	if !strings.Contains(box, "0 of 2 pass") || !strings.Contains(box, "a big total") || !strings.Contains(box, "at total (34.73") || !strings.Contains(box, "big lines") {
		t.Fatalf("the rules box reads %q", box)
	}

	s.user("sup@example.com", review.RoleSupervisor)
	sup := browser(t)
	signIn(t, sup, s.base, "sup@example.com")
	try := `#rule-workflow_demo_legacy-0 button[value="try"]`
	if err := chromedp.Do(sup, chromedp.Navigate(s.base+"/rules"), chromedp.WaitVisible(chromedp.CSS(try)), chromedp.Focus(chromedp.CSS(try))); err != nil {
		t.Fatal(err)
	}
	press(t, sup, kb.Enter)
	waitFor(t, sup, `document.activeElement?.hasAttribute("data-tried") && document.readyState === "complete"`, "the result of trying the rule did not take the focus")
	waitFor(t, sup, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`, "the result of trying the rule is not where the person looks")
	said := js(t, sup, `document.activeElement.textContent`)
	m := regexp.MustCompile(`^On the newest run waiting for review, .*\((workflow_run_\w+)\): it fails at total \(`).FindStringSubmatch(said)
	if m == nil {
		t.Fatalf("trying the rule says %q", said)
	}
	if st := at(t, s.apiGet("/api/v1/runs/"+m[1]), "status"); st != `"NEEDS_REVIEW"` {
		t.Fatalf("the rule was tried on %s, which is %s", m[1], st)
	}
}

// TestOverrideButtonStopsAtARefusedField: the supervisor's "Approve
// anyway…" button is an approval: a field whose save was refused stops it,
// named, as Ctrl+Enter does (the button opened the dialog at once, and the
// override approved the run without what the field held).
func TestOverrideButtonStopsAtARefusedField(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	importRules(t, s, `{"workflow_demo_invoices": [{"name": "has a PO", "expr": "purchase_order != null",
		"message": "Invoices need a purchase order.", "severity": "block", "fields": ["purchase_order"]}]}`)
	s.user("sup@example.com", review.RoleSupervisor)
	ctx := browser(t)
	signIn(t, ctx, s.base, "sup@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitVisible(chromedp.CSS(ed("invoice_number"))), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('#run-notices [data-blocking="1"]')`, "the failing rule is not shown")
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "31/31/2014")
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_date"]').classList.contains("invalid")`, "the impossible date was not refused")
	// Refused, the field has the keys back with its text selected: typing
	// on replaces what was refused.
	waitFor(t, ctx, `(() => { const e = document.activeElement; return e.closest(".field")?.dataset.path === "invoice_date" && e.selectionStart === 0 && e.selectionEnd === e.value.length; })()`,
		"the refused field did not get the keys back with its text selected")
	// The button is in the notices at the top of the fields, as a person
	// scrolls back to it.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector(".outputs").scrollTop = 0`), chromedp.Click(chromedp.CSS(`[data-action="override"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#save-state").textContent.startsWith("Not approved: fix") && document.activeElement.closest(".field")?.dataset.path === "invoice_date"`,
		"the button did not stop at the refused field")
	if open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("override-dialog").open`)); open {
		t.Fatal("the override dialog opened over a refused field")
	}
	// Corrected, the button asks why, as before.
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "2014-08-31")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector(".outputs").scrollTop = 0`), chromedp.Click(chromedp.CSS(`[data-action="override"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.getElementById("override-dialog")?.open && document.activeElement.id === "overrideNote"`, "the button did not ask the supervisor why")
}
