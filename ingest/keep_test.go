package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/ingest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// keptDesk is the real desk, whose first KeepFetched waits until every
// document named has been fetched (stored, or refused), so that those
// fetched meanwhile are kept together, and which records the documents of
// each KeepFetched.
type keptDesk struct {
	*desk.Desk
	waitFor  int32 // documents to fetch before the first KeepFetched goes on
	fetches  atomic.Int32
	fetched  chan struct{} // closed once waitFor are fetched
	keeping  chan struct{} // if set, closed as the first KeepFetched begins
	once     sync.Once
	mu       sync.Mutex
	batches  [][]string // file ids, KeepFetched by KeepFetched
	failKeep bool       // every KeepFetched fails after its wait, as when the process stops
}

func newKeptDesk(d *desk.Desk, waitFor int) *keptDesk {
	return &keptDesk{Desk: d, waitFor: int32(waitFor), fetched: make(chan struct{})}
}

func (k *keptDesk) Fetch(ctx context.Context, fileID string, r io.Reader, limit int64) (review.Fetched, error) {
	f, err := k.Desk.Fetch(ctx, fileID, r, limit)
	if k.fetches.Add(1) == k.waitFor {
		close(k.fetched)
	}
	return f, err
}

func (k *keptDesk) KeepFetched(ctx context.Context, docs []review.Fetched) error {
	k.once.Do(func() {
		if k.keeping != nil {
			close(k.keeping)
		}
		select {
		case <-k.fetched:
		case <-ctx.Done():
		}
	})
	if k.failKeep {
		<-ctx.Done() // the process stops before this write commits
		return ctx.Err()
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.FileID
	}
	k.mu.Lock()
	k.batches = append(k.batches, ids)
	k.mu.Unlock()
	return k.Desk.KeepFetched(ctx, docs)
}

func (k *keptDesk) keptBatches() [][]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([][]string(nil), k.batches...)
}

// contentMeasurer measures a document by its first bytes: "page" is a
// one-page PDF, "not a document" cannot be shown, "flaky" fails for now.
type contentMeasurer struct{}

func (contentMeasurer) Inspect(_ context.Context, _, file string) (string, []review.PageSize, error) {
	b, err := os.ReadFile(file)
	switch {
	case err != nil:
		return "", nil, err
	case bytes.HasPrefix(b, []byte("not a document")):
		return "", nil, review.Errorf(review.EINVALID, "it is not a PDF")
	case bytes.HasPrefix(b, []byte("flaky")):
		return "", nil, review.Errorf(review.EINTERNAL, "the renderer is restarting")
	}
	return "pdf", []review.PageSize{{Width: 612, Height: 792}}, nil
}

func (contentMeasurer) DrawFirst(context.Context, string, string, string) error { return nil }

// keepFails fails keeping one file, as a write that breaks would.
type keepFails struct {
	*storage.Store
	fileID string
}

func (k keepFails) KeepFile(ctx context.Context, id, hash string, size int64) error {
	if id == k.fileID {
		return errors.New("the disk refused this file's row")
	}
	return k.Store.KeepFile(ctx, id, hash, size)
}

// serveFiles is a fake Extend API serving files by id, each download of
// a file in held once its channel is closed.
func serveFiles(t *testing.T, files map[string][]byte, held map[string]chan struct{}) string {
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"object":"file","id":%q,"presignedUrl":%q}`, r.PathValue("id"), srv.URL+"/blob/"+r.PathValue("id"))
	})
	mux.HandleFunc("GET /blob/{id}", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := held[r.PathValue("id")]; ok {
			select {
			case <-c:
			case <-r.Context().Done():
			}
		}
		w.Write(files[r.PathValue("id")])
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// pagesArrived is a store where n runs arrived, each with its own file
// (file_burst_0000 on) of a page, and the fake Extend API serving them.
func pagesArrived(t *testing.T, n int) (*storage.Store, string) {
	files := map[string][]byte{}
	for i := range n {
		files[fileID(i)] = fmt.Appendf(nil, "page %d", i)
	}
	url := serveFiles(t, files, nil)
	store, _ := setup(t, url, "sk_test")
	arrived(t, store, n)
	return store, url
}

// arrived stores and applies n runs, each with its own file
// (file_burst_0000 on).
func arrived(t *testing.T, store *storage.Store, n int) {
	t.Helper()
	for i := range n {
		send(t, store, fmt.Sprintf("evt_doc_%d", i), review.EventRunNeedsReview, smallRun(i))
	}
	applyPending(t, store)
}

// applyPending applies the events waiting, one by one.
func applyPending(t *testing.T, store *storage.Store) {
	t.Helper()
	ctx := context.Background()
	evs, _ := store.PendingEvents(ctx, 100)
	for _, e := range evs {
		c, _, err := review.InterpretStored(e.Body)
		if _, err := desk.New(store, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Seq: e.Seq, Change: c, Err: err}}); err != nil {
			t.Fatal(err)
		}
	}
}

func fileID(i int) string { return fmt.Sprintf("file_burst_%04d", i) }

func TestFetchedDocumentsKeptTogether(t *testing.T) {
	pgtest.Each(t, testFetchedDocumentsKeptTogether)
}

// testFetchedDocumentsKeptTogether: documents fetched while others are
// being kept are kept together, in one write (each document's file, its
// measure and its run's key were three writes of their own, waiting for
// the one writer three times), and each is kept whole: fetched, measured,
// its run keyed by its checksum.
func testFetchedDocumentsKeptTogether(t *testing.T) {
	const n = ingest.KeepBatch + 1
	store, url := pagesArrived(t, n)
	k := newKeptDesk(desk.New(store, contentMeasurer{}, nil, nil), n)
	w := ingest.NewWorker(store, k, extend.New(url, "sk_test", false), slog.New(slog.DiscardHandler))
	running(t, w)
	waitFor(t, "every document kept", func() bool { return w.FilesFetched.Load() == n })
	// The first write waits until every document is fetched: those
	// fetched meanwhile are kept together, in fewer writes than documents
	// (how many depends on when the worker hears of each fetch).
	b := k.keptBatches()
	if kept := slices.Concat(b...); len(b) >= n || len(kept) != n {
		t.Fatalf("kept %d documents in %d writes %v, want %d in fewer", len(kept), len(b), b, n)
	}
	ctx := context.Background()
	for i := range n {
		f, err := store.File(ctx, fileID(i))
		if err != nil || f.FetchState != review.FileFetched {
			t.Fatalf("file %d: %+v %v", i, f, err)
		}
		doc, found, err := store.Document(ctx, f.Blob)
		if err != nil || !found || len(doc.Pages) != 1 {
			t.Fatalf("document %d: %+v found %v %v", i, doc, found, err)
		}
		keyed, err := store.KeyedRunsOf(ctx, []string{fmt.Sprintf("workflow_run_burst_%04d", i)})
		if err != nil || len(keyed) != 1 || keyed[0].Key != review.ChecksumKeyPrefix+f.Blob {
			t.Fatalf("run %d: %d keyed, %v; want one keyed by %s", i, len(keyed), err, f.Blob)
		}
	}
	if w.FileErrors.Load() != 0 {
		t.Fatalf("%d fetch errors", w.FileErrors.Load())
	}
}

func TestBatchFailuresStayApart(t *testing.T) { pgtest.Each(t, testBatchFailuresStayApart) }

// testBatchFailuresStayApart: in one batch, a document too big, one that
// is not a document, one whose measuring fails for now and one whose
// write fails each get their own answer, as when they were kept one by
// one, and the others are kept.
func testBatchFailuresStayApart(t *testing.T) {
	const limit = 64 // limitDesk fetches at most this: the worker's bound is half a gigabyte
	keeping := make(chan struct{})
	files := map[string][]byte{
		fileID(0): []byte("page zero"),
		fileID(1): bytes.Repeat([]byte("x"), limit+1),
		fileID(2): []byte("not a document"),
		fileID(3): []byte("flaky"),
		fileID(4): []byte("page four, its write refused"),
		fileID(5): []byte("page five"),
	}
	// The refused write is not fetched before the first batch is being
	// kept (one document, kept while the others are fetched): it is kept
	// with others.
	url := serveFiles(t, files, map[string]chan struct{}{fileID(4): keeping})
	store, _ := setup(t, url, "sk_test")
	arrived(t, store, len(files))
	k := newKeptDesk(desk.New(keepFails{store, fileID(4)}, contentMeasurer{}, nil, nil), len(files))
	k.keeping = keeping
	w := ingest.NewWorker(blindStore{store}, limitDesk{k, limit}, extend.New(url, "sk_test", false), slog.New(slog.DiscardHandler))
	w.Backoff = func(int) time.Duration { return time.Hour } // one answer each
	running(t, w)
	ctx := context.Background()
	file := func(i int) review.File {
		f, err := store.File(ctx, fileID(i))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	waitFor(t, "every document kept or refused", func() bool {
		return w.FilesFetched.Load() == 4 && w.FileErrors.Load() == 2 && file(1).FetchError != "" && file(4).FetchError != ""
	})
	// When the refused write shared its batch (the usual case; how the
	// batches fall depends on when each fetch ends), its documents were then
	// kept one by one; either way each document's answer is its own, below.
	b := k.keptBatches()
	i := slices.IndexFunc(b, func(ids []string) bool { return slices.Contains(ids, fileID(4)) })
	if i < 0 || len(b[i]) > 1 && len(b) < i+1+len(b[i]) {
		t.Fatalf("kept %v: want the refused write's batch, then each of its documents alone", b)
	}
	if f := file(1); f.FetchState != review.FilePending || !strings.Contains(f.FetchError, fmt.Sprintf("larger than %d bytes", limit)) {
		t.Fatalf("the document too big: %+v", f)
	}
	if f := file(4); f.FetchState != review.FilePending || !strings.Contains(f.FetchError, "the disk refused this file's row") {
		t.Fatalf("the document whose write failed: %+v", f)
	}
	for i, want := range map[int]string{0: "", 2: "This document cannot be shown: it is not a PDF", 5: ""} {
		f := file(i)
		doc, found, err := store.Document(ctx, f.Blob)
		if f.FetchState != review.FileFetched || err != nil || !found || doc.Error != want {
			t.Fatalf("document %d: %+v, %+v found %v %v; want the error %q", i, f, doc, found, err, want)
		}
	}
	f := file(3) // kept, and left to be measured again
	if _, found, err := store.Document(ctx, f.Blob); f.FetchState != review.FileFetched || found || err != nil {
		t.Fatalf("the document whose measuring failed for now: %+v measured %v %v", f, found, err)
	}
	if blobs, err := store.Unmeasured(ctx, 10); err != nil || len(blobs) != 1 || blobs[0] != f.Blob {
		t.Fatalf("unmeasured %v %v, want %s", blobs, err, f.Blob)
	}
}

// limitDesk fetches at most limit bytes a document.
type limitDesk struct {
	*keptDesk
	limit int64
}

func (l limitDesk) Fetch(ctx context.Context, fileID string, r io.Reader, _ int64) (review.Fetched, error) {
	return l.keptDesk.Fetch(ctx, fileID, r, l.limit)
}

func TestStoppedMidBatchFetchesAgain(t *testing.T) { pgtest.Each(t, testStoppedMidBatchFetchesAgain) }

// testStoppedMidBatchFetchesAgain: documents fetched but not yet kept when
// the process stops are still due, with no error, and the next start
// fetches them.
func testStoppedMidBatchFetchesAgain(t *testing.T) {
	const n = ingest.FetchConcurrency + 1
	store, url := pagesArrived(t, n)
	k := newKeptDesk(desk.New(store, contentMeasurer{}, nil, nil), n)
	k.failKeep = true
	w := ingest.NewWorker(store, k, extend.New(url, "sk_test", false), slog.New(slog.DiscardHandler))
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	waitFor(t, "every document fetched", func() bool { return k.fetches.Load() == n })
	stop()
	<-done
	ctx = context.Background()
	due, err := store.DueFiles(ctx, 100)
	if err != nil || len(due) != n || w.FilesFetched.Load() != 0 || w.FileErrors.Load() != 0 {
		t.Fatalf("due after the stop: %+v %v; fetched %d, errors %d", due, err, w.FilesFetched.Load(), w.FileErrors.Load())
	}
	for _, d := range due {
		if f, _ := store.File(ctx, d.ID); d.Attempts != 0 || f.FetchError != "" {
			t.Fatalf("file %s after the stop: %+v, attempts %d", d.ID, f, d.Attempts)
		}
	}
	again := ingest.NewWorker(store, desk.New(store, contentMeasurer{}, nil, nil), extend.New(url, "sk_test", false), slog.New(slog.DiscardHandler))
	running(t, again)
	waitFor(t, "every document fetched on the next start", func() bool { return again.FilesFetched.Load() == n })
}
