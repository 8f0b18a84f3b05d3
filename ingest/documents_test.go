package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/ingest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestFetchedDocumentIsMeasuredAtOnce: a document is measured as soon as it
// is fetched, not found later among every stored file (Unmeasured, which
// this store answers with nothing, is for uploads and documents stored
// before a restart).
func TestFetchedDocumentIsMeasuredAtOnce(t *testing.T) {
	fake := newFakeExtend(t, 0)
	pdf, _ := demo.File("AmazonWebServices.pdf")
	aws, _ := io.ReadAll(pdf)
	store, _ := setup(t, fake.srv.URL, "sk_test")
	ctx := context.Background()
	var learnt sync.Map
	w := ingest.NewWorker(blindStore{store}, applier{store: store, measured: func(blob string) { learnt.Store(blob, true) }}, extend.New(fake.srv.URL, "sk_test", false), slog.New(slog.DiscardHandler))
	for i := range 3 {
		fake.files[fmt.Sprintf("file_burst_%04d", i)] = append(slices.Clip(aws), byte(i)) // each its own blob
		body := demo.Event(fmt.Sprintf("evt_doc_%d", i), review.EventRunNeedsReview, smallRun(i))
		ev, _ := review.DecodeEvent(body)
		if _, err := store.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	running(t, w)
	for i := range 3 {
		waitFor(t, "the document measured", func() bool {
			f, err := store.File(ctx, fmt.Sprintf("file_burst_%04d", i))
			_, ok := learnt.Load(f.Blob)
			return err == nil && f.Blob != "" && ok
		})
	}
}

// TestMeasuringDoesNotWaitForDrawing: documents are fetched and measured
// while page one of the first is still being drawn (drawing costs ten times
// measuring, and once held fetching to 7 documents a second); page one is
// drawn beside, once there is time.
func TestMeasuringDoesNotWaitForDrawing(t *testing.T) {
	const files = 2*ingest.FetchConcurrency + 1
	fake := newFakeExtend(t, 0)
	store, _ := setup(t, fake.srv.URL, "sk_test")
	ctx := context.Background()
	var measured, drawn atomic.Int32
	held := make(chan struct{})
	a := applier{store: store, measured: func(string) { measured.Add(1) }, drawn: func(string) {
		<-held
		drawn.Add(1)
	}}
	w := ingest.NewWorker(blindStore{store}, a, extend.New(fake.srv.URL, "sk_test", false), slog.New(slog.DiscardHandler))
	for i := range files {
		fake.files[fmt.Sprintf("file_burst_%04d", i)] = fmt.Appendf(nil, "document %d", i)
		body := demo.Event(fmt.Sprintf("evt_doc_%d", i), review.EventRunNeedsReview, smallRun(i))
		ev, _ := review.DecodeEvent(body)
		if _, err := store.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	running(t, w)
	t.Cleanup(func() { // before the worker stops: its draw is held
		select {
		case <-held:
		default:
			close(held)
		}
	})
	waitFor(t, "every document measured while page one is held", func() bool { return measured.Load() == files })
	if d := drawn.Load(); d != 0 {
		t.Fatalf("%d drawn while drawing was held", d)
	}
	close(held)
	waitFor(t, "every page one drawn", func() bool { return drawn.Load() == files })
}

// blindStore finds no unmeasured documents.
type blindStore struct{ *storage.Store }

func (blindStore) Unmeasured(context.Context, int) ([]string, error) { return nil, nil }

// heldExtend is a fake Extend API whose downloads are held until released
// (all of them, once releaseAt are under way, if releaseAt > 0), counting
// how many are under way at once.
type heldExtend struct {
	srv            *httptest.Server
	inFlight, most atomic.Int32
	release        chan struct{}
	once           sync.Once
}

func newHeldExtend(t *testing.T, releaseAt int32) *heldExtend {
	h := &heldExtend{release: make(chan struct{})}
	api := http.NewServeMux()
	api.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"object":"file","id":%q,"presignedUrl":%q}`, r.PathValue("id"), h.srv.URL+"/blob/"+r.PathValue("id"))
	})
	api.HandleFunc("GET /blob/{id}", func(w http.ResponseWriter, r *http.Request) {
		n := h.inFlight.Add(1)
		defer h.inFlight.Add(-1)
		for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
		}
		if n == releaseAt {
			h.Release()
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		fmt.Fprintf(w, "document %s", r.PathValue("id"))
	})
	h.srv = httptest.NewServer(api)
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.Release) // first: the server closes once its handlers return
	return h
}

// Release lets every held download, and those to come, go.
func (h *heldExtend) Release() { h.once.Do(func() { close(h.release) }) }

// TestDocumentsFetchedSeveralAtOnce: due documents are downloaded several at
// a time, never more than ingest.FetchConcurrency: one slow download does
// not hold the others up, and a burst does not open a connection per run.
func TestDocumentsFetchedSeveralAtOnce(t *testing.T) {
	const files = 2*ingest.FetchConcurrency + 1
	// Held until as many are under way as may be, then all go.
	h := newHeldExtend(t, ingest.FetchConcurrency)
	store, w := setup(t, h.srv.URL, "sk_test")
	ctx := context.Background()
	for i := range files {
		body := demo.Event(fmt.Sprintf("evt_doc_%d", i), review.EventRunNeedsReview, smallRun(i))
		ev, _ := review.DecodeEvent(body)
		if _, err := store.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	running(t, w)
	waitFor(t, fmt.Sprintf("%d downloads at once", ingest.FetchConcurrency), func() bool { return h.most.Load() >= ingest.FetchConcurrency })
	waitFor(t, "every document fetched", func() bool { return w.FilesFetched.Load() == files })
	if m := h.most.Load(); m != ingest.FetchConcurrency {
		t.Fatalf("%d downloads at once, want at most %d", m, ingest.FetchConcurrency)
	}
}

// backlogStore has events waiting without end while endless, applied
// instantly and counted; documents are the store's.
type backlogStore struct {
	*storage.Store
	endless      atomic.Bool
	seq, batches atomic.Int64
}

func (b *backlogStore) PendingEvents(_ context.Context, limit int) ([]review.StoredEvent, error) {
	var out []review.StoredEvent
	for range limit {
		if !b.endless.Load() {
			break
		}
		n := b.seq.Add(1)
		out = append(out, review.StoredEvent{Seq: n, Body: demo.Event(fmt.Sprintf("evt_wf_%d", n), review.EventWorkflowCreated, []byte(`{"id":"workflow_1","name":"A"}`))})
	}
	return out, nil
}

func (b *backlogStore) ApplyEvents(context.Context, []review.EventOutcome) (review.Applied, error) {
	b.batches.Add(1)
	return review.Applied{Runs: []string{"workflow_run_burst_0000"}}, nil // wakes the fetcher
}

// TestDocumentsWaitForEvents: while events wait to be applied, documents
// are fetched ingest.FetchBehind at a time (a document costs several times
// the CPU of its event, and the run's row comes first); once the events are
// caught up, ingest.FetchConcurrency at once.
func TestDocumentsWaitForEvents(t *testing.T) {
	h := newHeldExtend(t, 0)
	store, _ := setup(t, h.srv.URL, "sk_test")
	arrived(t, store, 2*ingest.FetchConcurrency) // runs whose documents are due
	b := &backlogStore{Store: store}
	b.endless.Store(true)
	w := ingest.NewWorker(b, applier{store: b}, extend.New(h.srv.URL, "sk_test", false), slog.New(slog.DiscardHandler))
	running(t, w)
	waitFor(t, "downloads under way", func() bool { return h.inFlight.Load() >= ingest.FetchBehind })
	// Each batch applied wakes the fetcher, which would start more if it may.
	start := b.batches.Load()
	waitFor(t, "50 more batches", func() bool { return b.batches.Load() >= start+50 })
	if m := h.most.Load(); m != ingest.FetchBehind {
		t.Fatalf("%d downloads at once while events were waiting, want %d", m, ingest.FetchBehind)
	}
	b.endless.Store(false) // caught up
	waitFor(t, fmt.Sprintf("%d downloads at once", ingest.FetchConcurrency), func() bool { return h.inFlight.Load() == ingest.FetchConcurrency })
	h.Release()
	waitFor(t, "every document fetched", func() bool { return w.FilesFetched.Load() == 2*ingest.FetchConcurrency })
}

// trickleStore has one event waiting at each look while on (a batch far
// from full: the worker is not behind), applied instantly; documents are
// the store's.
type trickleStore struct {
	*storage.Store
	on  atomic.Bool
	seq atomic.Int64
}

func (s *trickleStore) PendingEvents(context.Context, int) ([]review.StoredEvent, error) {
	if !s.on.Load() {
		return nil, nil
	}
	n := s.seq.Add(1)
	return []review.StoredEvent{{Seq: n, Body: demo.Event(fmt.Sprintf("evt_wf_%d", n), review.EventWorkflowCreated, []byte(`{"id":"workflow_1","name":"A"}`))}}, nil
}

func (s *trickleStore) ApplyEvents(context.Context, []review.EventOutcome) (review.Applied, error) {
	return review.Applied{Runs: []string{"workflow_run_burst_0000"}}, nil // wakes the fetcher
}

// TestNoDrawingWhileEventsArrive: while events keep arriving, even a few
// at a time, documents are fetched and measured but page one is not drawn
// (50-75 ms of CPU each, beside the events it slowed them); it is drawn
// when first asked for. Once none arrive, page one is drawn on arrival.
func TestNoDrawingWhileEventsArrive(t *testing.T) {
	const files = 2 * ingest.FetchConcurrency
	fake := newFakeExtend(t, 0)
	store, _ := setup(t, fake.srv.URL, "sk_test")
	for i := range files {
		fake.files[fileID(i)] = fmt.Appendf(nil, "document %d", i)
	}
	arrived(t, store, files)
	s := &trickleStore{Store: store}
	s.on.Store(true)
	var measured, drawn atomic.Int32
	a := applier{store: s, measured: func(string) { measured.Add(1) }, drawn: func(string) { drawn.Add(1) }}
	w := ingest.NewWorker(s, a, extend.New(fake.srv.URL, "sk_test", false), slog.New(slog.DiscardHandler))
	running(t, w)
	waitFor(t, "every document kept while events arrive", func() bool { return w.FilesFetched.Load() == files })
	if d := drawn.Load(); d != 0 || measured.Load() != files {
		t.Fatalf("%d of %d measured documents drawn while events arrived", d, measured.Load())
	}
	s.on.Store(false)
	fake.files["file_burst_9999"] = []byte("a document after the events")
	send(t, store, "evt_doc_after", review.EventRunNeedsReview, smallRun(9999))
	applyPending(t, store)
	waitFor(t, "page one drawn once no events arrive", func() bool { return drawn.Load() == 1 })
}
