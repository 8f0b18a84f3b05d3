package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/internal/scale"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestExports decides runs and checks both exports row by row: 1,001 in
// make test (the JSONL export two full pages of 500 and one of a run, the
// CSV of one workflow exactly one page, then none), 10,000 in make
// test-long.
func TestExports(t *testing.T) { pgtest.Each(t, testExports) }

func testExports(t *testing.T) {
	n := scale.Pick(1_001, 10_000)
	e := newEnv(t, web.Config{})
	ctx := context.Background()
	var outs []review.EventOutcome
	for i := range n {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_x%05d","status":"NEEDS_REVIEW","workflow":{"id":"wf_%d","name":"W"},
			"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{"number":{"type":"string","value":"INV-%05d","confidence":0.9},
			"total":{"type":"currency","value":{"amount":%d.50,"iso_4217_currency_code":"EUR"},"confidence":0.8},
			"lines":{"type":"array","value":[{"qty":%d}],"schema":[{"fieldName":"qty","type":"number"}],"confidence":0.7}}}]}`, i, i%2, i, i, i, i%7)
		c, err := review.Interpret(review.Event{ID: "e", Type: review.EventRunNeedsReview, Payload: json.RawMessage(p)})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, review.EventOutcome{Change: c})
		if len(outs) == 1000 || i == n-1 {
			if _, err := desk.New(e.store, nil, nil, nil).Arrive(ctx, outs); err != nil {
				t.Fatal(err)
			}
			outs = nil
		}
	}
	for i := range n {
		id := fmt.Sprintf("workflow_run_x%05d", i)
		run, err := e.store.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var edits []review.Edit
		if i%3 == 0 { // a third corrected; a hostile value in one of them
			v := fmt.Sprintf(`"INV-%05d-fixed"`, i)
			if i == 3 {
				v = `"=HYPERLINK(\"http://evil\")"`
			}
			edits = append(edits, review.Edit{OutputID: fmt.Sprintf("dpr_%d", i), Path: "number", Value: json.RawMessage(v)})
		}
		d := review.Decision{Approved: i%10 != 0, Note: "no", By: "ana@example.com", At: time.Unix(1_800_000_000+int64(i), 0)}
		reviewed, err := run.Reviewed(edits, d, func(string, int) review.PageSize { return review.PageSize{} })
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Decide(ctx, id, 0, d, reviewed, nil, review.Outbound{}); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := e.store.CreateToken(ctx, "exports", review.RoleSupervisor)
	get := func(path string) *http.Response { return e.bearerGet(tok, path) }

	resp := get("/api/v1/exports/runs.jsonl")
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	i := 0
	for sc.Scan() {
		var r struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Outputs []struct {
				ReviewedOutput struct {
					Number struct{ Value string } `json:"number"`
				} `json:"reviewedOutput"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		want := fmt.Sprintf("INV-%05d", i)
		if i%3 == 0 && i != 3 {
			want += "-fixed"
		}
		status := "PROCESSED"
		if i%10 == 0 {
			status = "REJECTED"
		}
		if r.ID != fmt.Sprintf("workflow_run_x%05d", i) || r.Status != status || (i != 3 && r.Outputs[0].ReviewedOutput.Number.Value != want) {
			t.Fatalf("line %d: %+v", i, r)
		}
		i++
	}
	resp.Body.Close()
	if i != n {
		t.Fatalf("JSONL has %d lines, want %d", i, n)
	}

	resp = get("/api/v1/exports/runs.csv?workflowId=wf_1")
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	if fmt.Sprint(head) != "[run_id workflow_id decision decided_by decided_at due_at late hold hold_by hold_reason hold_at hold_until duplicate_of duplicate_match duplicate_decision number total lines[0].qty]" {
		t.Fatalf("header = %v", head)
	}
	if len(rows) != n/2+1 {
		t.Fatalf("%d rows for one workflow, want %d", len(rows)-1, n/2)
	}
	for j, row := range rows[1:] {
		k := 2*j + 1
		if row[0] != fmt.Sprintf("workflow_run_x%05d", k) || row[16] != fmt.Sprintf("%d.50 EUR", k) || row[17] != fmt.Sprint(k%7) {
			t.Fatalf("row %d: %v", j, row)
		}
	}
	resp = get("/api/v1/exports/runs.csv?workflowId=wf_1&from=2027-01-15T08:00:03Z&to=2027-01-15T08:00:10Z")
	rows, _ = csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if len(rows)-1 != 4 { // runs 3, 5, 7 and 9 were decided in those seconds
		t.Fatalf("a period: %d rows", len(rows)-1)
	}
	resp = get("/api/v1/exports/runs.csv?workflowId=wf_1&from=2027-01-15T08:00:03Z&to=2027-01-15T08:00:04Z")
	rows, _ = csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if len(rows) != 2 || rows[1][15] != `'=HYPERLINK("http://evil")` {
		t.Fatalf("a formula is neutralised: %v", rows)
	}
}

// TestExportsSayDueHoldAndDuplicate: both exports say, per decided run,
// when it was due and whether it was decided late, the hold it was under
// (who, why, when, until) and the earlier run it duplicates; a service
// level changed afterwards does not move a decided run's due time.
func TestExportsSayDueHoldAndDuplicate(t *testing.T) {
	pgtest.Each(t, testExportsSayDueHoldAndDuplicate)
}

func testExportsSayDueHoldAndDuplicate(t *testing.T) {
	e := newEnv(t, web.Config{})
	ctx := t.Context()
	const first, later, wf = "workflow_run_demo_qh_2025", "workflow_run_demo_qh_copy_2025", "workflow_demo_legacy"
	if err := e.desk.SetServiceLevel(ctx, "admin@example.com", wf, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	json.Unmarshal(qh, &p)
	queued := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	p["initialRunAt"] = queued.Format(time.RFC3339)
	old, _ := json.Marshal(p)
	p["initialRunAt"] = time.Now().UTC().Format(time.RFC3339)
	now, _ := json.Marshal(p)
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, old), secret, time.Now())
	e.process()
	e.post(demo.Event("evt_qh_copy", review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(now), "demo_qh", "demo_qh_copy"))), secret, time.Now())
	e.process()
	if err := e.desk.SetDuplicateKeys(ctx, wf, []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}

	rev := &review.User{Email: "rev@example.com", Role: review.RoleReviewer}
	if err := e.desk.Escalate(ctx, first, rev, "Vendor unknown."); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second) // before its due time: a reviewer postpones no later
	if err := e.desk.Postpone(ctx, later, rev, "Waiting for the PO.", until, false); err != nil {
		t.Fatal(err)
	}
	decide(t, e, first, true)
	decide(t, e, later, false)
	if err := e.desk.SetServiceLevel(ctx, "admin@example.com", wf, 10*time.Hour); err != nil {
		t.Fatal(err)
	}
	due := queued.Add(2 * time.Hour).Format(time.RFC3339)

	tok, _ := e.store.CreateToken(ctx, "exports", review.RoleSupervisor)
	get := func(path string) *http.Response { return e.bearerGet(tok, path) }
	resp := get("/api/v1/exports/runs.csv")
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows: %v", len(rows), err)
	}
	const head = "[run_id workflow_id decision decided_by decided_at due_at late hold hold_by hold_reason hold_at hold_until duplicate_of duplicate_match duplicate_decision"
	if got := fmt.Sprint(rows[0]); !strings.HasPrefix(got, head+" ") {
		t.Fatalf("header = %v", got)
	}
	byID := map[string][]string{rows[1][0]: rows[1], rows[2][0]: rows[2]}
	a, b := byID[first], byID[later]
	if a == nil || b == nil {
		t.Fatalf("rows: %v", rows)
	}
	if a[5] != due || a[6] != "true" || a[7] != "escalated" || a[8] != "rev@example.com" || a[9] != "Vendor unknown." || a[10] == "" || a[11] != "" ||
		a[12] != later || a[14] != "rejected by sup@example.com at "+b[4][:10]+" "+b[4][11:16]+" UTC" {
		t.Fatalf("the late, escalated run: %q", a)
	}
	if b[5] == "" || b[6] != "false" || b[7] != "postponed" || b[9] != "Waiting for the PO." || b[11] != until.Format(time.RFC3339) ||
		b[12] != first || b[13] != "invoice_number 30064443" || !strings.HasPrefix(b[14], "approved by sup@example.com") {
		t.Fatalf("the postponed duplicate: %q", b)
	}

	resp = get("/api/v1/exports/runs.jsonl")
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	facts := map[string]struct {
		DueAt *time.Time `json:"dueAt"`
		Late  bool       `json:"late"`
		Hold  *struct {
			Kind, By, Reason string
			Until            *time.Time
		} `json:"hold"`
		Duplicate *struct {
			RunID    string `json:"runId"`
			Earlier  bool   `json:"earlier"`
			Decision string `json:"decision"`
		} `json:"duplicate"`
	}{}
	for sc.Scan() {
		var line struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Reviewer json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Status == "" {
			t.Fatalf("a line: %v %s", err, sc.Bytes())
		}
		f := facts[line.ID]
		if err := json.Unmarshal(line.Reviewer, &f); err != nil {
			t.Fatalf("%s: %v %s", line.ID, err, line.Reviewer)
		}
		facts[line.ID] = f
	}
	fa, fb := facts[first], facts[later]
	if fa.DueAt == nil || fa.DueAt.UTC().Format(time.RFC3339) != due || !fa.Late || fa.Hold == nil || fa.Hold.Kind != "escalated" || fa.Hold.Reason != "Vendor unknown." ||
		fa.Duplicate == nil || fa.Duplicate.RunID != later || fa.Duplicate.Earlier || fa.Duplicate.Decision != "rejected" {
		t.Fatalf("the late, escalated run: %+v", fa)
	}
	if fb.DueAt == nil || fb.Late || fb.Hold == nil || fb.Hold.Kind != "postponed" || fb.Hold.Until == nil || !fb.Hold.Until.Equal(until) ||
		fb.Duplicate == nil || fb.Duplicate.RunID != first || !fb.Duplicate.Earlier {
		t.Fatalf("the postponed duplicate: %+v", fb)
	}
}

// bearerGet GETs path with the API token tok; any answer but 200 fails
// the test.
func (e *env) bearerGet(tok, path string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		e.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return resp
}
