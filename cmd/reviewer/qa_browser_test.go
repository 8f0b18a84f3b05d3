package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// runAWSJuly is a demo run Ben decided, correcting its purchase order: a
// correction of a field the demo's QA rule always checks.
const runAWSJuly = "workflow_run_demo_aws_july_2026"

// TestQABlindCheck: in the demo, the QA queue lists runs a reviewer
// decided; a second reviewer opens one and sees the model's values only
// (Ben's correction nowhere on the page), types their own value with real
// keys and records the check with Ctrl+Enter (Enter goes to the next field); then the page shows Ben's value
// beside theirs, marked as differing, and the API and the accuracy page
// count the check with its sample size.
func TestQABlindCheck(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("quinn@example.com", review.RoleReviewer)
	s.user("sam@example.com", review.RoleSupervisor)
	before := reviewedPO(t, s) // the demo's measured weeks checked it too
	ctx := browser(t)
	signIn(t, ctx, s.base, "quinn@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/qa"), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('[data-run-id="`+runAWSJuly+`"] a')`, "the QA queue lists Ben's run")
	waitFor(t, ctx, `!!document.querySelector('[data-run-id="workflow_run_demo_qh_june_2025"]') === false`, "the demo's checked run has left the queue")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-run-id="`+runAWSJuly+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-qa-form] [data-field="purchase_order"]`)),
		settled(),
	); err != nil {
		t.Fatal(err)
	}
	blind, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.body.innerText.includes("PO-2014-0817") &&
		![...document.querySelectorAll("input")].some((i) => i.value.includes("PO-2014-0817")) &&
		!document.querySelector('main a[href^="/runs/"]')`))
	if !blind {
		t.Fatal("the first reviewer's value, or a link to the run's page that shows it, is there before the check")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-field="purchase_order"]`)),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`),
	); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "PO-2014-0818")
	// Enter goes to the next field, as on the run page: the check is
	// recorded once, and not before every field is looked at.
	press(t, ctx, "\n")
	waitFor(t, ctx, `document.activeElement !== document.querySelector('[data-field="purchase_order"]') && !!document.activeElement.closest("[data-qa-form]")`, "Enter did not go to the next field")
	if n := js(t, ctx, `String(document.querySelectorAll("[data-qa-result]").length)`); n != "0" {
		t.Fatal("Enter recorded the check")
	}
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `!!document.querySelector('[data-qa-result] [data-qa-field="purchase_order"][data-agrees="false"]')`, "the check shows the purchase order differing")
	shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-qa-field="purchase_order"]').innerText`))
	if !strings.Contains(shown, "PO-2014-0817") || !strings.Contains(shown, "PO-2014-0818") {
		t.Fatalf("the comparison reads %q, want Ben's value beside Quinn's", shown)
	}

	var sample struct {
		CheckedBy string           `json:"checkedBy"`
		FirstBy   string           `json:"firstBy"`
		Fields    []review.QAField `json:"fields"`
	}
	json.Unmarshal(supervisorGet(t, s, "/api/v1/qa/"+runAWSJuly), &sample)
	var po *review.QAField
	for i := range sample.Fields {
		if sample.Fields[i].Path == "purchase_order" {
			po = &sample.Fields[i]
		}
	}
	if sample.CheckedBy != "quinn@example.com" || sample.FirstBy != "ben@example.com" || po == nil || po.FirstCorrect != 0 || string(po.QA) != `"PO-2014-0818"` {
		t.Fatalf("the API's check: %+v, purchase order %+v", sample, po)
	}
	if reviewed := reviewedPO(t, s); reviewed.Samples != before.Samples+1 || reviewed.Correct != before.Correct {
		t.Fatalf("the API's accuracy of the reviewed purchase order: %+v, before the check %+v", reviewed, before)
	}
	if csv := string(supervisorGet(t, s, "/api/v1/exports/qa.csv")); !strings.Contains(csv, runAWSJuly+",") || !strings.Contains(csv, ",purchase_order,") ||
		!strings.Contains(csv, "PO-2014-0817,PO-2014-0818") {
		t.Fatalf("the QA export lacks the check:\n%s", csv)
	}
	resp, err := s.client("sam@example.com").Get(s.base + "/accuracy")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte(`data-accuracy-field="purchase_order"`)) || !bytes.Contains(page, []byte("1 sample)")) {
		t.Fatalf("the accuracy page does not show the check with its sample size")
	}
}

// reviewedPO is the API's accuracy of the reviewed purchase orders of the
// demo's JSON Schema invoices.
func reviewedPO(t *testing.T, s *server) review.Rate {
	t.Helper()
	var acc review.Accuracy
	json.Unmarshal(supervisorGet(t, s, "/api/v1/accuracy?workflowId=workflow_demo_invoices"), &acc)
	for _, w := range acc.Workflows {
		for _, f := range w.Fields {
			if f.Path == "purchase_order" {
				return f.Reviewed
			}
		}
	}
	return review.Rate{}
}

// supervisorGet reads an API path with a supervisor's token.
func supervisorGet(t *testing.T, s *server, path string) json.RawMessage {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", s.data, "--name", "supervisor", "--role", "supervisor"}, noEnv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	return b
}

// TestQACheckRows: checking Ben's run, Quinn finds a line the model missed
// and one it invented: in the form, Alt+= in the first row adds a row after
// it, typed with real keys, and Alt+Delete in the last row removes it; the
// help lists both keys. Ctrl+Enter records the check, and the API's QA record
// holds the list as Quinn left it, scored as Extend scores arrays: 3 of
// the model's 4 rows right, 6 of 8 cells.
func TestQACheckRows(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("quinn@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "quinn@example.com")
	cell := func(path string) string { return `[data-qa-form] input[data-field="` + path + `"]` }
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/qa/"+runAWSJuly), chromedp.WaitVisible(chromedp.CSS(cell("line_items[3].description"))), settled()); err != nil {
		t.Fatal(err)
	}
	rows := `document.querySelectorAll('[data-qa-list="line_items"] [data-qa-row]').length`
	press(t, ctx, "?")
	waitFor(t, ctx, `document.querySelector("#help-dialog[open]")?.innerText.includes("remove this row: the model invented it") &&
		document.querySelector("#help-dialog[open]").innerText.includes("add a row the model missed")`, "the help lists the row keys")
	press(t, ctx, kb.Escape)
	waitFor(t, ctx, `!document.querySelector("dialog[open]")`, "the help closed")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(cell("line_items[0].amount")))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "=", chromedp.ModifierAlt)
	waitFor(t, ctx, rows+` === 5 && document.activeElement.dataset.field === "line_items[1].description"`, "Alt+= added no row after the first, with its first cell focused")
	typeText(t, ctx, "AWS Support")
	press(t, ctx, kb.Tab)
	typeText(t, ctx, "3.00")
	// The row the model invented, now the last.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(cell("line_items[4].description")))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Delete, chromedp.ModifierAlt)
	waitFor(t, ctx, rows+` === 4 && !document.body.innerHTML.includes("Amazon Simple Storage Service")`, "Alt+Delete removed no row")
	if got := js(t, ctx, `document.querySelector('[data-qa-list="line_items"] [data-rows]').value`); got != "0,new,1,2" {
		t.Fatalf("the form's rows read %q, want 0,new,1,2", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(cell("line_items[1].amount")))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `!!document.querySelector('[data-qa-result] [data-qa-field="line_items"][data-agrees="false"]')`, "the check shows the line items differing")

	var sample struct {
		CheckedBy string           `json:"checkedBy"`
		Fields    []review.QAField `json:"fields"`
	}
	json.Unmarshal(supervisorGet(t, s, "/api/v1/qa/"+runAWSJuly), &sample)
	var items review.QAField
	for _, f := range sample.Fields {
		if f.Path == "line_items" {
			items = f
		}
	}
	var list []struct {
		Description string  `json:"description"`
		Amount      float64 `json:"amount"`
	}
	if err := json.Unmarshal(items.QA, &list); err != nil || sample.CheckedBy != "quinn@example.com" || len(list) != 4 ||
		list[1].Description != "AWS Support" || list[1].Amount != 3 || list[3].Description != "Amazon Glacier" {
		t.Fatalf("the API's check of the line items: %s (%v), by %q", items.QA, err, sample.CheckedBy)
	}
	if items.Total != 8 || items.ModelCorrect != 6 || items.FirstCorrect != 6 {
		t.Fatalf("the line items scored %d (model) and %d (Ben) of %d, want 6 and 6 of 8", items.ModelCorrect, items.FirstCorrect, items.Total)
	}
}

// TestQACheckEditsEveryType: the blind check's form edits each field with
// the editor the run page has for its type (review.FieldTypes): a
// signature as signed-or-not, a name, a title and a date, not its JSON; an
// amount and its currency; yes or no and an enum's options as choices.
// Quinn signs the approver's signature with real keys and records the
// check with Ctrl+Enter: the API holds the signature as a value, the fields
// left alone are the model's, and the comparison reads the signature's
// parts.
func TestQACheckEditsEveryType(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("quinn@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "quinn@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/qa/"+runAWSJuly), chromedp.WaitVisible(chromedp.CSS(`[data-qa-form] [data-field="approver_signature"]`)), settled()); err != nil {
		t.Fatal(err)
	}
	// One field of each type the run page edits, in Ben's AWS invoice.
	fields := map[review.FieldType]string{
		review.TypeString: "invoice_number", review.TypeNumber: "line_items[0].amount", review.TypeDate: "invoice_date",
		review.TypeBoolean: "tax_included", review.TypeEnum: "billing_period", review.TypeCurrency: "total",
		review.TypeSignature: "approver_signature",
	}
	for _, ti := range review.FieldTypes() {
		path, ok := fields[ti.Type]
		switch {
		case ti.Editor == review.EditNone || ti.Type == review.TypeNull:
			continue // containers are edited by their fields; null is text, as a string is
		case !ok:
			t.Fatalf("no field of type %s is checked here", ti.Type)
		}
		got := js(t, ctx, `(() => { const e = document.querySelector('[data-qa-form] [data-field="`+path+`"]'); return e.closest("[data-editor]")?.dataset.editor + " " + e.tagName; })()`)
		want := string(ti.Editor) + map[review.Editor]string{review.EditChoice: " SELECT", review.EditSignature: " SELECT"}[ti.Editor]
		if want == string(ti.Editor) {
			want += " INPUT"
		}
		if got != want {
			t.Errorf("%s (%s) is edited by %q in the QA form, want %q as on the run page", path, ti.Type, got, want)
		}
	}
	if got := js(t, ctx, `[...document.querySelectorAll("[data-qa-form] input")].filter((i) => /^\s*[{\[]/.test(i.value)).map((i) => i.name).join(" ")`); got != "" {
		t.Fatalf("the QA form shows JSON in %s", got)
	}
	if got := js(t, ctx, `["tax_included", "billing_period", "total"].map((p) => document.querySelector('[data-qa-form] [data-field="' + p + '"]').value).join(" ") + " " + document.querySelector('[name="code|exr_demo_aws_july|total"]').value`); got != "false MONTHLY 4.11 USD" {
		t.Fatalf("the form's yes/no, option, amount and currency read %q", got)
	}
	if t.Failed() {
		return
	}

	// A click would open the choice's list: the keyboard comes to it.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`[data-qa-form] [data-field="approver_signature"]`))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.ArrowUp)
	waitFor(t, ctx, `document.activeElement.value === "true"`, "ArrowUp chose no Signed")
	for _, part := range []string{"Jeff Bezos", "CEO", "3 July 2014"} {
		press(t, ctx, kb.Tab)
		typeText(t, ctx, part)
	}
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `!!document.querySelector('[data-qa-result] [data-qa-field="approver_signature"][data-agrees="false"]')`, "the check shows the signature differing")
	if shown := js(t, ctx, `document.querySelector('[data-qa-field="approver_signature"]').innerText`); strings.Contains(shown, "{") ||
		!strings.Contains(shown, "signed, Jeff Bezos, CEO, 2014-07-03") || !strings.Contains(shown, "not signed") {
		t.Fatalf("the comparison reads %q, want the signature's parts", shown)
	}

	var sample struct {
		Fields []review.QAField `json:"fields"`
	}
	json.Unmarshal(supervisorGet(t, s, "/api/v1/qa/"+runAWSJuly), &sample)
	got := map[string]review.QAField{}
	for _, f := range sample.Fields {
		got[f.Path] = f
	}
	sig := got["approver_signature"]
	if !review.SameValue(sig.QA, json.RawMessage(`{"is_signed":true,"printed_name":"Jeff Bezos","title_or_role":"CEO","signature_date":"2014-07-03"}`)) ||
		sig.ModelCorrect != 0 || sig.FirstCorrect != 0 {
		t.Fatalf("the API's signature: %s (model right %d, Ben right %d)", sig.QA, sig.ModelCorrect, sig.FirstCorrect)
	}
	for _, p := range []string{"invoice_number", "invoice_date", "tax_included", "billing_period", "total"} {
		if f := got[p]; f.ModelCorrect != 1 || !review.SameValue(f.QA, f.Model) {
			t.Errorf("%s, left as the model had it, was checked as %s against the model's %s", p, f.QA, f.Model)
		}
	}
}

// TestQARuleNamesKnownFields: on the Accuracy page, Sam gives the legacy
// vendor invoices a QA rule by keyboard and misspells a field: Enter is
// answered beside the form with a sentence naming the fields the
// workflow's runs have had, and the form keeps what he typed; spelt right,
// with a list as a whole, the rule is kept and listed.
func TestQARuleNamesKnownFields(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("sam@example.com", review.RoleSupervisor)
	ctx := browser(t)
	signIn(t, ctx, s.base, "sam@example.com")
	form := `[data-qa-rule] `
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/accuracy"), chromedp.WaitVisible(chromedp.CSS(form+`[name="fields"]`)), settled(),
		chromedp.Focus(chromedp.CSS(form+`[name="workflowId"]`))); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "V") // Vendor invoices (legacy fields)
	waitFor(t, ctx, `document.activeElement.value === "workflow_demo_legacy"`, "typing V chose no legacy workflow")
	press(t, ctx, kb.Tab)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "10")
	press(t, ctx, kb.Tab)
	typeText(t, ctx, "custmer_number")
	press(t, ctx, "\n")
	waitFor(t, ctx, `document.querySelector("[data-qa-rule-refused]")?.textContent.includes("custmer_number is not a field the runs of workflow_demo_legacy have had")`, "the misspelt field was not refused beside the form")
	// The refused form has the keys again, in the field to correct.
	waitFor(t, ctx, `document.activeElement === document.querySelector('[data-qa-rule] [name="fields"]')`, "after the refusal the focus is not in the fields to correct")
	said := js(t, ctx, `document.querySelector("[data-qa-rule-refused]").textContent`)
	if !strings.Contains(said, "customer_number") || !strings.Contains(said, "line_items") {
		t.Fatalf("the refusal reads %q, want the workflow's fields named", said)
	}
	if kept := js(t, ctx, `["workflowId", "samplePercent", "fields"].map((n) => document.querySelector('[data-qa-rule] [name="' + n + '"]').value).join(" ")`); kept != "workflow_demo_legacy 10 custmer_number" {
		t.Fatalf("the refused form holds %q, not what was typed", kept)
	}
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(form+`[name="fields"]`)), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "customer_number, line_items")
	press(t, ctx, "\n")
	waitFor(t, ctx, `!document.querySelector("[data-qa-rule-refused]") && [...document.querySelectorAll("tr")].some((tr) => tr.innerText.includes("Vendor invoices (legacy fields)") && tr.innerText.includes("10%") && tr.innerText.includes("customer_number, line_items"))`,
		"the rule spelt right is not listed")
}
