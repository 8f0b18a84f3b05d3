package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestValidationRulesSettings: a supervisor's rule with an error is
// refused with its place and shown again as typed; a rule is tried on the
// workflow's newest run waiting for review, naming it and the values it
// fails on, before it is kept; a kept rule is in the admin log; a reviewer
// is refused the rules with a sentence; and a completed run that fails a
// blocking rule is routed to review.
func TestValidationRulesSettings(t *testing.T) { pgtest.Each(t, testValidationRulesSettings) }

func testValidationRulesSettings(t *testing.T) {
	e := newEnv(t, web.Config{})
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.process()
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := sup.PostForm(e.srv.URL+"/rules", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	rule := func(expr, action string) url.Values {
		return url.Values{"workflow": {"workflow_demo_legacy"}, "index": {""}, "name": {"lines add up"}, "severity": {"block"},
			"expr": {expr}, "message": {"The line amounts must add up to the total."}, "fields": {"total"}, "action": {action}}
	}
	status, page := post(rule("total.amount == sum(line_items.map(i, i.amout))", "save"))
	if status != http.StatusBadRequest || !strings.Contains(page, "line 1, column 41: amout is not a field of workflow_run_demo_qh_2025") {
		t.Fatalf("a misspelt key: %d", status)
	}
	status, page = post(rule("totl.amount == sum(line_items.map(i, i.amount))", "save"))
	if status != http.StatusBadRequest || !strings.Contains(page, "line 1, column 1: undeclared reference to &#39;totl&#39;") ||
		!strings.Contains(page, ">totl.amount == sum(line_items.map(i, i.amount))</textarea>") {
		t.Fatalf("an unknown field: %d, the error and the rule as typed are not on the page", status)
	}
	status, page = post(rule("total.amount == sum(line_items.map(i, i.amount))", "try"))
	if status != http.StatusOK || !strings.Contains(page, "On the newest run waiting for review, ") || !strings.Contains(page, "(workflow_run_demo_qh_2025): it holds.") {
		t.Fatalf("trying a rule: %d", status)
	}
	status, page = post(rule("total.amount > 100.0", "try"))
	if status != http.StatusOK || !strings.Contains(page, "(workflow_run_demo_qh_2025): it fails at total (34.73 ") || !strings.Contains(page, `data-tried tabindex="-1" autofocus`) {
		t.Fatalf("trying a failing rule: %d; the result does not say the value it failed on, or does not take the focus", status)
	}
	if rs, _ := e.store.Rules(t.Context(), "workflow_demo_legacy"); len(rs) != 0 {
		t.Fatalf("trying kept the rule: %+v", rs)
	}
	if status, _ = post(rule("total.amount == sum(line_items.map(i, i.amount))", "save")); status != http.StatusSeeOther {
		t.Fatalf("saving a rule: %d", status)
	}
	rs, _ := e.store.Rules(t.Context(), "workflow_demo_legacy")
	if len(rs) != 1 || rs[0].Severity != review.SeverityBlock || rs[0].Fields[0] != "total" {
		t.Fatalf("rules = %+v", rs)
	}
	if log, _ := e.store.AdminLog(t.Context(), 1); len(log) != 1 || log[0].Action != "set 1 validation rule" || log[0].Actor != "sup@example.com" {
		t.Fatalf("admin log = %+v", log)
	}
	_, page = get(t, sup, e.srv.URL+"/rules")
	if !strings.Contains(page, `value="lines add up"`) {
		t.Fatal("the rules page does not show the kept rule")
	}
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	if resp, page := get(t, rev, e.srv.URL+"/rules"); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "This page is for supervisors and above") {
		t.Fatalf("a reviewer opened the rules: %d", resp.StatusCode)
	}
	resp, err := rev.PostForm(e.srv.URL+"/rules", rule("true", "save"))
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a reviewer saved a rule: %v %v", resp, err)
	}
	resp.Body.Close()

	// Routing: completed runs of this workflow that fail a blocking rule
	// go to review; one that passes goes straight through.
	resp, err = admin.PostForm(e.srv.URL+"/admin/settings", url.Values{"workflow": {"workflow_demo_legacy"}, "failing_rules": {"1"}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("routing by rules: %v %v", resp, err)
	}
	resp.Body.Close()
	completed := func(id string, total string) []byte {
		p := strings.ReplaceAll(string(qh), "demo_qh", id)
		p = strings.Replace(p, `"status": "NEEDS_REVIEW"`, `"status": "PROCESSED"`, 1)
		return []byte(strings.ReplaceAll(p, `"amount": 34.73`, `"amount": `+total))
	}
	e.post(demo.Event("evt_bad", review.EventRunCompleted, completed("bad", "35.73")), secret, time.Now())
	e.post(demo.Event("evt_good", review.EventRunCompleted, completed("good", "34.73")), secret, time.Now())
	e.process()
	counts, err := e.store.RoutingCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c := counts["workflow_demo_legacy"]; c[review.RoutedRules] != 1 || c[review.RoutedAuto] != 1 {
		t.Fatalf("routing counts = %v", counts)
	}
	if run, err := e.store.Run(t.Context(), "workflow_run_bad_2025"); err != nil || run.Status != review.StatusNeedsReview {
		t.Fatalf("the run failing the rule: %v %v", run, err)
	}
	// The newest run went straight through; a rule is tried on the newest
	// one still waiting.
	status, page = post(rule("total.amount > 100.0", "try"))
	if status != http.StatusOK || !strings.Contains(page, "(workflow_run_bad_2025): it fails at total (35.73 ") {
		t.Fatalf("trying a rule after a run went straight through: %d", status)
	}
}

// TestHostileNumbersAndCostlyRules: a run whose list holds amounts written
// 1e999999 (50 here, 2,000 in review's test) is stored, not refused, its
// list marked unreadable on its page; a rule naming the total passes and
// one naming the list fails saying why, without reading it; an edit
// sending such amounts as a JSON value is refused with a sentence. A rule
// that runs past its cost is shown on the run as not checked, neither a
// pass nor a block, and on the settings page as too costly on that run.
func TestHostileNumbersAndCostlyRules(t *testing.T) {
	e := newEnv(t, web.Config{})
	const wf, id = "workflow_demo_legacy", "workflow_run_hostile_2025"
	rs := []review.Rule{
		{Name: "a total", Expr: "total.amount > 0", Message: "No total.", Severity: review.SeverityBlock},
		{Name: "lines add up", Expr: "total.amount == sum(line_items.map(i, i.amount))", Message: "The lines do not add up.", Severity: review.SeverityBlock},
		{Name: "squares", Expr: "[total.amount]" + strings.Repeat(".map(x, x * x)", 40) + "[0] > 0", Message: "m", Severity: review.SeverityBlock},
	}
	// Kept as a rule saved before its cost was known, or cheap on the runs it was tried on.
	if err := e.store.SetRules(t.Context(), wf, rs, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	hostile := "[" + strings.TrimSuffix(strings.Repeat(`{"description":"x","amount":1e999999},`, 50), ",") + "]"
	p, err := review.Splice(json.RawMessage(strings.ReplaceAll(string(qh), "demo_qh", "hostile")), []string{"outputs", "0", "output", "line_items", "value"}, json.RawMessage(hostile))
	if err != nil {
		t.Fatal(err)
	}
	e.post(demo.Event("evt_hostile", review.EventRunNeedsReview, p), secret, time.Now())
	e.process()
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	resp, page := get(t, rev, e.srv.URL+"/runs/"+id)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the run's page: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<span class="rule-note" data-unreadable>line_items holds 1e999999, which is not a number an invoice holds`,
		`<span class="muted">1 of 3 pass</span>`,
		`data-blocking="1"`,
		`(line_items holds 1e999999`, // why "lines add up" fails
		`data-rule-costly="squares"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the run's page lacks %s", want)
		}
	}

	b, _ := json.Marshal(map[string]any{"version": 0, "outputId": "dpr_hostile_extract", "path": "line_items", "value": json.RawMessage("[" + strings.Repeat(`{"amount":1e999999},`, 500) + `{"amount":1}]`)})
	req, _ := http.NewRequest("POST", e.srv.URL+"/runs/"+id+"/edits", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err = rev.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "line_items: 1e999999 is not a number an invoice holds") {
		t.Fatalf("an edit of amounts written 1e999999: %d %s", resp.StatusCode, body)
	}

	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	if _, page := get(t, sup, e.srv.URL+"/rules"); !strings.Contains(page, "Too costly on "+id+": a number it computes grew beyond") {
		t.Error("the rules page does not say the rule was too costly")
	}
}

// TestDecidedRunShowsTheRulesOfItsDecision: a decided run's page shows
// what the rules said when it was decided; a rule written since does not
// judge it.
func TestDecidedRunShowsTheRulesOfItsDecision(t *testing.T) {
	pgtest.Each(t, testDecidedRunShowsTheRulesOfItsDecision)
}

func testDecidedRunShowsTheRulesOfItsDecision(t *testing.T) {
	e, rev := editEnv(t)
	const wf = "workflow_demo_legacy"
	before := review.Rule{Name: "a total", Expr: "total.amount > 0", Message: "No total.", Severity: review.SeverityBlock}
	if err := e.store.SetRules(t.Context(), wf, []review.Rule{before}, "sup@example.com"); err != nil {
		t.Fatal(err)
	}
	resp, _ := rev.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %s", resp.Status)
	}
	later := review.Rule{Name: "a big total", Expr: "total.amount > 1000.0", Message: "Too small.", Severity: review.SeverityBlock, Fields: []string{"total"}}
	if err := e.store.SetRules(t.Context(), wf, []review.Rule{before, later}, "sup@example.com"); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, rev, e.srv.URL+"/runs/"+qh)
	if !strings.Contains(page, `<span class="muted">1 of 1 pass</span>`) || strings.Contains(page, "a big total") {
		t.Fatal("the decided run is judged by a rule written after its decision")
	}
}

// TestSetupStepsOnlyBeforeTheFirstRun: an admin's empty queue shows how to
// connect Extend while no run has arrived, not once the day's work has
// emptied it.
func TestSetupStepsOnlyBeforeTheFirstRun(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	if _, page := get(t, admin, e.srv.URL+"/"); !strings.Contains(page, "Connect Extend") {
		t.Fatal("a new instance's queue does not say how to connect Extend")
	}
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.process()
	resp, _ := admin.PostForm(e.srv.URL+"/runs/workflow_run_demo_qh_2025/approve", url.Values{"version": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %s", resp.Status)
	}
	if _, page := get(t, admin, e.srv.URL+"/"); strings.Contains(page, "Connect Extend") || !strings.Contains(page, "Nothing is waiting") {
		t.Fatal("a queue emptied by work shows the steps to connect Extend")
	}
}
