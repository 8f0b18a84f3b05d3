package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestSearch: a run is found by any value the model read (an invoice
// number, by its beginning too), its file name or id, in the queue and,
// once decided, among the decided runs, by the corrected value as well.
func TestSearch(t *testing.T) { pgtest.Each(t, testSearch) }

func testSearch(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	for i, inv := range []string{"INV-2024-0042", "INV-2024-0043", "ACME-77"} {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_s%d","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"Invoices"},
			"files":[{"id":"file_s%d","name":"scan %d.pdf","type":"PDF"}],
			"outputs":[{"id":"dpr_s%d","type":"EXTRACT","output":{"invoice_number":{"type":"string","value":%q,"confidence":0.9},"vendor":{"type":"string","value":"Société Générale","confidence":0.9}}}]}`, i, i, i, i, inv)
		send(t, s, fmt.Sprint("es", i), review.EventRunNeedsReview, json.RawMessage(p))
	}
	apply(t, s)
	found := func(q string) []string {
		t.Helper()
		runs, _, err := s.Queue(ctx, review.QueueFilter{Search: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for q, want := range map[string]int{
		"INV-2024-0042": 1, "inv-2024-004": 2, "inv 0043": 1, "acme": 1, "scan 1": 1, "workflow_run_s1": 1,
		"societe": 3, "nothing-like-it": 0, "": 3, `"; DROP TABLE runs; --`: 0, "*": 0, "NEAR(x": 0,
	} {
		if got := found(q); len(got) != want {
			t.Errorf("search %q found %v, want %d runs", q, got, want)
		}
	}

	// Decided, with the invoice number corrected: found by both numbers.
	reviewed := []byte(`{"object":"workflow_run","id":"workflow_run_s2","status":"PROCESSED","outputs":[{"id":"dpr_s2","type":"EXTRACT","output":{"invoice_number":{"type":"string","value":"ACME-78"}}}]}`)
	if err := s.Decide(ctx, "workflow_run_s2", 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, reviewed, nil, review.Outbound{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ACME-77", "acme-78"} {
		runs, _, err := s.Decided(ctx, review.DecidedFilter{Search: q})
		if err != nil || len(runs) != 1 || runs[0].ID != "workflow_run_s2" || runs[0].DecidedBy != "ana@example.com" || runs[0].DecidedAt == nil {
			t.Fatalf("decided runs found by %q: %+v %v", q, runs, err)
		}
	}
	if got := found("acme"); len(got) != 0 {
		t.Fatalf("a decided run is still in the queue's search: %v", got)
	}
	for _, f := range []review.DecidedFilter{{Decision: review.DecisionRejected}, {By: "bo@example.com"}, {WorkflowID: "other"}} {
		if runs, _, _ := s.Decided(ctx, f); len(runs) != 0 {
			t.Fatalf("filter %+v found %d runs", f, len(runs))
		}
	}
}

// TestDecidedPages: the decided list pages by the decision's time, each
// run once.
func TestDecidedPages(t *testing.T) { pgtest.Each(t, testDecidedPages) }

func testDecidedPages(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	queueRuns(t, s, 7)
	for i := range 7 {
		id := fmt.Sprintf("workflow_run_%03d", i)
		if err := s.Decide(ctx, id, 0, review.Decision{Approved: i%2 == 0, Note: "n", By: "ana@example.com", At: time.Date(2026, 11, 2, 9, i, 0, 0, time.UTC)}, []byte(`{}`), nil, review.Outbound{}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	after := ""
	for page := 0; ; page++ {
		runs, next, err := s.Decided(ctx, review.DecidedFilter{Limit: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if seen[r.ID] {
				t.Fatalf("%s twice", r.ID)
			}
			seen[r.ID] = true
		}
		if page == 0 && runs[0].ID != "workflow_run_006" {
			t.Fatalf("newest first: %s", runs[0].ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(seen) != 7 {
		t.Fatalf("%d runs over the pages, want 7", len(seen))
	}
}
