// Package ingest turns stored webhook events into reviewer's state and
// fetches the documents they name. It runs behind the webhook receiver: the
// receiver only makes an event durable; everything that can fail slowly or
// be retried happens here, after the acknowledgement. What an event does
// to a run is the desk's (desk.Arrive), as are storing, measuring and
// keeping a document (desk.Fetch, desk.KeepFetched); the worker fetches,
// interprets and keeps its inbox.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/review"
)

// Limits on what is fetched and applied.
const (
	MaxPayloadBytes = 256 << 20 // a signed-data-URL payload
	MaxFileBytes    = 512 << 20 // a document
	maxFileAttempts = 12        // about a day of backoff, capped at 4 h between tries
	// applyBatch is the most events one write transaction applies, and
	// minApplyBatch the fewest it is asked to: one commit pays for them all.
	applyBatch    = 256
	minApplyBatch = 16
	// applyBytes is about how much a batch writes when acknowledging webhooks
	// waits for the same writer (SQLite): a batch takes as many events as
	// fit, by the size of the last ones. Writing is mostly copying pages,
	// so a megabyte (50 runs of 20 KB, a few milliseconds on a quiet
	// machine) keeps acknowledgements from waiting long behind it; 256 such
	// runs held them back a tenth of a second on a busy one. Timing the
	// batches instead would count the waits for the writer too, and shrink
	// the batches the more acknowledgements there are. With PostgreSQL the
	// receiver writes beside the batch, and batches stay full: each costs a
	// dozen round trips.
	applyBytes = 1 << 20
	// FetchConcurrency is how many documents are fetched and measured at
	// once: enough that one slow download does not hold up the others.
	FetchConcurrency = 4
	// FetchBehind is how many while events wait to be applied: fetching
	// and measuring a document costs several times the CPU of applying its
	// event, and a run's row in the queue comes before its pages. The
	// documents fetched while a batch is kept are kept together, so one at
	// a time still fills a write; two at a time took the CPU the events
	// needed on a busy machine (acknowledged to shown p99 1.1-2.4 times
	// worse in five pairs, beside 1.5-3 times the documents).
	FetchBehind = 1
	// KeepBatch is the most fetched documents one write keeps (their
	// files, their measures and their runs' keys): each of those writes
	// waited about 7 ms for the one writer beside acknowledgements. With
	// SQLite a batch holds the writer acknowledgements wait for: 16 at a
	// time cut acknowledgements beside a CPU neighbour to 118-128/s of 200
	// in three pairs; 4 kept them at the build before's (176/s, one pair).
	// Documents fetched wait to be kept (their bytes on disk, nothing in
	// memory) while a batch is kept; no more are fetched while a full
	// batch waits.
	KeepBatch = 4
	// drawQueue is how many measured documents wait for their page one to
	// be drawn: drawing (50-75 ms of PDFium) costs ten times fetching and
	// measuring, so under a burst the queue fills and documents beyond it
	// are not drawn on arrival (their page one is drawn when first asked
	// for, as any other page). A few seconds of drawing at most.
	drawQueue = 64
)

// Store is the durable inbox the worker drains, and where documents go.
type Store interface {
	Wake() <-chan struct{} // closed when events are next committed; take it before looking
	OneWriter() bool       // applying holds the writer that acknowledging webhooks waits for
	PendingEvents(ctx context.Context, limit int) ([]review.StoredEvent, error)
	SetResolved(ctx context.Context, seq int64, payload []byte) error
	FailEvent(ctx context.Context, seq int64, reason string) error
	DueFiles(ctx context.Context, limit int) ([]review.FileTask, error)
	FileFailed(ctx context.Context, id string, reason string, retryAt time.Time) error
	Unmeasured(ctx context.Context, limit int) ([]string, error)
}

// Desk is the use-cases the worker calls (package desk): the arrival of
// what events bring, and of a document.
type Desk interface {
	// Arrive applies interpreted events, deciding whether each run goes
	// to review.
	Arrive(ctx context.Context, outs []review.EventOutcome) (review.Applied, error)
	// Fetch stores a fetched document's bytes and measures them, holding
	// no writer.
	Fetch(ctx context.Context, fileID string, r io.Reader, limit int64) (review.Fetched, error)
	// KeepFetched keeps documents fetched, their measures and the keys of
	// the runs that show them, in one write: all, or none.
	KeepFetched(ctx context.Context, docs []review.Fetched) error
	// Measure measures a document stored by other ways (uploads, the demo,
	// or fetched before a restart), so the pages that show it only read.
	Measure(ctx context.Context, blob string) (review.Document, error)
	// DrawFirst draws page one of a measured document, so its first view
	// need not wait for it.
	DrawFirst(ctx context.Context, blob string) error
}

// Worker processes pending events and fetches due documents.
type Worker struct {
	Store   Store
	Desk    Desk
	Extend  *extend.Client
	Log     *slog.Logger
	Now     func() time.Time
	Backoff func(attempt int) time.Duration // wait before a document is fetched again

	filesWake chan struct{}
	drawing   chan string // measured documents whose page one is to be drawn
	batch     int         // with one writer, events the next batch takes (see applyBytes)
	behind    atomic.Bool // the last batch was full: more events may be waiting
	arriving  atomic.Bool // the last look found events: page one waits

	Processed, Failed, FilesFetched, FileErrors atomic.Int64
}

// Counts returns the worker's counters since start.
func (w *Worker) Counts() (processed, failed, filesFetched, fileErrors int64) {
	return w.Processed.Load(), w.Failed.Load(), w.FilesFetched.Load(), w.FileErrors.Load()
}

// NewWorker returns a worker over store, applying and measuring through
// desk, fetching through client.
func NewWorker(store Store, desk Desk, client *extend.Client, log *slog.Logger) *Worker {
	w := &Worker{
		Store: store, Desk: desk, Extend: client, Log: log, Now: time.Now, Backoff: Backoff,
		filesWake: make(chan struct{}, 1),
		drawing:   make(chan string, drawQueue),
	}
	w.behind.Store(true) // until the first batch says otherwise: after a restart, events waiting come first
	return w
}

// Run processes events and fetches documents until ctx ends. Work cut short
// stays pending in the database and is done on the next start.
func (w *Worker) Run(ctx context.Context) {
	done := make(chan struct{}, 2)
	go func() { w.fetchLoop(ctx); done <- struct{}{} }()
	go func() { w.drawLoop(ctx); done <- struct{}{} }()
	w.eventLoop(ctx)
	<-done
	<-done
}

func (w *Worker) eventLoop(ctx context.Context) {
	for ctx.Err() == nil {
		wake := w.Store.Wake() // before looking: an event committed meanwhile wakes the wait below
		n, err := w.ProcessPending(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("process events", "err", err)
		}
		if n > 0 && err == nil {
			// More may be waiting: no pause while work is pending. The
			// receiver is not kept waiting meanwhile, for a batch holds the
			// writer only to write what was decoded before.
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(5 * time.Second):
		}
	}
}

// ProcessPending interprets and applies one batch of pending events and
// returns how many it handled.
func (w *Worker) ProcessPending(ctx context.Context) (int, error) {
	limit := applyBatch
	if w.Store.OneWriter() {
		limit = max(w.batch, minApplyBatch)
	}
	evs, err := w.Store.PendingEvents(ctx, limit)
	w.behind.Store(err == nil && len(evs) == limit)
	w.arriving.Store(err != nil || len(evs) > 0)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	outs := make([]review.EventOutcome, len(evs))
	for i, e := range evs {
		outs[i] = review.EventOutcome{Seq: e.Seq}
		outs[i].Change, outs[i].Err = w.interpret(ctx, e)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	if w.Store.OneWriter() {
		size := 0
		for _, e := range evs {
			size += len(e.Body) + len(e.Resolved)
		}
		w.batch = min(max(applyBytes*len(evs)/max(size, 1), minApplyBatch), applyBatch)
	}
	applied, err := w.Desk.Arrive(ctx, outs)
	if err != nil {
		// One event's change broke the batch: apply them one by one so
		// only the bad one fails.
		applied = review.Applied{}
		for _, o := range outs {
			a, err := w.Desk.Arrive(ctx, []review.EventOutcome{o})
			if err != nil {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				o.Err = err
				if err := w.Store.FailEvent(ctx, o.Seq, err.Error()); err != nil {
					return 0, err
				}
			}
			applied.Runs = append(applied.Runs, a.Runs...)
		}
	}
	for _, o := range outs {
		if o.Err != nil {
			w.Failed.Add(1)
			w.Log.Warn("event failed", "seq", o.Seq, "err", o.Err)
		} else {
			w.Processed.Add(1)
		}
	}
	if len(applied.Runs) > 0 {
		select {
		case w.filesWake <- struct{}{}:
		default:
		}
	}
	return len(evs), nil
}

func (w *Worker) interpret(ctx context.Context, e review.StoredEvent) (review.EventChange, error) {
	if e.Resolved != nil {
		return review.Interpret(review.Event{ID: e.Event.ID, Type: e.Event.Type, Payload: e.Resolved})
	}
	c, link, err := review.InterpretStored(e.Body)
	if err != nil || link == "" {
		return c, err
	}
	payload, err := w.fetchPayload(ctx, link)
	if err != nil {
		return review.EventChange{}, fmt.Errorf("fetch signed payload: %w", err)
	}
	if err := w.Store.SetResolved(ctx, e.Seq, payload); err != nil {
		return review.EventChange{}, err
	}
	return review.Interpret(review.Event{ID: e.Event.ID, Type: e.Event.Type, Payload: payload})
}

func (w *Worker) fetchPayload(ctx context.Context, link string) ([]byte, error) {
	if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%q is not an http(s) URL", link)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	body, err := w.Extend.Download(ctx, link)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return readAll(body, MaxPayloadBytes)
}

// fetched is a document fetched and stored, waiting to be kept.
type fetched struct {
	task review.FileTask
	doc  review.Fetched
	err  error
}

// fetchLoop fetches due documents, FetchConcurrency at a time (FetchBehind
// while events wait), keeps those fetched a batch at a time while more are
// fetched, and when none is due measures those stored by other ways
// (uploads, the demo, or before a restart). A document is fetched again
// until its batch is kept: one fetched by a process that stops first is
// still due.
func (w *Worker) fetchLoop(ctx context.Context) {
	var due []review.FileTask // looked up a few at a time, not once a document
	var ready []fetched       // fetched, waiting to be kept
	inFlight := map[string]bool{}
	downloading, keeping := 0, false
	done := make(chan fetched, FetchConcurrency) // never blocks a fetch: at most that many run
	kept := make(chan []fetched, 1)
	defer func() {
		for ; downloading > 0; downloading-- {
			<-done
		}
		if keeping {
			<-kept
		}
	}()
	for ctx.Err() == nil {
		slots := FetchConcurrency
		if w.behind.Load() {
			slots = FetchBehind // events first
		}
		if len(due) == 0 && downloading < slots && len(ready) < KeepBatch {
			// Those in flight are still due: ask for enough to find others.
			tasks, err := w.Store.DueFiles(ctx, 4*FetchConcurrency+len(inFlight))
			if err != nil && ctx.Err() == nil {
				w.Log.Error("due files", "err", err)
			}
			for _, t := range tasks {
				if !inFlight[t.ID] {
					due = append(due, t)
				}
			}
		}
		for len(due) > 0 && downloading < slots && len(ready) < KeepBatch {
			t := due[0]
			due = due[1:]
			inFlight[t.ID] = true
			downloading++
			go func() {
				f := fetched{task: t}
				f.doc, f.err = w.fetchFile(ctx, t)
				done <- f
			}()
		}
		if !keeping && len(ready) > 0 {
			batch := ready[:min(len(ready), KeepBatch)]
			ready = ready[len(batch):]
			keeping = true
			go func() { w.keep(ctx, batch); kept <- batch }()
		}
		if len(inFlight) == 0 {
			w.measure(ctx)
		}
		select {
		case <-ctx.Done():
		case f := <-done:
			downloading--
			if f.err == nil {
				ready = append(ready, f)
			} else {
				w.fetchFailed(ctx, f.task, f.err)
				delete(inFlight, f.task.ID)
			}
		case batch := <-kept:
			keeping = false
			for _, f := range batch {
				delete(inFlight, f.task.ID)
			}
		case <-w.filesWake:
		case <-time.After(time.Second):
		}
	}
}

// keep keeps a batch of fetched documents in one write, and queues their
// page one to be drawn. A batch that fails is kept one document at a time,
// so that only the document whose write fails is fetched again.
func (w *Worker) keep(ctx context.Context, batch []fetched) {
	docs := make([]review.Fetched, len(batch))
	for i, f := range batch {
		docs[i] = f.doc
	}
	err := w.Desk.KeepFetched(ctx, docs)
	if err != nil && len(batch) > 1 && ctx.Err() == nil {
		for i := range batch {
			w.keep(ctx, batch[i:i+1])
		}
		return
	}
	for _, f := range batch {
		if err != nil {
			w.fetchFailed(ctx, f.task, err)
			continue
		}
		w.FilesFetched.Add(1)
		if f.doc.Measured {
			w.draw(f.doc.Blob)
		}
	}
}

// measure measures the documents stored but not yet measured.
func (w *Worker) measure(ctx context.Context) {
	blobs, err := w.Store.Unmeasured(ctx, 16)
	if err != nil && ctx.Err() == nil {
		w.Log.Error("unmeasured documents", "err", err)
	}
	for _, b := range blobs {
		w.measureOne(ctx, b)
	}
}

// measureOne measures one stored document, and queues its page one to be
// drawn; a failure leaves it unmeasured, for measure to try again.
func (w *Worker) measureOne(ctx context.Context, blob string) {
	if _, err := w.Desk.Measure(ctx, blob); err != nil {
		if ctx.Err() == nil {
			w.Log.Warn("measure document", "blob", blob, "err", err)
		}
		return
	}
	w.draw(blob)
}

// draw queues page one of a measured document to be drawn, unless the
// queue is full.
func (w *Worker) draw(blob string) {
	select {
	case w.drawing <- blob:
	default: // behind: drawn when first asked for
	}
}

// drawLoop draws page one of measured documents, one at a time, beside
// fetching and measuring and never holding them up, while no events are
// arriving.
func (w *Worker) drawLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case blob := <-w.drawing:
			if w.arriving.Load() {
				// Events first: drawing a page costs 50-75 ms of CPU, as
				// much as applying a hundred events; this page is drawn
				// when first asked for.
				continue
			}
			if err := w.Desk.DrawFirst(ctx, blob); err != nil && ctx.Err() == nil {
				w.Log.Warn("draw page one", "blob", blob, "err", err)
			}
		}
	}
}

// fetchFile downloads one document, Extend's file record first, then its
// presigned URL, and stores and measures it, to be kept with others.
func (w *Worker) fetchFile(ctx context.Context, t review.FileTask) (review.Fetched, error) {
	if !w.Extend.Configured() {
		return review.Fetched{}, errNoAPIKey
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	f, err := w.Extend.GetFile(ctx, t.ID, t.APIVersion)
	if err != nil {
		return review.Fetched{}, err
	}
	body, err := w.Extend.DownloadFile(ctx, f)
	if err != nil {
		return review.Fetched{}, err
	}
	defer body.Close()
	return w.Desk.Fetch(ctx, t.ID, body, MaxFileBytes)
}

var errNoAPIKey = errors.New("no Extend API key is configured: upload the document or set --extend-api-key")

// fetchFailed records a document that could not be fetched or kept. It is
// retried with exponential backoff and jitter, and stays visible on the
// run page with its reason.
func (w *Worker) fetchFailed(ctx context.Context, t review.FileTask, err error) {
	if ctx.Err() != nil {
		return // shutting down: the file stays due
	}
	retryAt := time.Time{}
	if errors.Is(err, errNoAPIKey) {
		w.Store.FileFailed(ctx, t.ID, err.Error(), retryAt)
		return
	}
	w.FileErrors.Add(1)
	var se *extend.StatusError
	if t.Attempts+1 < maxFileAttempts && (!errors.As(err, &se) || se.Temporary()) {
		retryAt = w.Now().Add(w.Backoff(t.Attempts))
	}
	w.Log.Warn("fetch file", "file", t.ID, "attempt", t.Attempts+1, "retry_at", retryAt, "err", err)
	if err := w.Store.FileFailed(ctx, t.ID, err.Error(), retryAt); err != nil {
		w.Log.Error("record file failure", "file", t.ID, "err", err)
	}
}

// Backoff is the wait before retry number attempt+1: exponential from two
// seconds, capped at four hours, with up to 20% random jitter so that many
// failures do not retry in step.
func Backoff(attempt int) time.Duration {
	d := 2 * time.Second << min(attempt, 13)
	d = min(d, 4*time.Hour)
	return d + time.Duration(rand.Int64N(int64(d/5)+1))
}

// readAll reads r to the end, refusing more than limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
