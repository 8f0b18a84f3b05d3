package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/ingest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// fakeExtend serves GET /files/{id} and the presigned download it points to,
// failing the first failures requests of each kind with a 503.
type fakeExtend struct {
	srv      *httptest.Server
	failures int32
	calls    atomic.Int32
	files    map[string][]byte
	payloads map[string][]byte
}

func newFakeExtend(t *testing.T, failures int32) *fakeExtend {
	f := &fakeExtend{failures: failures, files: map[string][]byte{}, payloads: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_test" || r.Header.Get("x-extend-api-version") == "" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if f.calls.Add(1) <= f.failures {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		id := r.PathValue("id")
		if _, ok := f.files[id]; !ok {
			http.Error(w, `{"error":"not found"}`, 404)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "file", "id": id, "presignedUrl": f.srv.URL + "/blob/" + id + "?X-Amz-Signature=abc"})
	})
	mux.HandleFunc("GET /blob/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			http.Error(w, "presigned URLs take no API key", 400)
			return
		}
		w.Write(f.files[r.PathValue("id")])
	})
	mux.HandleFunc("GET /payload/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Write(f.payloads[r.PathValue("id")])
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func setup(t testing.TB, apiURL, key string) (*storage.Store, *ingest.Worker) {
	t.Helper()
	store, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := ingest.NewWorker(store, desk.New(store, nil, rules.New(nil), nil), extend.New(apiURL, key, false), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	return store, w
}

// applier is the desk a worker calls, as far as a test needs it: it
// applies events through desk.Arrive when its store is a whole one (a
// fake that counts batches is told them as they are), and measures
// nothing (measured, when set, hears of each document).
type applier struct {
	store interface {
		ApplyEvents(ctx context.Context, outs []review.EventOutcome) (review.Applied, error)
	}
	measured func(blob string)
	drawn    func(blob string) // when set, hears of each page one drawn, and may hold it
}

func (a applier) Arrive(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	if s, ok := a.store.(desk.Store); ok {
		return desk.New(s, nil, nil, nil).Arrive(ctx, outs)
	}
	return a.store.ApplyEvents(ctx, outs)
}

func (a applier) Fetch(ctx context.Context, fileID string, r io.Reader, limit int64) (review.Fetched, error) {
	s, ok := a.store.(desk.Store)
	if !ok {
		return review.Fetched{}, errors.New("no files here")
	}
	f, err := desk.New(s, nil, nil, nil).Fetch(ctx, fileID, r, limit)
	if err == nil && a.measured != nil {
		a.measured(f.Blob)
		f.Measured = true
	}
	return f, err
}

func (a applier) KeepFetched(ctx context.Context, docs []review.Fetched) error {
	if s, ok := a.store.(desk.Store); ok {
		return desk.New(s, nil, nil, nil).KeepFetched(ctx, docs)
	}
	return errors.New("no files here")
}

func (a applier) Measure(_ context.Context, blob string) (review.Document, error) {
	if a.measured != nil {
		a.measured(blob)
	}
	return review.Document{}, nil
}

func (a applier) DrawFirst(_ context.Context, blob string) error {
	if a.drawn != nil {
		a.drawn(blob)
	}
	return nil
}

func send(t *testing.T, s *storage.Store, id, typ string, payload json.RawMessage) {
	t.Helper()
	body := demo.Event(id, typ, payload)
	ev, _ := review.DecodeEvent(body)
	if _, err := s.AppendEvent(context.Background(), ev, body); err != nil {
		t.Fatal(err)
	}
}

// runUntil runs the worker until cond holds, failing after a generous
// ceiling: a busy machine slows the worker without failing the test.
func runUntil(t *testing.T, w *ingest.Worker, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFetchesDocumentsWithRetries(t *testing.T) { pgtest.Each(t, testFetchesDocumentsWithRetries) }

func testFetchesDocumentsWithRetries(t *testing.T) {
	fake := newFakeExtend(t, 2)
	pdf, _ := demo.File("AmazonWebServices.pdf")
	fake.files["file_demo_aws"], _ = io.ReadAll(pdf)
	store, w := setup(t, fake.srv.URL, "sk_test")
	aws, _ := demo.Payload("aws_2026.json")
	send(t, store, "e1", review.EventRunNeedsReview, aws)
	ctx := context.Background()
	// The worker counts a fetch after the store commits it: wait for both.
	runUntil(t, w, func() bool {
		f, _ := store.File(ctx, "file_demo_aws")
		return f.FetchState == review.FileFetched && w.FilesFetched.Load() == 1
	})
	if fake.calls.Load() != 3 {
		t.Fatalf("GET /files calls = %d, want 2 failures then 1 success", fake.calls.Load())
	}
	f, _ := store.File(ctx, "file_demo_aws")
	b, err := store.Blobs.Open(f.Blob)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, _ := io.ReadAll(b)
	if string(got) != string(fake.files["file_demo_aws"]) {
		t.Fatalf("stored %d bytes, want the document's %d", len(got), len(fake.files["file_demo_aws"]))
	}
	if w.FileErrors.Load() != 2 || w.FilesFetched.Load() != 1 {
		t.Fatalf("errors %d, fetched %d", w.FileErrors.Load(), w.FilesFetched.Load())
	}
}

func TestMissingDocumentFailsVisibly(t *testing.T) { pgtest.Each(t, testMissingDocumentFailsVisibly) }

func testMissingDocumentFailsVisibly(t *testing.T) {
	fake := newFakeExtend(t, 0)
	store, w := setup(t, fake.srv.URL, "sk_test")
	aws, _ := demo.Payload("aws_2026.json")
	send(t, store, "e1", review.EventRunNeedsReview, aws)
	ctx := context.Background()
	runUntil(t, w, func() bool {
		f, _ := store.File(ctx, "file_demo_aws")
		return f.FetchState == review.FileFailed
	})
	f, _ := store.File(ctx, "file_demo_aws")
	if !strings.Contains(f.FetchError, "404") {
		t.Fatalf("error = %q", f.FetchError)
	}
}

func TestNoAPIKeySaysSo(t *testing.T) { pgtest.Each(t, testNoAPIKeySaysSo) }

func testNoAPIKeySaysSo(t *testing.T) {
	store, w := setup(t, "http://127.0.0.1:1", "")
	aws, _ := demo.Payload("aws_2026.json")
	send(t, store, "e1", review.EventRunNeedsReview, aws)
	ctx := context.Background()
	runUntil(t, w, func() bool {
		f, _ := store.File(ctx, "file_demo_aws")
		return f.FetchState == review.FileFailed
	})
	run, _ := store.Run(ctx, "workflow_run_demo_aws_2026")
	if !strings.Contains(run.Files[0].FetchError, "upload") {
		t.Fatalf("error = %q", run.Files[0].FetchError)
	}
}

func TestSignedDataURLPayload(t *testing.T) { pgtest.Each(t, testSignedDataURLPayload) }

func testSignedDataURLPayload(t *testing.T) {
	fake := newFakeExtend(t, 0)
	qh, _ := demo.Payload("qualityhosting_2025.json")
	fake.payloads["p1"] = qh
	store, w := setup(t, fake.srv.URL, "")
	link, _ := json.Marshal(map[string]string{"object": "signed_data_url", "data": fake.srv.URL + "/payload/p1", "id": "evt_big"})
	send(t, store, "evt_big", review.EventRunNeedsReview, link)
	if _, err := w.ProcessPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	run, err := store.Run(context.Background(), "workflow_run_demo_qh_2025")
	if err != nil || len(run.Outputs) != 3 {
		t.Fatalf("run from signed URL: %v", err)
	}
	// The fetched payload is kept: a replay does not need the expired URL.
	ev, _ := store.Event(context.Background(), "evt_big")
	if len(ev.Resolved) != len(qh) {
		t.Fatalf("resolved payload %d bytes", len(ev.Resolved))
	}
}

func TestBadEventFailsAlone(t *testing.T) { pgtest.Each(t, testBadEventFailsAlone) }

func testBadEventFailsAlone(t *testing.T) {
	store, w := setup(t, "http://127.0.0.1:1", "")
	aws, _ := demo.Payload("aws_2026.json")
	qh, _ := demo.Payload("qualityhosting_2025.json")
	send(t, store, "good1", review.EventRunNeedsReview, aws)
	send(t, store, "bad", review.EventRunNeedsReview, json.RawMessage(`{"id":"workflow_run_bad","outputs":[{"type":"EXTRACT","output":{"a":{"confidence":"high"}}}]}`))
	send(t, store, "good2", review.EventRunNeedsReview, qh)
	if _, err := w.ProcessPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts, _ := store.EventCounts(context.Background())
	if counts["done"] != 2 || counts["failed"] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	failed, _ := store.FailedEvents(context.Background(), 5)
	if failed[0].Event.ID != "bad" || !strings.Contains(failed[0].Error, "confidence") {
		t.Fatalf("failed = %+v", failed[0])
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	prev := time.Duration(0)
	for a := range 12 {
		d := ingest.Backoff(a)
		if d <= prev/2 || d > 5*time.Hour {
			t.Fatalf("Backoff(%d) = %s after %s", a, d, prev)
		}
		prev = d
	}
	if ingest.Backoff(0) < 2*time.Second || ingest.Backoff(0) > 2400*time.Millisecond {
		t.Fatalf("first backoff %s", ingest.Backoff(0))
	}
}

// TestSignedDataURLToAnInternalAddress: a payload link at a private address
// other than the configured API's host is not fetched; the event fails with
// the reason, and nothing reached the address.
func TestSignedDataURLToAnInternalAddress(t *testing.T) {
	pgtest.Each(t, testSignedDataURLToAnInternalAddress)
}

func testSignedDataURLToAnInternalAddress(t *testing.T) {
	var reached atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer internal.Close()
	fake := newFakeExtend(t, 0)
	api := strings.Replace(fake.srv.URL, "127.0.0.1", "localhost", 1) // the API is reached by name
	store, w := setup(t, api, "")
	link, _ := json.Marshal(map[string]string{"object": "signed_data_url", "data": internal.URL + "/latest/meta-data", "id": "evt_in"})
	send(t, store, "evt_in", review.EventRunNeedsReview, link)
	for range 5 {
		w.ProcessPending(context.Background())
	}
	ev, _ := store.Event(context.Background(), "evt_in")
	if ev.State == "done" || !strings.Contains(ev.Error, "private address") || reached.Load() != 0 {
		t.Fatalf("event %s %q; %d requests reached the address", ev.State, ev.Error, reached.Load())
	}
}
