package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestSuggestedSumRule: the check that line amounts add up to the total is
// a rule a supervisor adds, not one the page makes up. The rules page
// suggests it to a workflow whose fields it fits; until it is added a run
// whose lines do not add up says nothing of it; adding it (a warning, kept
// as any rule is) makes the run say so, and the suggestion is not offered
// again.
func TestSuggestedSumRule(t *testing.T) { pgtest.Each(t, testSuggestedSumRule) }

func testSuggestedSumRule(t *testing.T) {
	e := newEnv(t, web.Config{})
	// The lines add up to 34.73; the total says 35.73.
	e.needsReview("qualityhosting_2025.json", func(p string) string { return strings.ReplaceAll(p, `"amount": 34.73`, `"amount": 35.73`) })
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	const warning = "The line amounts do not add up to the total."
	runURL := e.srv.URL + "/runs/workflow_run_demo_qh_2025"
	if _, page := get(t, sup, runURL); strings.Contains(page, warning) || strings.Contains(page, "add up to 34.73") {
		t.Fatal("the run page checks the lines with no rule asking it to")
	}

	_, page := get(t, sup, e.srv.URL+"/rules")
	form := regexp.MustCompile(`(?s)<form[^>]*data-suggested="workflow_demo_legacy lines add up".*?</form>`).FindString(page)
	if !strings.Contains(page, "Suggested rules") || form == "" {
		t.Fatal("the rules page does not suggest the sum rule to the workflow")
	}
	if !strings.Contains(form, "sum(line_items.map(i, i.amount))") || !strings.Contains(form, "add up to the total") {
		t.Fatalf("the suggestion does not show its condition and why: %s", form)
	}
	sent := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)"`).FindAllStringSubmatch(form, -1) {
		sent.Set(m[1], html.UnescapeString(m[2]))
	}
	sent.Set("action", regexp.MustCompile(`<button type="submit" name="action" value="([a-z]+)"[^>]*>Add`).FindStringSubmatch(form)[1])
	resp, err := sup.PostForm(e.srv.URL+"/rules", sent)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding the suggestion: %d", resp.StatusCode)
	}
	rs, err := e.store.Rules(t.Context(), "workflow_demo_legacy")
	if err != nil || len(rs) != 1 || rs[0].Severity != review.SeverityWarn || rs[0].Name != "lines add up" {
		t.Fatalf("rules = %+v, %v", rs, err)
	}
	if _, page := get(t, sup, runURL); !strings.Contains(page, warning) {
		t.Fatal("the run whose lines do not add up does not say so once the rule is added")
	}
	if _, page := get(t, sup, e.srv.URL+"/rules"); strings.Contains(page, `data-suggested="workflow_demo_legacy lines add up"`) {
		t.Fatal("a rule the workflow has is still suggested")
	}
}

// needsReview sends a demo run, as edit changes its payload, as waiting
// for review, and waits until it is stored.
func (e *env) needsReview(file string, edit func(string) string) {
	e.t.Helper()
	p, err := demo.Payload(file)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp, body := e.post(demo.Event("evt_"+strings.TrimSuffix(file, ".json"), review.EventRunNeedsReview, []byte(edit(string(p)))), secret, time.Now()); resp.StatusCode != http.StatusOK {
		e.t.Fatalf("the webhook took %s: %d %v", file, resp.StatusCode, body)
	}
	e.process()
}
