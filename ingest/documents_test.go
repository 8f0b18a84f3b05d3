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
	w := ingest.NewWorker(blindStore{store}, extend.New(fake.srv.URL, "sk_test", false), slog.New(slog.DiscardHandler))
	w.Learn = func(_ context.Context, blob string) error { learnt.Store(blob, true); return nil }
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

// blindStore finds no unmeasured documents.
type blindStore struct{ *storage.Store }

func (blindStore) Unmeasured(context.Context, int) ([]string, error) { return nil, nil }

// TestDocumentsFetchedSeveralAtOnce: due documents are downloaded several at
// a time, never more than ingest.FetchConcurrency: one slow download does
// not hold the others up, and a burst does not open a connection per run.
func TestDocumentsFetchedSeveralAtOnce(t *testing.T) {
	const files = 2*ingest.FetchConcurrency + 1
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	api := http.NewServeMux()
	var srv *httptest.Server
	api.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"object":"file","id":%q,"presignedUrl":%q}`, r.PathValue("id"), srv.URL+"/blob/"+r.PathValue("id"))
	})
	api.HandleFunc("GET /blob/{id}", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n == ingest.FetchConcurrency {
			once.Do(func() { close(release) })
		}
		select { // held until as many are in flight as may be, then all go
		case <-release:
		case <-r.Context().Done():
		}
		fmt.Fprintf(w, "document %s", r.PathValue("id"))
	})
	srv = httptest.NewServer(api)
	defer srv.Close()
	defer once.Do(func() { close(release) })
	store, w := setup(t, srv.URL, "sk_test")
	ctx := context.Background()
	for i := range files {
		body := demo.Event(fmt.Sprintf("evt_doc_%d", i), review.EventRunNeedsReview, smallRun(i))
		ev, _ := review.DecodeEvent(body)
		if _, err := store.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	running(t, w)
	waitFor(t, fmt.Sprintf("%d downloads at once", ingest.FetchConcurrency), func() bool { return most.Load() >= ingest.FetchConcurrency })
	waitFor(t, "every document fetched", func() bool { return w.FilesFetched.Load() == files })
	if m := most.Load(); m != ingest.FetchConcurrency {
		t.Fatalf("%d downloads at once, want at most %d", m, ingest.FetchConcurrency)
	}
}
