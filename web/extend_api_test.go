package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// extendRun is a run the Extend-compatible API tests post, and what its
// list filters should find of it.
type extendRun struct {
	id, workflow, batch, file string
}

// extendRuns are demo payloads, some copied under other ids, given batch
// ids: two invoices and a bill in two batches, a mailroom packet, two
// letters, and a run of API version 2025-04-21.
var extendRuns = []struct {
	payload, tag, as, batch string
	run                     extendRun
}{
	{"aws_2026.json", "", "", "batch_1", extendRun{"workflow_run_demo_aws_2026", "workflow_demo_invoices", "batch_1", "AmazonWebServices.pdf"}},
	{"aws_2026.json", "demo_aws", "demo_awsb", "batch_1", extendRun{"workflow_run_demo_awsb_2026", "workflow_demo_invoices", "batch_1", "AmazonWebServices.pdf"}},
	{"fiber_2026.json", "", "", "batch_2", extendRun{"workflow_run_demo_fiber_2026", "workflow_demo_utilities", "batch_2", "free_fiber.pdf"}},
	{"packet_2026.json", "", "", "", extendRun{"workflow_run_demo_packet_2026", "workflow_demo_mailroom", "", "mailroom-packet-2015-12.pdf"}},
	{"story_2026.json", "", "", "batch_2", extendRun{"workflow_run_demo_story_2026", "workflow_demo_letters", "batch_2", "issue-848.pdf"}},
	{"article_2026.json", "", "", "", extendRun{"workflow_run_demo_article_2026", "workflow_demo_letters", "", "multicolumn.pdf"}},
	{"qualityhosting_2025.json", "", "", "", extendRun{"workflow_run_demo_qh_2025", "workflow_demo_legacy", "", "QualityHosting.pdf"}},
}

// extendPayload is a demo payload under another id and with a batch id.
func extendPayload(t *testing.T, name, tag, as, batch string) json.RawMessage {
	t.Helper()
	p, err := demo.Payload(name)
	if err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		p = bytes.ReplaceAll(p, []byte(tag), []byte(as))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil {
		t.Fatal(err)
	}
	if batch != "" {
		m["batchId"], _ = json.Marshal(batch)
	}
	out, _ := json.Marshal(m)
	return out
}

// postExtendRuns posts every extendRun as needing review, one after the
// other, and waits until they are applied.
func postExtendRuns(t *testing.T, e *env) {
	t.Helper()
	for i, r := range extendRuns {
		p := extendPayload(t, r.payload, r.tag, r.as, r.batch)
		if resp, b := e.post(demo.Event("evt_x"+strconv.Itoa(i), review.EventRunNeedsReview, p), secret, time.Now()); resp.StatusCode != 200 {
			t.Fatalf("post %s: %s %v", r.run.id, resp.Status, b)
		}
		e.process()
	}
}

// deliveringEnv is a reviewer with a destination, so decisions write
// deliveries, and the extendRuns posted.
func deliveringEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, web.Config{})
	if _, err := e.store.AddDestination(t.Context(), review.Destination{URL: "https://erp.example/hooks", Secret: "whsec_0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	postExtendRuns(t, e)
	return e
}

// decide approves or rejects a run as a supervisor.
func decide(t *testing.T, e *env, id string, approve bool) {
	t.Helper()
	rv, err := e.store.Review(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	v := desk.Verdict{Version: rv.Version, Approve: approve}
	if !approve {
		v.Note = "Not ours."
	}
	if err := e.desk.Decide(t.Context(), id, &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}, v); err != nil {
		t.Fatalf("decide %s: %v", id, err)
	}
}

// extendCall makes a call as Extend's SDKs do: a bearer token and the API
// version header (when version is not empty).
func extendCall(t *testing.T, e *env, method, path, token, version string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if version != "" {
		req.Header.Set("x-extend-api-version", version)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %s %q is not a JSON object", method, path, resp.Status, b)
	}
	return resp.StatusCode, resp.Header, m
}

func token(t *testing.T, e *env, role review.Role) string {
	t.Helper()
	tok, err := e.store.CreateToken(t.Context(), "erp-"+string(role), role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// listAll pages GET /workflow_runs?query to the end, size runs a page,
// and returns the runs' ids in the order listed. Every page but the last
// carries a nextPageToken, and the last none.
func listAll(t *testing.T, e *env, tok, query string, size int) []string {
	t.Helper()
	var ids []string
	next := ""
	for page := 0; ; page++ {
		q, _ := url.ParseQuery(query)
		q.Set("maxPageSize", strconv.Itoa(size))
		if next != "" {
			q.Set("nextPageToken", next)
		}
		status, _, m := extendCall(t, e, "GET", "/workflow_runs?"+q.Encode(), tok, review.Version2026, nil)
		data, _ := m["data"].([]any)
		if status != 200 || m["object"] != "list" || len(data) > size {
			t.Fatalf("%s page %d: %d %v", query, page, status, m)
		}
		for _, d := range data {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		tok, has := m["nextPageToken"].(string)
		if !has {
			return ids
		}
		if len(data) == 0 || page > 100 {
			t.Fatalf("%s: page %d is empty or the list does not end, yet has a nextPageToken", query, page)
		}
		next = tok
	}
}

// TestExtendListFilters pages GET /workflow_runs to the end with each
// filter, in each order, two runs a page: every run the filter names,
// once, in the order asked for.
func TestExtendListFilters(t *testing.T) { pgtest.Each(t, testExtendListFilters) }

func testExtendListFilters(t *testing.T) {
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	decide(t, e, "workflow_run_demo_awsb_2026", true)
	decide(t, e, "workflow_run_demo_fiber_2026", false)
	tok := token(t, e, review.RoleReviewer)
	status := map[string]string{"workflow_run_demo_awsb_2026": "PROCESSED", "workflow_run_demo_fiber_2026": "REJECTED"}

	// The order of every run, oldest first, by each sort key.
	order := map[string][]string{}
	for _, key := range []string{"createdAt", "updatedAt"} {
		ids := listAll(t, e, tok, "sortBy="+key+"&sortDir=asc", 1000)
		if len(ids) != len(extendRuns) {
			t.Fatalf("%s: %d runs, want %d: %v", key, len(ids), len(extendRuns), ids)
		}
		order[key] = ids
	}
	// Decided runs changed last.
	if u := order["updatedAt"]; !slices.Equal(u[len(u)-2:], []string{"workflow_run_demo_awsb_2026", "workflow_run_demo_fiber_2026"}) {
		t.Fatalf("by updatedAt: %v", u)
	}
	filters := []struct {
		query string
		match func(r extendRun) bool
	}{
		{"", func(extendRun) bool { return true }},
		{"status=NEEDS_REVIEW", func(r extendRun) bool { return status[r.id] == "" }},
		{"status=PROCESSED", func(r extendRun) bool { return status[r.id] == "PROCESSED" }},
		{"status=REJECTED", func(r extendRun) bool { return status[r.id] == "REJECTED" }},
		{"status=FAILED", func(extendRun) bool { return false }},
		{"workflowId=workflow_demo_letters", func(r extendRun) bool { return r.workflow == "workflow_demo_letters" }},
		{"batchId=batch_1", func(r extendRun) bool { return r.batch == "batch_1" }},
		{"batchId=batch_2", func(r extendRun) bool { return r.batch == "batch_2" }},
		{"fileNameContains=amazon", func(r extendRun) bool { return r.file == "AmazonWebServices.pdf" }},
		{"fileNameContains=.PDF", func(extendRun) bool { return true }},
		{"fileNameContains=_", func(r extendRun) bool { return strings.Contains(r.file, "_") }},
		{"batchId=batch_2&status=NEEDS_REVIEW", func(r extendRun) bool { return r.batch == "batch_2" && status[r.id] == "" }},
	}
	for _, f := range filters {
		for _, key := range []string{"updatedAt", "createdAt"} {
			for _, dir := range []string{"asc", "desc", ""} {
				query := strings.TrimPrefix(f.query+"&sortBy="+key+"&sortDir="+dir, "&")
				var want []string
				for _, id := range order[key] {
					for _, r := range extendRuns {
						if r.run.id == id && f.match(r.run) {
							want = append(want, id)
						}
					}
				}
				if dir != "asc" {
					slices.Reverse(want) // desc is the default
				}
				if got := listAll(t, e, tok, query, 2); !slices.Equal(got, want) {
					t.Errorf("%s:\n got %v\nwant %v", query, got, want)
				}
			}
		}
	}
	// updatedAt descending is the default order.
	want := slices.Clone(order["updatedAt"])
	slices.Reverse(want)
	if got := listAll(t, e, tok, "", 3); !slices.Equal(got, want) {
		t.Errorf("default order: %v", got)
	}
}

// TestExtendListStable: a list paged while runs arrive, are decided and
// updated under it continues where it stopped: every run that did not
// change exactly once, and none skipped. Sorted by updatedAt, either way,
// a run changed (or added) after the list began is met again (or first)
// after every run listed before, with its new state; by createdAt a run
// is never met twice, and one added is met only where it sorts still to
// be listed (ascending).
func TestExtendListStable(t *testing.T) { pgtest.Each(t, testExtendListStable) }

func testExtendListStable(t *testing.T) {
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleSupervisor)
	for _, sortBy := range []string{"updatedAt", "createdAt"} {
		for _, dir := range []string{"desc", "asc"} {
			t.Run(sortBy+" "+dir, func(t *testing.T) {
				q := "sortBy=" + sortBy + "&sortDir=" + dir + "&maxPageSize=2"
				_, _, m := extendCall(t, e, "GET", "/workflow_runs?"+q, tok, review.Version2026, nil)
				var seen []string
				for _, d := range m["data"].([]any) {
					seen = append(seen, d.(map[string]any)["id"].(string))
				}
				// Change a run listed already and one not yet, and add one.
				all := listAll(t, e, tok, q, 1000)
				pick := func(ids []string) string {
					for _, id := range ids {
						if id != "workflow_run_demo_qh_2025" { // 2025-04-21: updated in that version only
							return id
						}
					}
					t.Fatal("no run to change")
					return ""
				}
				listed, unlisted := pick(seen), pick(all[2:])
				for _, id := range []string{listed, unlisted} {
					if status, _, body := extendCall(t, e, "POST", "/workflow_runs/"+id, tok, review.Version2026, map[string]any{"metadata": map[string]any{"seen": sortBy + dir}}); status != 200 {
						t.Fatalf("update: %d %v", status, body)
					}
				}
				added := "workflow_run_demo_new" + sortBy + dir
				p := extendPayload(t, "story_2026.json", "demo_story_2026", strings.TrimPrefix(added, "workflow_run_"), "")
				e.post(demo.Event("evt_"+added, review.EventRunNeedsReview, p), secret, time.Now())
				e.process()
				next := m["nextPageToken"].(string)
				for next != "" {
					status, _, page := extendCall(t, e, "GET", "/workflow_runs?"+q+"&nextPageToken="+url.QueryEscape(next), tok, review.Version2026, nil)
					if status != 200 {
						t.Fatalf("next page: %d %v", status, page)
					}
					for _, d := range page["data"].([]any) {
						seen = append(seen, d.(map[string]any)["id"].(string))
					}
					next, _ = page["nextPageToken"].(string)
				}
				counts := map[string]int{}
				for _, id := range seen {
					counts[id]++
				}
				want := map[string]int{}
				for _, id := range all {
					want[id] = 1
				}
				if sortBy == "updatedAt" {
					want[listed] = 2 // met again with its change
				}
				if sortBy == "updatedAt" || dir == "asc" {
					want[added] = 1
				}
				for id, n := range want {
					if counts[id] != n {
						t.Errorf("%s listed %d times, want %d: %v", id, counts[id], n, seen)
					}
				}
				if len(seen) != func() (n int) {
					for _, c := range want {
						n += c
					}
					return n
				}() {
					t.Errorf("listed runs it should not have: %v", seen)
				}
			})
		}
	}
}

// TestExtendRetrieve reads a waiting, an approved and a rejected run: the
// waiting run as Extend sent it; a decided one as its decision sent it on
// (the delivery's payload), with its status, reviewer, time, note and end;
// dashboardUrl its page here.
func TestExtendRetrieve(t *testing.T) { pgtest.Each(t, testExtendRetrieve) }

func testExtendRetrieve(t *testing.T) {
	e := deliveringEnv(t)
	tok := token(t, e, review.RoleReviewer)
	decide(t, e, "workflow_run_demo_awsb_2026", true)
	decide(t, e, "workflow_run_demo_fiber_2026", false)
	deliveries, err := e.store.RecentDeliveries(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]map[string]any{}
	for _, d := range deliveries {
		var env struct{ Payload map[string]any }
		json.Unmarshal(d.Body, &env)
		delivered[d.RunID] = env.Payload
	}
	for _, c := range []struct {
		id, status, by, note string
	}{
		{"workflow_run_demo_aws_2026", "NEEDS_REVIEW", "", ""},
		{"workflow_run_demo_awsb_2026", "PROCESSED", "sup@example.com", ""},
		{"workflow_run_demo_fiber_2026", "REJECTED", "sup@example.com", "Not ours."},
	} {
		status, _, run := extendCall(t, e, "GET", "/workflow_runs/"+c.id, tok, review.Version2026, nil)
		if status != 200 || run["object"] != "workflow_run" || run["id"] != c.id || run["status"] != c.status {
			t.Fatalf("%s: %d %v", c.id, status, run)
		}
		if run["dashboardUrl"] != e.srv.URL+"/runs/"+c.id {
			t.Errorf("%s: dashboardUrl %v", c.id, run["dashboardUrl"])
		}
		var exr map[string]any
		for _, sr := range run["stepRuns"].([]any) {
			if x, ok := sr.(map[string]any)["result"].(map[string]any)["extractRun"].(map[string]any); ok {
				exr = x
			}
		}
		if c.by == "" {
			if run["reviewed"] != false || run["reviewedByUser"] != nil || run["endTime"] != nil {
				t.Errorf("%s, waiting: %v %v %v", c.id, run["reviewed"], run["reviewedByUser"], run["endTime"])
			}
			continue
		}
		if run["reviewed"] != true || run["reviewedByUser"] != c.by || run["reviewedAt"] == nil || run["endTime"] != run["reviewedAt"] {
			t.Errorf("%s: reviewed %v by %v at %v, ended %v", c.id, run["reviewed"], run["reviewedByUser"], run["reviewedAt"], run["endTime"])
		}
		if note, _ := run["rejectionNote"].(string); note != c.note {
			t.Errorf("%s: rejectionNote %q", c.id, note)
		}
		for _, k := range []string{"output", "initialOutput", "reviewedOutput", "reviewed", "edited", "edits"} {
			if _, ok := exr[k]; !ok {
				t.Errorf("%s: the extract run lacks %s", c.id, k)
			}
		}
		if exr["reviewed"] != true {
			t.Errorf("%s: the extract run is not reviewed", c.id)
		}
		want := delivered[c.id]
		if want == nil {
			t.Fatalf("%s: no delivery", c.id)
		}
		delete(want, "dashboardUrl")
		delete(run, "dashboardUrl")
		// Members of Extend's type the fixture lacks read as none.
		for k, v := range run {
			if _, sent := want[k]; !sent {
				if v != nil {
					t.Errorf("%s: %s = %v, not in the payload, is not null", c.id, k, v)
				}
				delete(run, k)
			}
		}
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(run)
		if string(a) != string(b) {
			t.Errorf("%s: GET differs from what the decision sent on:\n%s\n%s", c.id, b, a)
		}
	}
	// A list row says the same of the decision.
	_, _, list := extendCall(t, e, "GET", "/workflow_runs?status=REJECTED", tok, review.Version2026, nil)
	row := list["data"].([]any)[0].(map[string]any)
	if row["rejectionNote"] != "Not ours." || row["reviewedByUser"] != "sup@example.com" || row["endTime"] == nil || row["metadata"] != nil || row["stepRuns"] != nil {
		t.Errorf("rejected row: %v", row)
	}
	for _, k := range []string{"object", "id", "status", "workflow", "workflowVersion", "dashboardUrl", "reviewedByUser", "reviewedAt", "initialRunAt",
		"startTime", "endTime", "batchId", "rejectionNote", "files", "createdAt", "updatedAt", "usage"} {
		if _, ok := row[k]; !ok {
			t.Errorf("a list row lacks %s", k)
		}
	}
	// A processor run, as its workflow run shows it.
	status, _, exr := extendCall(t, e, "GET", "/extract_runs/exr_demo_awsb", tok, review.Version2026, nil)
	if status != 200 || exr["object"] != "extract_run" || exr["reviewed"] != true {
		t.Errorf("extract run: %d %v", status, exr)
	}
	if status, _, _ := extendCall(t, e, "GET", "/classify_runs/exr_demo_awsb", tok, review.Version2026, nil); status != 404 {
		t.Errorf("an extract run read as a classify run: %d", status)
	}
	// 2025-04-21: the run it arrived in, wrapped as that version wraps it;
	// the list in that version's flat summary.
	status, _, legacy := extendCall(t, e, "GET", "/workflow_runs/workflow_run_demo_qh_2025", tok, review.Version2025, nil)
	if run, _ := legacy["workflowRun"].(map[string]any); status != 200 || legacy["success"] != true || run["outputs"] == nil || run["url"] != e.srv.URL+"/runs/workflow_run_demo_qh_2025" {
		t.Errorf("2025 run: %d %v", status, legacy)
	}
	status, _, legacyList := extendCall(t, e, "GET", "/workflow_runs?workflowId=workflow_demo_invoices", tok, review.Version2025, nil)
	if rows, _ := legacyList["workflowRuns"].([]any); status != 200 || len(rows) != 2 || rows[0].(map[string]any)["workflowName"] != "Invoices (JSON Schema)" {
		t.Errorf("2025 list: %d %v", status, legacyList)
	}
}

// errorBody checks an answer is Extend's error body with code, and returns
// its message.
func errorBody(t *testing.T, what string, m map[string]any, code string) string {
	t.Helper()
	msg, _ := m["message"].(string)
	_, retry := m["retryable"].(bool)
	req, _ := m["requestId"].(string)
	if m["code"] != code || msg == "" || !retry || !strings.HasPrefix(req, "req_") || len(m) != 4 {
		t.Errorf("%s: %v, want Extend's error body with code %s", what, m, code)
	}
	return msg
}

// TestExtendErrors: every refusal is Extend's {code, message, retryable,
// requestId} with the status Extend's SDKs map, and a sentence.
func TestExtendErrors(t *testing.T) { pgtest.Each(t, testExtendErrors) }

func testExtendErrors(t *testing.T) {
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleAdmin)
	_, _, first := extendCall(t, e, "GET", "/workflow_runs?maxPageSize=1&status=NEEDS_REVIEW", tok, review.Version2026, nil)
	next := url.QueryEscape(first["nextPageToken"].(string))
	tests := []struct {
		name, method, path, token, version string
		status                             int
		code, says                         string
	}{
		{"no version", "GET", "/workflow_runs", tok, "", 400, "INVALID_REQUEST", "x-extend-api-version header is required"},
		{"unknown version", "GET", "/workflow_runs", tok, "2024-12-23", 400, "INVALID_REQUEST", "not one reviewer serves"},
		{"no token", "GET", "/workflow_runs", "", review.Version2026, 401, "UNAUTHORIZED", "API token is required"},
		{"an Extend key", "GET", "/workflow_runs", "sk_live_abc", review.Version2026, 401, "UNAUTHORIZED", "Extend API key"},
		{"a stranger's token", "GET", "/workflow_runs", "rvw_nope", review.Version2026, 401, "UNAUTHORIZED", "unknown or revoked"},
		{"unknown run", "GET", "/workflow_runs/workflow_run_nope", tok, review.Version2026, 404, "NOT_FOUND", "no workflow run"},
		{"unknown file", "GET", "/files/file_nope", tok, review.Version2026, 404, "NOT_FOUND", "no file"},
		{"unknown extract run", "GET", "/extract_runs/exr_nope", tok, review.Version2026, 404, "NOT_FOUND", "no extract run"},
		{"create", "POST", "/workflow_runs", tok, review.Version2026, 403, "FORBIDDEN", "does not start"},
		{"batch", "POST", "/workflow_runs/batch", tok, review.Version2026, 403, "FORBIDDEN", "does not start"},
		{"cancel", "POST", "/workflow_runs/workflow_run_demo_aws_2026/cancel", tok, review.Version2026, 403, "FORBIDDEN", "cancel"},
		{"delete", "DELETE", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2026, 403, "FORBIDDEN", "delete"},
		{"page size 0", "GET", "/workflow_runs?maxPageSize=0", tok, review.Version2026, 400, "INVALID_REQUEST", "maxPageSize"},
		{"page size 1001", "GET", "/workflow_runs?maxPageSize=1001", tok, review.Version2026, 400, "INVALID_REQUEST", "maxPageSize"},
		{"unknown status", "GET", "/workflow_runs?status=DONE", tok, review.Version2026, 400, "INVALID_REQUEST", "NEEDS_REVIEW"},
		{"unknown sort", "GET", "/workflow_runs?sortBy=name", tok, review.Version2026, 400, "INVALID_REQUEST", "sortBy"},
		{"unknown direction", "GET", "/workflow_runs?sortDir=up", tok, review.Version2026, 400, "INVALID_REQUEST", "sortDir"},
		{"long filter", "GET", "/workflow_runs?fileNameContains=" + strings.Repeat("a", 300), tok, review.Version2026, 400, "INVALID_REQUEST", "at most"},
		{"forged token", "GET", "/workflow_runs?nextPageToken=abc", tok, review.Version2026, 400, "INVALID_REQUEST", "not one this server gave out"},
		{"token for other filters", "GET", "/workflow_runs?status=PROCESSED&nextPageToken=" + next, tok, review.Version2026, 400, "INVALID_REQUEST", "continues a list with status"},
		{"token in another order", "GET", "/workflow_runs?sortDir=asc&nextPageToken=" + next, tok, review.Version2026, 400, "INVALID_REQUEST", "sortDir"},
		{"2026 run in 2025", "GET", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2025, 422, "UNPROCESSABLE_ENTITY", "2026-02-09"},
		{"2025 run in 2026", "GET", "/workflow_runs/workflow_run_demo_qh_2025", tok, review.Version2026, 422, "UNPROCESSABLE_ENTITY", "2025-04-21"},
		{"metadata not an object", "POST", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2026, 400, "INVALID_REQUEST", "metadata is a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.name == "metadata not an object" {
				body = map[string]any{"metadata": []int{1}}
			}
			status, h, m := extendCall(t, e, tt.method, tt.path, tt.token, tt.version, body)
			if status != tt.status {
				t.Errorf("status %d, want %d: %v", status, tt.status, m)
			}
			if msg := errorBody(t, tt.name, m, tt.code); !strings.Contains(msg, tt.says) {
				t.Errorf("message %q does not say %q", msg, tt.says)
			}
			if h.Get("Content-Type") != "application/json" || h.Get("X-Request-Id") != m["requestId"] {
				t.Errorf("headers %v", h)
			}
		})
	}
	// The same token continues with its filters repeated or left out: the
	// seven runs waiting but the one listed first.
	for _, q := range []string{"status=NEEDS_REVIEW&", ""} {
		status, _, m := extendCall(t, e, "GET", "/workflow_runs?"+q+"nextPageToken="+next, tok, review.Version2026, nil)
		if data := m["data"].([]any); status != 200 || len(data) != 6 || slices.ContainsFunc(data, func(d any) bool { return d.(map[string]any)["id"] == first["data"].([]any)[0].(map[string]any)["id"] }) {
			t.Errorf("%q: %d %v", q, status, m)
		}
	}
	// Unknown headers are ignored.
	req, _ := http.NewRequest("GET", e.srv.URL+"/workflow_runs", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("x-extend-api-version", review.Version2026)
	req.Header.Set("x-extend-workspace-id", "ws_1")
	req.Header.Set("X-Fern-Language", "JavaScript")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("unknown headers: %v %v", resp.Status, err)
	}
}

// TestExtendRateLimit: a token past its burst, with no time passing, is
// answered 429 RATE_LIMIT_EXCEEDED with Retry-After; another token is not;
// time restores it.
func TestExtendRateLimit(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e := newEnvWith(t, web.Config{}, envOptions{now: now})
	busy, calm := token(t, e, review.RoleReviewer), token(t, e, review.RoleSupervisor)
	for i := range web.APIBurst {
		if status, _, m := extendCall(t, e, "GET", "/workflow_runs", busy, review.Version2026, nil); status != 200 {
			t.Fatalf("call %d: %d %v", i, status, m)
		}
	}
	status, h, m := extendCall(t, e, "GET", "/workflow_runs", busy, review.Version2026, nil)
	if status != 429 || h.Get("Retry-After") != "1" {
		t.Fatalf("past the burst: %d %v %v", status, h, m)
	}
	errorBody(t, "past the burst", m, "RATE_LIMIT_EXCEEDED")
	if m["retryable"] != true {
		t.Errorf("a rate limit is retryable: %v", m)
	}
	if status, _, _ := extendCall(t, e, "GET", "/workflow_runs", calm, review.Version2026, nil); status != 200 {
		t.Errorf("another token: %d", status)
	}
	clock.Add(int64(time.Second))
	if status, _, _ := extendCall(t, e, "GET", "/workflow_runs", busy, review.Version2026, nil); status != 200 {
		t.Errorf("a second later: %d", status)
	}
}

// TestExtendUpdate: a supervisor's token merges metadata (Extend's keys
// kept, the new ones over them), renames; the run's history shows it, its
// decision sends it on, and a later event from Extend does not lose it. A
// reviewer's token may read, not update.
func TestExtendUpdate(t *testing.T) { pgtest.Each(t, testExtendUpdate) }

func testExtendUpdate(t *testing.T) {
	e := deliveringEnv(t)
	sup, rev := token(t, e, review.RoleSupervisor), token(t, e, review.RoleReviewer)
	const id = "workflow_run_demo_aws_2026"
	path := "/workflow_runs/" + id
	status, _, m := extendCall(t, e, "POST", path, rev, review.Version2026, map[string]any{"metadata": map[string]any{"erp": "posted"}})
	if status != 403 || !strings.Contains(errorBody(t, "reviewer token", m, "FORBIDDEN"), "supervisor") {
		t.Fatalf("a reviewer's token: %d %v", status, m)
	}
	for _, u := range []map[string]any{{"metadata": map[string]any{"erp": "posted", "n": 1}}, {"name": "July invoice", "metadata": map[string]any{"n": 2}}} {
		if status, _, m = extendCall(t, e, "POST", path, sup, review.Version2026, u); status != 200 {
			t.Fatalf("update %v: %d %v", u, status, m)
		}
	}
	want := map[string]any{"source": "demo", "erp": "posted", "n": 2.0}
	if meta, _ := m["metadata"].(map[string]any); !mapsEqual(meta, want) || m["name"] != "July invoice" || m["object"] != "workflow_run" {
		t.Fatalf("updated run: %v", m)
	}
	if _, _, got := extendCall(t, e, "GET", path, rev, review.Version2026, nil); !mapsEqual(got["metadata"].(map[string]any), want) {
		t.Fatalf("read back: %v", got["metadata"])
	}
	audit, _ := e.store.Audit(t.Context(), id)
	if len(audit) != 2 || audit[0].Action != review.ActionAnnotate || audit[0].Actor != "token:erp-supervisor" || !strings.Contains(string(audit[1].After), `"July invoice"`) {
		t.Fatalf("history: %+v", audit)
	}
	// Beyond Extend's 10 KB: refused whole.
	big := map[string]any{"metadata": map[string]any{"blob": strings.Repeat("x", review.MaxMetadata)}}
	if status, _, m := extendCall(t, e, "POST", path, sup, review.Version2026, big); status != 400 || !strings.Contains(errorBody(t, "too big", m, "INVALID_REQUEST"), "at most") {
		t.Fatalf("10 KB of metadata: %d %v", status, m)
	}
	// Extend sends the run again: the update stays.
	e.post(demo.Event("evt_again", review.EventRunNeedsReview, extendPayload(t, "aws_2026.json", "", "", "batch_1")), secret, time.Now())
	e.process()
	if _, _, got := extendCall(t, e, "GET", path, rev, review.Version2026, nil); !mapsEqual(got["metadata"].(map[string]any), want) {
		t.Fatalf("after Extend's event: %v", got["metadata"])
	}
	decide(t, e, id, true)
	deliveries, _ := e.store.RecentDeliveries(t.Context(), 10)
	var sent struct{ Payload map[string]any }
	for _, d := range deliveries {
		if d.RunID == id {
			json.Unmarshal(d.Body, &sent)
		}
	}
	if meta, _ := sent.Payload["metadata"].(map[string]any); !mapsEqual(meta, want) || sent.Payload["name"] != "July invoice" {
		t.Fatalf("delivered: %v", sent.Payload)
	}
}

func mapsEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestExtendFileLink: GET /files/{id} gives a link to the stored document
// that works without a token until it expires, and for nothing else.
func TestExtendFileLink(t *testing.T) { pgtest.Each(t, testExtendFileLink) }

func testExtendFileLink(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e := newEnvWith(t, web.Config{}, envOptions{now: now})
	postExtendRuns(t, e)
	pdf := []byte("%PDF-1.4 not really\n")
	if _, err := e.store.PutFile(context.Background(), "file_demo_aws", bytes.NewReader(pdf), 1<<20); err != nil {
		t.Fatal(err)
	}
	tok := token(t, e, review.RoleReviewer)
	status, _, f := extendCall(t, e, "GET", "/files/file_demo_aws", tok, review.Version2026, nil)
	link, _ := f["presignedUrl"].(string)
	if status != 200 || f["object"] != "file" || f["name"] != "AmazonWebServices.pdf" || f["type"] != "PDF" || !strings.HasPrefix(link, e.srv.URL+"/files/file_demo_aws/content?") {
		t.Fatalf("file: %d %v", status, f)
	}
	keys := []string{}
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "contents,createdAt,id,metadata,name,object,parentFileId,presignedUrl,type,updatedAt" {
		t.Errorf("file members: %v", keys)
	}
	fetch := func(u string) (int, []byte) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, b := fetch(link); status != 200 || !bytes.Equal(b, pdf) {
		t.Fatalf("link: %d %q", status, b)
	}
	tampered := strings.Replace(link, "file_demo_aws", "file_demo_fiber", 1)
	if status, _ := fetch(tampered); status != 403 {
		t.Errorf("another file under the same signature: %d", status)
	}
	u, _ := url.Parse(link)
	q := u.Query()
	q.Set("expires", strconv.FormatInt(now().Add(time.Hour).Unix(), 10))
	u.RawQuery = q.Encode()
	if status, _ := fetch(u.String()); status != 403 {
		t.Errorf("a later expiry under the same signature: %d", status)
	}
	clock.Add(int64(16 * time.Minute))
	if status, _ := fetch(link); status != 403 {
		t.Errorf("after 16 minutes: %d", status)
	}
	// A file not fetched yet has no link.
	if _, _, f := extendCall(t, e, "GET", "/files/file_demo_fiber", tok, review.Version2026, nil); f["presignedUrl"] != nil {
		t.Errorf("a file not here: %v", f)
	}
}

// TestReviewerTokenIsNotAnExtendKey: a reviewer token given as the Extend
// API key is refused at start, with a sentence, and never sent to Extend.
func TestReviewerTokenIsNotAnExtendKey(t *testing.T) {
	_, err := instance.New(t.Context(), instance.Config{Addr: "127.0.0.1:0", Data: t.TempDir(), ExtendKey: "rvw_abc", CompileCache: pdfiumtest.Cache(t)})
	if err == nil || !strings.Contains(err.Error(), "reviewer's own API token") {
		t.Fatalf("a reviewer token as the Extend key: %v", err)
	}
}

// TestExtendUpdatesAtOnce: updates of one run sent at once each keep their
// keys: none is lost to another landing between its read and its write.
func TestExtendUpdatesAtOnce(t *testing.T) { pgtest.Each(t, testExtendUpdatesAtOnce) }

func testExtendUpdatesAtOnce(t *testing.T) {
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleSupervisor)
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i], _, _ = extendCall(t, e, "POST", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2026,
				map[string]any{"metadata": map[string]any{"k" + strconv.Itoa(i): i}})
		})
	}
	wg.Wait()
	_, _, run := extendCall(t, e, "GET", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2026, nil)
	meta := run["metadata"].(map[string]any)
	for i := range n {
		if statuses[i] != 200 || meta["k"+strconv.Itoa(i)] != float64(i) {
			t.Errorf("update %d: %d, metadata %v", i, statuses[i], meta)
		}
	}
}

// TestRunPageShowsMetadata: metadata set through POST /workflow_runs/{id}
// is on the run's page, read-only, each key with its value, a long one cut
// with the whole in its title.
func TestRunPageShowsMetadata(t *testing.T) { pgtest.Each(t, testRunPageShowsMetadata) }

func testRunPageShowsMetadata(t *testing.T) {
	e := newEnv(t, web.Config{})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleSupervisor)
	long := strings.Repeat("0123456789", 12)
	if status, _, body := extendCall(t, e, "POST", "/workflow_runs/workflow_run_demo_aws_2026", tok, review.Version2026,
		map[string]any{"metadata": map[string]any{"erp_ref": "PO-77", "note": long, "lines": 3}}); status != 200 {
		t.Fatalf("update: %d %v", status, body)
	}
	c := e.signIn("rev@example.com", review.RoleReviewer)
	_, page := get(t, c, e.srv.URL+"/runs/workflow_run_demo_aws_2026")
	for _, want := range []string{`data-meta-key="erp_ref"`, ">PO-77<", `data-meta-key="lines"`, ">3<", `title="` + long + `"`, ">" + long[:79] + "…<"} {
		if !strings.Contains(page, want) {
			t.Errorf("the run's page lacks %s", want)
		}
	}
}

// TestExtendListEndsOnAStoppedClock: listed by updatedAt, newest first,
// with every run changed in the very millisecond the list began (a clock
// that does not move), the list still ends, each run met exactly once, and
// no page is empty.
func TestExtendListEndsOnAStoppedClock(t *testing.T) {
	pgtest.Each(t, testExtendListEndsOnAStoppedClock)
}

func testExtendListEndsOnAStoppedClock(t *testing.T) {
	at := time.Now()
	e := newEnvWith(t, web.Config{}, envOptions{now: func() time.Time { return at }})
	postExtendRuns(t, e)
	tok := token(t, e, review.RoleSupervisor)
	counts := map[string]int{}
	for _, id := range listAll(t, e, tok, "", 2) {
		counts[id]++
	}
	if len(counts) < 5 {
		t.Fatalf("listed %v", counts)
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
}

// TestReopenedRunIsListedAsWaiting: a rejected run reopened waits for
// review again; the list and the run read as Extend shows them say so, with
// no rejection note, reviewer or end left over from the decision taken back.
func TestReopenedRunIsListedAsWaiting(t *testing.T) { pgtest.Each(t, testReopenedRunIsListedAsWaiting) }

func testReopenedRunIsListedAsWaiting(t *testing.T) {
	e := deliveringEnv(t)
	tok := token(t, e, review.RoleReviewer)
	const id = "workflow_run_demo_fiber_2026"
	decide(t, e, id, false)
	if err := e.desk.Reopen(t.Context(), id, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	_, _, list := extendCall(t, e, "GET", "/workflow_runs?status=NEEDS_REVIEW", tok, review.Version2026, nil)
	var row map[string]any
	for _, r := range list["data"].([]any) {
		if r.(map[string]any)["id"] == id {
			row = r.(map[string]any)
		}
	}
	if row == nil || row["rejectionNote"] != nil || row["reviewedByUser"] != nil || row["reviewedAt"] != nil || row["endTime"] != nil {
		t.Errorf("the reopened run's row: %v", row)
	}
	status, _, run := extendCall(t, e, "GET", "/workflow_runs/"+id, tok, review.Version2026, nil)
	if status != 200 || run["status"] != "NEEDS_REVIEW" || run["rejectionNote"] != nil || run["reviewedByUser"] != nil {
		t.Errorf("the reopened run reads %d: status %v, rejectionNote %v, reviewedByUser %v", status, run["status"], run["rejectionNote"], run["reviewedByUser"])
	}
}
