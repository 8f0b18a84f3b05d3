package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestExtendUpdateAnyContentType: an update whose JSON body is sent with
// curl's default form content type is read as JSON, not swallowed as an
// empty form and answered "not a JSON object".
func TestExtendUpdateAnyContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	sup := token(t, e, review.RoleSupervisor)
	const path = "/workflow_runs/workflow_run_demo_aws_2026"
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(`{"metadata":{"erp":"posted"}}`))
	req.Header.Set("Authorization", "Bearer "+sup)
	req.Header.Set("x-extend-api-version", review.Version2026)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("update with a form content type: %s", resp.Status)
	}
	if _, _, got := extendCall(t, e, "GET", path, sup, review.Version2026, nil); got["metadata"].(map[string]any)["erp"] != "posted" {
		t.Fatalf("metadata after the update: %v", got["metadata"])
	}
}

// TestExtendOddIDs: an id no run of Extend's can have (too long, or
// outside Extend's alphabet) is answered 404 in Extend's shape with a short
// sentence, never echoed back whole.
func TestExtendOddIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	tok := token(t, e, review.RoleAdmin)
	long := strings.Repeat("a", 64<<10)
	for _, path := range []string{"/workflow_runs/" + long, "/files/" + long, "/extract_runs/" + long, "/workflow_runs/%00%2F..%2Fx", "/split_runs/%E2%80%AE%FF"} {
		status, _, m := extendCall(t, e, "GET", path, tok, review.Version2026, nil)
		msg := errorBody(t, path[:20], m, "NOT_FOUND")
		if status != 404 || len(msg) > 200 || strings.Contains(msg, "aaaa") || strings.ContainsRune(msg, 0) {
			t.Errorf("%.40s: %d %.120q", path, status, msg)
		}
	}
}

// TestExtendList2025RunIn2026Shape: a run that arrived in 2025-04-21 is
// listed in a 2026-02-09 list in that version's WorkflowRunSummary shape,
// as the 2025 list translates the 2026 runs: a workflow with its object,
// and a workflowVersion naming its version, never the 2025 workflow with
// a null workflowVersion.
func TestExtendList2025RunIn2026Shape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleReviewer)
	status, _, m := extendCall(t, e, "GET", "/workflow_runs?workflowId=workflow_demo_legacy", tok, review.Version2026, nil)
	rows, _ := m["data"].([]any)
	if status != 200 || len(rows) != 1 {
		t.Fatalf("list: %d %v", status, m)
	}
	row := rows[0].(map[string]any)
	wf, _ := row["workflow"].(map[string]any)
	wv, _ := row["workflowVersion"].(map[string]any)
	if wf["object"] != "workflow" || wf["id"] != "workflow_demo_legacy" || wf["name"] != "Vendor invoices (legacy fields)" || wf["version"] != nil {
		t.Errorf("workflow: %v", row["workflow"])
	}
	if wv["object"] != "workflow_version" || wv["version"] != "7" {
		t.Errorf("workflowVersion: %v", row["workflowVersion"])
	}
}

// TestExtendUpdateWithOrigin: a metadata update from a client that sends
// Origin (a browser-like runtime, a proxy) is answered by the Extend API,
// in Extend's shape: a bearer token is no ambient credential, so the
// cross-origin check that guards the cookie-signed-in pages does not
// apply to it.
func TestExtendUpdateWithOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	sup := token(t, e, review.RoleSupervisor)
	for _, path := range []string{"/workflow_runs/workflow_run_demo_aws_2026", "/workflow_runs"} {
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(`{"metadata":{"erp":"posted"}}`))
		req.Header.Set("Authorization", "Bearer "+sup)
		req.Header.Set("x-extend-api-version", review.Version2026)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://erp.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 403}[path != "/workflow_runs"]; resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("POST %s with an Origin: %s %q", path, resp.Status, b)
		}
	}
}

// TestExtendCallNotServed: a call of Extend's API that reviewer does not
// serve (another resource, another method) is answered 404 in Extend's
// error shape, which the SDKs turn into NotFoundError, not with the HTML
// page a browser gets.
func TestExtendCallNotServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	tok := token(t, e, review.RoleAdmin)
	for _, c := range []struct{ method, path string }{{"GET", "/evaluation_sets"}, {"POST", "/files/upload"}, {"PATCH", "/workflow_runs/workflow_run_x"}} {
		status, h, m := extendCall(t, e, c.method, c.path, tok, review.Version2026, nil)
		if msg := errorBody(t, c.path, m, "NOT_FOUND"); status != 404 || h.Get("X-Request-Id") != m["requestId"] || !strings.Contains(msg, "api.extend.ai") {
			t.Errorf("%s %s: %d %v", c.method, c.path, status, m)
		}
	}
}

// TestTokenSchemeAnyCase: the Authorization scheme is case-insensitive
// (RFC 9110): "bearer rvw_…" signs in as "Bearer rvw_…" does.
func TestTokenSchemeAnyCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	tok := token(t, e, review.RoleReviewer)
	for _, scheme := range []string{"bearer", "BEARER"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/workflow_runs", nil)
		req.Header.Set("Authorization", scheme+" "+tok)
		req.Header.Set("x-extend-api-version", review.Version2026)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %s", scheme, resp.Status)
		}
	}
}
