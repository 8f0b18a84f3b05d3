package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestScorecardsAndAccuracyAccess: a reviewer's focused time is counted
// (a report beyond the bound refused with a sentence); a reviewer sees
// their own scorecard and nobody else's, and neither the accuracy page nor
// the QA rules; a supervisor sees everyone's, and the accuracy page and
// its live redraw state sample sizes; a bad period is answered in words.
func TestScorecardsAndAccuracyAccess(t *testing.T) { pgtest.Each(t, testScorecardsAndAccuracyAccess) }

func testScorecardsAndAccuracyAccess(t *testing.T) {
	e, rev := editEnv(t)
	if resp, body := postForm(t, rev, e.srv.URL+"/runs/"+qh+"/active", url.Values{"ms": {"45000"}}); resp.StatusCode != 204 {
		t.Fatalf("active time: %s %s", resp.Status, body)
	}
	if resp, body := postForm(t, rev, e.srv.URL+"/runs/"+qh+"/active", url.Values{"ms": {"3600000"}}); resp.StatusCode != 400 || !strings.Contains(body, "between 0 and 10m0s") {
		t.Fatalf("an hour in one report: %s %s", resp.Status, body)
	}
	if resp, _ := rev.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"0"}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %s", resp.Status)
	}
	other := e.signIn("other@example.com", review.RoleReviewer)
	if err := e.desk.Active(context.Background(), qh, "other@example.com", 1e9); err != nil {
		t.Fatal(err)
	}
	_, own := get(t, rev, e.srv.URL+"/scorecards")
	if !strings.Contains(own, `data-scorecard="rev@example.com"`) || strings.Contains(own, `data-scorecard="other@example.com"`) || !strings.Contains(own, "45s (1 runs)") {
		t.Fatalf("a reviewer's scorecards:\n%s", own)
	}
	if _, page := get(t, other, e.srv.URL+"/scorecards"); strings.Contains(page, `data-scorecard="rev@example.com"`) {
		t.Fatalf("a reviewer sees another's scorecard")
	}
	for _, path := range []string{"/accuracy", "/accuracy?part=body"} {
		if resp, _ := get(t, rev, e.srv.URL+path); resp.StatusCode != 403 {
			t.Fatalf("a reviewer opened %s: %s", path, resp.Status)
		}
	}
	if resp, _ := postForm(t, rev, e.srv.URL+"/accuracy/rules", url.Values{"workflowId": {"workflow_demo_legacy"}, "samplePercent": {"100"}}); resp.StatusCode != 403 {
		t.Fatalf("a reviewer set a QA rule: %s", resp.Status)
	}
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	_, all := get(t, sup, e.srv.URL+"/scorecards")
	if !strings.Contains(all, `data-scorecard="rev@example.com"`) || !strings.Contains(all, `data-scorecard="other@example.com"`) {
		t.Fatalf("a supervisor's scorecards lack someone:\n%s", all)
	}
	_, body := get(t, sup, e.srv.URL+"/accuracy?part=body")
	if strings.Contains(body, "<html") || !strings.Contains(body, `data-accuracy-field="customer_number"`) || !strings.Contains(body, "1 sample)") {
		t.Fatalf("the accuracy redraw:\n%s", body)
	}
	if resp, page := get(t, sup, e.srv.URL+"/accuracy?days=0"); resp.StatusCode != 400 || !strings.Contains(page, "days is a whole number from 1 to 366") {
		t.Fatalf("days=0: %s", resp.Status)
	}
	if resp, _ := postForm(t, sup, e.srv.URL+"/accuracy/rules", url.Values{"workflowId": {"workflow_demo_legacy"}, "samplePercent": {"25"}, "fields": {"line_items[0].amount, total"}}); resp.StatusCode != 303 {
		t.Fatalf("a supervisor's QA rule: %s", resp.Status)
	}
	if r, err := e.store.QARule(context.Background(), "workflow_demo_legacy"); err != nil || r.SamplePercent != 25 || strings.Join(r.Fields, ",") != "line_items[].amount,total" {
		t.Fatalf("the kept rule %+v %v", r, err)
	}
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestQARunPageBlind: while a decided run waits for its QA check, its run
// page and the page's fragments do not show a second person the first
// review's values: the page sends them to the blind check. The first
// reviewer still sees their run, and once it is checked everyone does.
func TestQARunPageBlind(t *testing.T) { pgtest.Each(t, testQARunPageBlind) }

func testQARunPageBlind(t *testing.T) {
	e, rev := editEnv(t)
	ctx := context.Background()
	if err := e.store.SetQARule(ctx, review.QARule{WorkflowID: "workflow_demo_legacy", SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	if code, body := edit(t, e, rev, map[string]any{"outputId": "dpr_demo_qh_extract", "path": "customer_number", "text": "4777512345", "version": 0}); code != 200 {
		t.Fatalf("edit: %d %v", code, body)
	}
	if resp, body := postForm(t, rev, e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %s %s", resp.Status, body)
	}
	if _, page := get(t, rev, e.srv.URL+"/runs/"+qh); !strings.Contains(page, "4777512345") {
		t.Fatalf("the first reviewer does not see their own value")
	}
	checker := e.signIn("checker@example.com", review.RoleSupervisor)
	resp, page := get(t, checker, e.srv.URL+"/runs/"+qh)
	if strings.Contains(page, "4777512345") || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/qa/"+qh {
		t.Fatalf("a second person opened the run waiting for QA: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	if resp, body := get(t, checker, e.srv.URL+"/runs/"+qh+"/fragments"); strings.Contains(body, "4777512345") || resp.StatusCode != http.StatusOK || !strings.Contains(body, "blind QA check") {
		t.Fatalf("the run's fragments while it waits for QA: %s %s", resp.Status, body)
	}
	if resp, body := postForm(t, checker, e.srv.URL+"/qa/"+qh, url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("check: %s %s", resp.Status, body)
	}
	if _, page := get(t, checker, e.srv.URL+"/runs/"+qh); !strings.Contains(page, "4777512345") {
		t.Fatalf("the checked run's page lacks the reviewed value")
	}
}
