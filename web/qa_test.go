package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

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
	e, rev := correctedAndApproved(t, 100)
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

// TestQABlindReadPaths: while a run waits for its blind check, the first
// review's values reach nobody but its first reviewer by any read: a
// search of the Decided page for a corrected value does not find the run
// (its id still does), and a reviewer's token is refused the run, its
// audit and its Extend-compatible reads with a sentence, and the runs
// where a field was corrected do not list it. A supervisor's
// token (a system downstream: exports, pulls of what was sent on) reads
// them; once checked, everyone does.
func TestQABlindReadPaths(t *testing.T) { pgtest.Each(t, testQABlindReadPaths) }

func testQABlindReadPaths(t *testing.T) {
	e, rev := correctedAndApproved(t, 100)
	if _, page := get(t, rev, e.srv.URL+"/decided?q=4777512345"); !strings.Contains(page, qh) {
		t.Fatalf("the first reviewer's search does not find their own run")
	}
	checker := e.signIn("checker@example.com", review.RoleSupervisor)
	if _, page := get(t, checker, e.srv.URL+"/decided?q=4777512345"); strings.Contains(page, qh) {
		t.Fatalf("a search for the corrected value finds the run waiting for QA")
	}
	if _, page := get(t, checker, e.srv.URL+"/decided?q="+qh); !strings.Contains(page, qh) {
		t.Fatalf("a search by the run's id does not find it")
	}
	corrections := e.srv.URL + "/dashboard/corrections?workflow=workflow_demo_legacy&path=customer_number"
	if _, page := get(t, checker, corrections); strings.Contains(page, qh) {
		t.Fatalf("the runs where customer_number was corrected list the run waiting for QA")
	}
	revTok, supTok := token(t, e, review.RoleReviewer), token(t, e, review.RoleSupervisor)
	reads := func(tok string) map[string]string {
		out := map[string]string{}
		for _, p := range []string{"/api/v1/runs/" + qh, "/api/v1/runs/" + qh + "/audit", "/workflow_runs/" + qh} {
			req, _ := http.NewRequest("GET", e.srv.URL+p, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("x-extend-api-version", "2025-04-21")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out[p] = resp.Status + " " + string(b)
		}
		return out
	}
	for p, got := range reads(revTok) {
		if strings.Contains(got, "4777512345") || !strings.HasPrefix(got, "403") || !strings.Contains(got, "blind QA check") {
			t.Errorf("%s by a reviewer's token while the run waits for QA: %.300s", p, got)
		}
	}
	for p, got := range reads(supTok) {
		if !strings.HasPrefix(got, "200") || !strings.Contains(got, "4777512345") {
			t.Errorf("%s by a supervisor's token: %.300s", p, got)
		}
	}
	if resp, body := postForm(t, checker, e.srv.URL+"/qa/"+qh, url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("check: %s %s", resp.Status, body)
	}
	for p, got := range reads(revTok) {
		if !strings.HasPrefix(got, "200") || !strings.Contains(got, "4777512345") {
			t.Errorf("%s by a reviewer's token once checked: %.300s", p, got)
		}
	}
	if _, page := get(t, checker, e.srv.URL+"/decided?q=4777512345"); !strings.Contains(page, qh) {
		t.Fatalf("once checked, a search for the corrected value does not find the run")
	}
	if _, page := get(t, checker, corrections); !strings.Contains(page, qh) {
		t.Fatalf("once checked, the runs where customer_number was corrected do not list the run")
	}
}

// TestAccuracyAdviceWaitsForSamples: one decided run advises no threshold
// (its 100% is 20.7% at worst): the page says how many more decided runs
// the advice needs, and a field corrected in it that no rate above a
// threshold can reach 99% on says so.
func TestAccuracyAdviceWaitsForSamples(t *testing.T) {
	pgtest.Each(t, testAccuracyAdviceWaitsForSamples)
}

func testAccuracyAdviceWaitsForSamples(t *testing.T) {
	e, _ := correctedAndApproved(t, 0)
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	_, page := get(t, sup, e.srv.URL+"/accuracy")
	if strings.Contains(page, "send runs below") || !strings.Contains(page, "needs 380 more decided runs") ||
		!strings.Contains(page, "No confidence threshold reaches 99% on customer_number") {
		t.Fatalf("the advice on one decided run:\n%s", page)
	}
}

// correctedAndApproved has the first reviewer correct the customer number
// of the legacy invoice to 4777512345 and approve it, with sample percent
// of its workflow drawn for QA.
func correctedAndApproved(t *testing.T, sample int) (*env, *http.Client) {
	t.Helper()
	e, rev := editEnv(t)
	if err := e.store.SetQARule(context.Background(), review.QARule{WorkflowID: "workflow_demo_legacy", SamplePercent: sample}); err != nil {
		t.Fatal(err)
	}
	if code, body := edit(t, e, rev, map[string]any{"outputId": "dpr_demo_qh_extract", "path": "customer_number", "text": "4777512345", "version": 0}); code != 200 {
		t.Fatalf("edit: %d %v", code, body)
	}
	if resp, body := postForm(t, rev, e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %s %s", resp.Status, body)
	}
	return e, rev
}

// TestQAFormRows: the check's form posts a list's rows as the checker left
// them, offers the classifier's classes (the model's chosen) and the
// splitter's sub-documents as rows; a check refused for a bad cell comes
// back with those rows (the added ones marked new, what was typed in them
// kept) and the class chosen, a row list that is not row numbers is
// answered with a sentence, and the check then records the list and the
// sub-documents as left and the class as right or wrong.
func TestQAFormRows(t *testing.T) { pgtest.Each(t, testQAFormRows) }

func testQAFormRows(t *testing.T) {
	e, _ := correctedAndApproved(t, 100)
	checker := e.signIn("checker@example.com", review.RoleReviewer)
	const ex = "dpr_demo_qh_extract"
	const classifier = "v|dpr_demo_qh_classify|class"
	if _, page := get(t, checker, e.srv.URL+"/qa/"+qh); !strings.Contains(page, `<select name="`+classifier+`"`) ||
		!strings.Contains(page, `<option value="invoice" selected>`) || !strings.Contains(page, `<option value="credit_note">`) ||
		!strings.Contains(page, `name="v|dpr_demo_qh_split|splits[0].endPage" value="2"`) || !strings.Contains(page, `name="rows|dpr_demo_qh_split|splits" value="0"`) {
		t.Fatalf("the form's class and sub-documents:\n%s", page)
	}
	form := url.Values{
		classifier:                                {"credit_note"},
		"rows|dpr_demo_qh_split|splits":           {"0,new"},
		"v|dpr_demo_qh_split|splits[1].type":      {"invoice"},
		"v|dpr_demo_qh_split|splits[1].startPage": {"2"},
		"v|dpr_demo_qh_split|splits[1].endPage":   {"2"},
		"v|dpr_demo_qh_split|splits[0].endPage":   {"1"},
		"rows|" + ex + "|line_items":              {"0,1,2,3,4,5,new"},
		"v|" + ex + "|line_items[6].description":  {"Domain renewal"},
		"v|" + ex + "|line_items[6].quantity":     {"lots"},
	}
	resp, page := postForm(t, checker, e.srv.URL+"/qa/"+qh, form)
	if resp.StatusCode != http.StatusBadRequest || strings.Count(page, "data-qa-row") != 7+2 || !strings.Contains(page, `data-from="new"`) ||
		!strings.Contains(page, `value="lots"`) || !strings.Contains(page, `value="0,1,2,3,4,5,new"`) || strings.Contains(page, "OUDJQ_office") ||
		!strings.Contains(page, `<option value="credit_note" selected>`) || strings.Count(page, `data-from="new"`) != 2 ||
		!strings.Contains(page, `name="v|dpr_demo_qh_split|splits[1].startPage" value="2"`) {
		t.Fatalf("a refused check with rows changed: %s\n%s", resp.Status, page)
	}
	if resp, page := postForm(t, checker, e.srv.URL+"/qa/"+qh, url.Values{"rows|" + ex + "|line_items": {"0,x"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "The rows of a list are the model&#39;s row numbers") {
		t.Fatalf("rows 0,x: %s\n%s", resp.Status, page)
	}
	form.Set("v|"+ex+"|line_items[6].quantity", "2")
	if resp, body := postForm(t, checker, e.srv.URL+"/qa/"+qh, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the check: %s %s", resp.Status, body)
	}
	q, err := e.store.QASample(context.Background(), qh)
	if err != nil {
		t.Fatal(err)
	}
	var items, class, splits review.QAField
	for _, f := range q.Fields {
		switch f.Path {
		case "line_items":
			items = f
		case review.PathClass:
			class = f
		case review.PathSplits:
			splits = f
		}
	}
	if splits.Total != 6 || splits.ModelCorrect != 2 || !strings.Contains(string(splits.QA), `"startPage":2`) {
		t.Fatalf("the sub-documents checked: %+v %s", splits, splits.QA)
	}
	if class.OutputID != "dpr_demo_qh_classify" || class.ModelCorrect != 0 || class.FirstCorrect != 0 || string(class.QA) != `"credit_note"` {
		t.Fatalf("the class checked: %+v", class)
	}
	if items.Total != 21 || items.ModelCorrect != 18 || !strings.Contains(string(items.QA), "Domain renewal") {
		t.Fatalf("the line items checked: %+v, %s", items, items.QA)
	}
}

// TestQARuleRefusedBesideTheForm: a QA rule naming a field the workflow's
// runs never had is refused on the accuracy page, beside its form, with a
// sentence naming the fields there are and the form as it was typed; the
// field spelt right is kept.
func TestQARuleRefusedBesideTheForm(t *testing.T) { pgtest.Each(t, testQARuleRefusedBesideTheForm) }

func testQARuleRefusedBesideTheForm(t *testing.T) {
	e, _ := editEnv(t)
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	resp, page := postForm(t, sup, e.srv.URL+"/accuracy/rules", url.Values{"workflowId": {"workflow_demo_legacy"}, "samplePercent": {"7"}, "fields": {"custmer_number"}})
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	refused := ""
	for n := range nodes(doc, func(n *html.Node) bool { return hasAttr(n, "data-qa-rule-refused") }) {
		refused = n.FirstChild.Data
	}
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(refused, "custmer_number is not a field") || !strings.Contains(refused, "customer_number") {
		t.Fatalf("a rule on a misspelt field: %s, refused with %q", resp.Status, refused)
	}
	if !strings.Contains(page, `value="custmer_number"`) || !strings.Contains(page, `value="7"`) {
		t.Fatalf("the form lost what was typed:\n%s", page)
	}
	if resp, body := postForm(t, sup, e.srv.URL+"/accuracy/rules", url.Values{"workflowId": {"workflow_demo_legacy"}, "samplePercent": {"7"}, "fields": {"customer_number"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a rule on a field of the workflow: %s %s", resp.Status, body)
	}
	if kept, _ := e.store.QARule(context.Background(), "workflow_demo_legacy"); kept.SamplePercent != 7 || len(kept.Fields) != 1 {
		t.Fatalf("the rule kept: %+v", kept)
	}
}
