package outbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/outbound"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// fakeExtend answers POST /evaluation_sets/{id}/items as Extend does, after
// checking the request has the shape Extend's SDK sends (extend-ai 1.17.0,
// EvaluationSetItemsCreateRequest): {"items": [{"fileId", "expectedOutput"}]},
// at most 100 items, the workflow's own key and the API version. Its
// answers, in turn, come from script; then it creates the items.
type fakeExtend struct {
	t       *testing.T
	mu      sync.Mutex
	script  []func(w http.ResponseWriter) // answers before it creates items
	refuse  string                        // a fileId it answers 400 for
	batches []int                         // the size of every request's batch
	created map[string]int                // fileId: times created
	srv     *httptest.Server
}

func newFakeExtend(t *testing.T, script ...func(w http.ResponseWriter)) *fakeExtend {
	f := &fakeExtend{t: t, script: script, created: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeExtend) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		f.t.Errorf("fake Extend: %s", msg)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"code":"INVALID_REQUEST","message":%q,"retryable":false}`, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/evaluation_sets/ev_1/items" {
		fail(http.StatusNotFound, r.Method+" "+r.URL.Path)
		return
	}
	if r.Header.Get("Authorization") != "Bearer sk_workflow" || r.Header.Get("x-extend-api-version") != "2026-02-09" || r.Header.Get("Content-Type") != "application/json" {
		fail(http.StatusUnauthorized, "headers "+fmt.Sprint(r.Header))
		return
	}
	var req struct {
		Items []struct {
			FileID         string                     `json:"fileId"`
			ExpectedOutput map[string]json.RawMessage `json:"expectedOutput"`
		} `json:"items"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Items) == 0 || len(req.Items) > outbound.EvalBatchMax {
		fail(http.StatusBadRequest, fmt.Sprintf("body: %v, %d items", err, len(req.Items)))
		return
	}
	for _, it := range req.Items {
		_, value := it.ExpectedOutput["value"]
		if !strings.HasPrefix(it.FileID, "file_") || !value {
			fail(http.StatusBadRequest, fmt.Sprintf("item %+v", it))
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(req.Items))
	if len(f.script) > 0 {
		answer := f.script[0]
		f.script = f.script[1:]
		answer(w)
		return
	}
	type item struct {
		Object          string          `json:"object"`
		ID              string          `json:"id"`
		EvaluationSetID string          `json:"evaluationSetId"`
		File            map[string]any  `json:"file"`
		ExpectedOutput  json.RawMessage `json:"expectedOutput"`
		CreatedBy       any             `json:"createdBy"`
	}
	var out struct {
		Items []item `json:"evaluationSetItems"`
	}
	for _, it := range req.Items {
		if it.FileID == f.refuse {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":"INVALID_REQUEST","message":"expectedOutput of %s does not match the schema","retryable":false}`, it.FileID)
			return
		}
	}
	for _, it := range req.Items {
		f.created[it.FileID]++
		expected, _ := json.Marshal(it.ExpectedOutput)
		out.Items = append(out.Items, item{"evaluation_set_item", "evi_" + strings.TrimPrefix(it.FileID, "file_"), "ev_1",
			map[string]any{"object": "file", "id": it.FileID, "name": it.FileID + ".pdf"}, expected, nil})
	}
	json.NewEncoder(w).Encode(out)
}

// evalSetup opens a store and a worker on one clock the test moves, with
// a workflow whose rule sends items to the fake Extend with its own key
// (the server has none).
func evalSetup(t *testing.T, f *fakeExtend) (*storage.Store, *outbound.Worker, *atomic.Int64) {
	t.Helper()
	clock := &atomic.Int64{}
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetFeedbackRule(context.Background(), review.FeedbackRule{WorkflowID: "wf_1", EvaluationSetID: "ev_1", APIURL: f.srv.URL, APIKey: "sk_workflow"}); err != nil {
		t.Fatal(err)
	}
	w := outbound.NewWorker(s, extend.New("http://127.0.0.1:1", "", true), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Now = now
	w.Backoff = func(int) time.Duration { return 10 * time.Second }
	return s, w, clock
}

// approveWithItems queues a run of wf_1 and approves it with an
// evaluation-set item per file, as the desk does under the rule.
func approveWithItems(t *testing.T, s *storage.Store, runID string, files ...string) {
	t.Helper()
	queue(t, s, runID)
	var out review.Outbound
	for _, f := range files {
		out.Items = append(out.Items, review.ExtendCall{APIVersion: review.Version2026, Path: review.EvalItemsPath("ev_1"),
			Body: fmt.Appendf(nil, `{"fileId":%q,"expectedOutput":{"value":{"total":1}}}`, f)})
	}
	if err := s.Decide(context.Background(), runID, 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, []byte(`{}`), nil, out); err != nil {
		t.Fatal(err)
	}
}

func deliverDue(t *testing.T, w *outbound.Worker) int {
	t.Helper()
	n, err := w.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEvalItemsRetriedOnce: the items of several decided runs go to Extend
// in one batch; a 429 is retried no sooner than its Retry-After asks (not
// at the shorter backoff), a 500 at the backoff, and then every item is
// created exactly once and keeps the id Extend gave it.
func TestEvalItemsRetriedOnce(t *testing.T) { pgtest.Each(t, testEvalItemsRetriedOnce) }

func testEvalItemsRetriedOnce(t *testing.T) {
	f := newFakeExtend(t,
		func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"code":"RATE_LIMITED","message":"Too many requests","retryable":true}`)
		},
		func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"code":"INTERNAL_ERROR","message":"Something went wrong","retryable":true}`)
		})
	s, w, clock := evalSetup(t, f)
	ctx := context.Background()
	approveWithItems(t, s, "workflow_run_a", "file_a1", "file_a2")
	approveWithItems(t, s, "workflow_run_b", "file_b")
	approveWithItems(t, s, "workflow_run_c", "file_c")
	start := time.Unix(0, clock.Load())
	advance := func(d time.Duration) { clock.Add(int64(d)) }

	if n := deliverDue(t, w); n != 4 {
		t.Fatalf("first pass tried %d items, want 4", n)
	}
	calls, err := s.RunCalls(ctx, "workflow_run_a")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].State != review.DeliveryPending || !strings.Contains(calls[0].LastError, "429") || calls[0].NextAttemptAt.Before(start.Add(120*time.Second-time.Millisecond)) {
		t.Fatalf("after a 429: %+v", calls)
	}
	advance(60 * time.Second) // past the backoff, not past Retry-After
	if n := deliverDue(t, w); n != 0 {
		t.Fatalf("%d items tried before Retry-After", n)
	}
	advance(61 * time.Second)
	if n := deliverDue(t, w); n != 4 {
		t.Fatalf("after Retry-After %d items tried, want 4", n)
	}
	advance(11 * time.Second) // past the backoff after the 500
	if n := deliverDue(t, w); n != 4 {
		t.Fatalf("after the 500 %d items tried, want 4", n)
	}
	advance(time.Hour)
	if n := deliverDue(t, w); n != 0 {
		t.Fatalf("%d items tried again after they were created", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.batches) != "[4 4 4]" {
		t.Fatalf("batches %v, want three of all four items", f.batches)
	}
	for _, file := range []string{"file_a1", "file_a2", "file_b", "file_c"} {
		if f.created[file] != 1 {
			t.Fatalf("%s created %d times: %v", file, f.created[file], f.created)
		}
	}
	for run, want := range map[string]string{"workflow_run_a": "evi_a1 evi_a2", "workflow_run_b": "evi_b", "workflow_run_c": "evi_c"} {
		calls, err := s.RunCalls(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range calls {
			if c.State != review.DeliveryDelivered || c.Attempts != 3 || c.DeliveredAt == nil {
				t.Fatalf("%s: %+v", run, c)
			}
			ids = append(ids, c.Result)
		}
		if strings.Join(ids, " ") != want {
			t.Fatalf("%s: item ids %v, want %s", run, ids, want)
		}
	}
}

// TestEvalItemsBatchBound: more items than Extend takes in one call go in
// several, none larger than EvalBatchMax; one item Extend refuses is
// found by trying the batch's items alone, and only it is given up.
func TestEvalItemsBatchBound(t *testing.T) { pgtest.Each(t, testEvalItemsBatchBound) }

func testEvalItemsBatchBound(t *testing.T) {
	f := newFakeExtend(t)
	f.refuse = "file_bad"
	s, w, _ := evalSetup(t, f)
	var files []string
	for i := range outbound.EvalBatchMax + 5 {
		files = append(files, fmt.Sprintf("file_%03d", i))
	}
	approveWithItems(t, s, "workflow_run_many", files...)
	approveWithItems(t, s, "workflow_run_bad", "file_ok", "file_bad")
	for deliverDue(t, w) > 0 {
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.batches {
		if n > outbound.EvalBatchMax {
			t.Fatalf("a batch of %d items", n)
		}
	}
	if len(f.created) != len(files)+1 || f.created["file_ok"] != 1 || f.created["file_bad"] != 0 {
		t.Fatalf("created %d items (file_ok %d, file_bad %d), batches %v", len(f.created), f.created["file_ok"], f.created["file_bad"], f.batches)
	}
	calls, err := s.RunCalls(context.Background(), "workflow_run_bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].State != review.DeliveryDelivered || calls[1].State != review.DeliveryDead || !strings.Contains(calls[1].LastError, "does not match") {
		t.Fatalf("calls %+v", calls)
	}
}

// TestEvalItemsRetriedTogether: a batch Extend failed is tried again as one
// batch, though the backoff is jittered: one call again, not one per item
// when each drew its own wait (a 429 for 100 items would become 100 calls).
func TestEvalItemsRetriedTogether(t *testing.T) { pgtest.Each(t, testEvalItemsRetriedTogether) }

func testEvalItemsRetriedTogether(t *testing.T) {
	f := newFakeExtend(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"code":"SERVICE_UNAVAILABLE","message":"Try again","retryable":true}`)
	})
	s, w, clock := evalSetup(t, f)
	var draws atomic.Int64
	w.Backoff = func(int) time.Duration { return 10*time.Second + time.Duration(draws.Add(1))*time.Second } // each draw longer, as jitter may make it
	approveWithItems(t, s, "workflow_run_a", "file_a1", "file_a2")
	approveWithItems(t, s, "workflow_run_b", "file_b")
	if n := deliverDue(t, w); n != 3 {
		t.Fatalf("first pass tried %d items, want 3", n)
	}
	n := 0
	clock.Add(int64(10 * time.Second))
	for range 10 {
		clock.Add(int64(time.Second))
		if n = deliverDue(t, w); n > 0 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("the retry tried %d of the batch's 3 items first", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.batches) != "[3 3]" {
		t.Fatalf("batches %v, want the 3 items twice", f.batches)
	}
}
