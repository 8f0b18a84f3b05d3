package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
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

// TestSearchFindsTheSameRuns pins what a search finds, and in what order,
// over more runs than a search narrows to by its rarest word: a word every
// run holds beside a rare one, a prefix of a number, numbers alone, two
// common words, a rare-looking word every run holds, a run id, and no
// match. The expected runs are every run each of whose search words begins
// one of the run's words (or whose id is the search), in the queue's order.
func TestSearchFindsTheSameRuns(t *testing.T) { pgtest.Each(t, testSearchFindsTheSameRuns) }

func testSearchFindsTheSameRuns(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	// More than the thousand runs a search reads by its rarest word, each
	// queued at its own minute in an order other than their ids'.
	const n = 1050
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	texts := map[string][]string{}
	queued := map[string]time.Time{}
	var ids []string
	var outs []review.EventOutcome
	for i := range n {
		id := fmt.Sprintf("workflow_run_p%04d", i)
		vendor := []string{"Acme", "Globex"}[i%2]
		at := start.Add(time.Duration(i*37%n) * time.Minute)
		p := fmt.Sprintf(`{"object":"workflow_run","id":%q,"initialRunAt":%q,"status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"Invoices B2026"},
			"files":[{"id":"file_p%d","name":"invoice-%04d.pdf","type":"PDF"}],
			"outputs":[{"id":"dpr_p%d","type":"EXTRACT","output":{"vendor":{"type":"string","value":%q,"confidence":0.9},"total":{"type":"number","value":%d,"confidence":0.9}}}]}`,
			id, at.Format(time.RFC3339), i, i, i, vendor, i*7)
		c, err := review.Interpret(review.Event{ID: "e" + id, Type: review.EventRunNeedsReview, Payload: []byte(p)})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, review.EventOutcome{Change: c})
		run, err := review.DecodeRun([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		texts[id], queued[id] = review.Words(run.SearchText()), at
		ids = append(ids, id)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, outs); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ids, func(a, b string) int { return queued[a].Compare(queued[b]) })
	want := func(q string) []string {
		words := review.SearchWords(q)
		var out []string
		for _, id := range ids {
			if id == q || len(words) > 0 && !slices.ContainsFunc(words, func(w string) bool {
				return !slices.ContainsFunc(texts[id], func(h string) bool { return strings.HasPrefix(h, w) })
			}) {
				out = append(out, id)
			}
		}
		return out[:min(len(out), 500)]
	}
	for _, q := range []string{
		"invoice-0042", "INVOICE 0042", "0042 invoice", "invoice-004", "invoice 10", "acme 0042", "globex 0042",
		"0042", "004", "invoice", "invoice acme", "b2026 0042", "b2026 invoices", "acme 7", "inv 1049 acme", "inv 1049 globex",
		"workflow_run_p0042", "invoice 9999", "nothing-like-it", "9999", "acme globex",
	} {
		runs, _, err := s.Queue(ctx, review.QueueFilter{Search: q, Sort: "oldest", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if w := want(q); !slices.Equal(got, w) {
			t.Errorf("search %q found %d runs %.5v, want %d %.5v", q, len(got), got, len(w), w)
		}
	}
}
