package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

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
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp.Status, err)
		}
		return resp
	}

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
	if fmt.Sprint(head) != "[run_id workflow_id decision decided_by decided_at number total lines[0].qty]" {
		t.Fatalf("header = %v", head)
	}
	if len(rows) != n/2+1 {
		t.Fatalf("%d rows for one workflow, want %d", len(rows)-1, n/2)
	}
	for j, row := range rows[1:] {
		k := 2*j + 1
		if row[0] != fmt.Sprintf("workflow_run_x%05d", k) || row[6] != fmt.Sprintf("%d.50 EUR", k) || row[7] != fmt.Sprint(k%7) {
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
	if len(rows) != 2 || rows[1][5] != `'=HYPERLINK("http://evil")` {
		t.Fatalf("a formula is neutralised: %v", rows)
	}
}
