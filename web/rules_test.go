package web_test

import (
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

// TestValidationRulesSettings: an admin's rule with an error is refused
// with its place and shown again as typed; a rule is tried on the
// workflow's newest run before it is kept; a kept rule is in the admin log;
// and a completed run that fails a blocking rule is routed to review.
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
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := admin.PostForm(e.srv.URL+"/admin/rules", form)
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
	if status != http.StatusOK || !strings.Contains(page, "On workflow_run_demo_qh_2025: it holds.") {
		t.Fatalf("trying a rule: %d", status)
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
	if log, _ := e.store.AdminLog(t.Context(), 1); len(log) != 1 || log[0].Action != "set 1 validation rules" {
		t.Fatalf("admin log = %+v", log)
	}
	_, page = get(t, admin, e.srv.URL+"/admin/settings")
	if !strings.Contains(page, `value="lines add up"`) {
		t.Fatal("the settings page does not show the kept rule")
	}

	// Routing: completed runs of this workflow that fail a blocking rule
	// go to review; one that passes goes straight through.
	resp, err := admin.PostForm(e.srv.URL+"/admin/settings", url.Values{"workflow": {"workflow_demo_legacy"}, "failing_rules": {"1"}})
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
}
