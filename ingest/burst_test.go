package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/ingest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// waitFor waits until cond holds, failing the test after a generous
// ceiling (the machine may be shared and slow under -race).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 30 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running runs w until the test ends.
func running(t *testing.T, w *ingest.Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// memStore is an inbox in memory that applies instantly and records the
// size of each batch it was given.
type memStore struct {
	mu        sync.Mutex
	events    []review.StoredEvent
	batches   []int // events
	bytes     []int // and their bodies' bytes, batch by batch
	applied   map[string]bool
	oneWriter bool
}

func (m *memStore) Wake() <-chan struct{} { return make(chan struct{}) }

func (m *memStore) OneWriter() bool { return m.oneWriter }

func (m *memStore) PendingEvents(_ context.Context, limit int) ([]review.StoredEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []review.StoredEvent
	for _, e := range m.events {
		if e.State == "pending" && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) ApplyEvents(_ context.Context, outs []review.EventOutcome) (review.Applied, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = append(m.batches, len(outs))
	m.bytes = append(m.bytes, 0)
	var a review.Applied
	for _, o := range outs {
		m.bytes[len(m.bytes)-1] += len(m.events[o.Seq-1].Body)
		m.events[o.Seq-1].State = "done"
		if r := o.Change.Run; o.Err == nil && r != nil {
			m.applied[r.ID] = true
			a.Runs = append(a.Runs, r.ID)
		}
	}
	return a, nil
}

func (m *memStore) done() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.applied)
}

func (m *memStore) SetResolved(context.Context, int64, []byte) error { return nil }
func (m *memStore) FailEvent(context.Context, int64, string) error   { return nil }
func (m *memStore) DueFiles(context.Context, int) ([]review.FileTask, error) {
	return nil, nil
}
func (m *memStore) FileFailed(context.Context, string, string, time.Time) error { return nil }
func (m *memStore) Unmeasured(context.Context, int) ([]string, error)           { return nil, nil }

// smallRun is a distinct run of a few hundred bytes, its own file.
func smallRun(i int) []byte {
	return fmt.Appendf(nil, `{"object":"workflow_run","id":"workflow_run_burst_%04d","status":"NEEDS_REVIEW","workflow":{"id":"wf_burst","name":"Burst"},
		"files":[{"id":"file_burst_%04d","name":"burst-%04d.pdf","type":"PDF"}],
		"outputs":[{"id":"dpr_burst_%04d","type":"EXTRACT","output":{"total":{"type":"number","value":%d,"confidence":0.5}}}]}`, i, i, i, i, i)
}

// TestBurstIsAppliedInFullBatches: events waiting while webhooks keep
// arriving are applied in full batches, one after another. The worker used
// to take 8 and sleep 200 ms while an event had been committed in the last
// 20 ms: at most 40 events a second, however many were waiting.
func TestBurstIsAppliedInFullBatches(t *testing.T) {
	const burst = 600
	m := &memStore{applied: map[string]bool{}}
	for i := range burst {
		m.events = append(m.events, review.StoredEvent{Seq: int64(i + 1), Body: demo.Event(fmt.Sprintf("evt_burst_%04d", i), review.EventRunNeedsReview, smallRun(i)), State: "pending"})
	}
	w := ingest.NewWorker(m, applier{store: m}, extend.New("http://127.0.0.1:1", "", false), slog.New(slog.DiscardHandler))
	running(t, w)
	waitFor(t, "every run applied", func() bool { return m.done() == burst })
	m.mu.Lock()
	defer m.mu.Unlock()
	if want := []int{256, 256, 88}; !slices.Equal(m.batches, want) {
		t.Fatalf("batches of %v, want %v", m.batches, want)
	}
}

// TestOneWriterBatchesByBytes: where acknowledging webhooks waits for the
// same writer, a batch of 20 KB runs writes about a megabyte (the first,
// knowing nothing of their size, 16 of them), never 256 of them at once.
func TestOneWriterBatchesByBytes(t *testing.T) {
	const burst = 300
	arrival, err := demo.Arrival()
	if err != nil {
		t.Fatal(err)
	}
	m := &memStore{applied: map[string]bool{}, oneWriter: true}
	for i := range burst {
		tag := fmt.Sprintf("bytes_%04d", i)
		m.events = append(m.events, review.StoredEvent{Seq: int64(i + 1), Body: demo.Event("evt_"+tag, review.EventRunNeedsReview, arrival(tag)), State: "pending"})
	}
	w := ingest.NewWorker(m, applier{store: m}, extend.New("http://127.0.0.1:1", "", false), slog.New(slog.DiscardHandler))
	running(t, w)
	waitFor(t, "every run applied", func() bool { return m.done() == burst })
	m.mu.Lock()
	defer m.mu.Unlock()
	event := len(m.events[0].Body)
	ok := m.batches[0] == 16
	for i, n := range m.bytes[1:] {
		last := i == len(m.bytes)-2
		ok = ok && n <= 1<<20+event && (last || n >= 1<<20-event)
	}
	if !ok {
		t.Fatalf("batches of %v events, %v bytes; want 16 events first, then a megabyte each", m.batches, m.bytes)
	}
}

// TestBurstOfDistinctRunsAllVisible: runs acknowledged while the worker is
// applying, each its own run and document, all reach the queue and the
// change feed (what open queue pages are sent), each once.
func TestBurstOfDistinctRunsAllVisible(t *testing.T) {
	pgtest.Each(t, testBurstOfDistinctRunsAllVisible)
}

func testBurstOfDistinctRunsAllVisible(t *testing.T) {
	const burst = 300
	store, w := setup(t, "http://127.0.0.1:1", "")
	running(t, w)
	ctx := context.Background()
	var senders sync.WaitGroup
	for s := range 10 { // as the receiver does, many at once, while the worker runs
		senders.Go(func() {
			for i := s; i < burst; i += 10 {
				body := demo.Event(fmt.Sprintf("evt_burst_%04d", i), review.EventRunNeedsReview, smallRun(i))
				ev, _ := review.DecodeEvent(body)
				if _, err := store.AppendEvent(ctx, ev, body); err != nil {
					t.Error(err)
				}
			}
		})
	}
	senders.Wait()
	waitFor(t, "every run in the queue", func() bool { d, _ := store.QueueDepth(ctx); return d == burst })
	if counts, _ := store.EventCounts(ctx); counts["done"] != burst || len(counts) != 1 {
		t.Fatalf("events %v, want %d done", counts, burst)
	}
	queue, _, err := store.Queue(ctx, review.QueueFilter{Limit: burst + 1})
	if err != nil || len(queue) != burst {
		t.Fatalf("queue of %d: %v", len(queue), err)
	}
	told := map[string]int{}
	for seq := int64(0); ; {
		chs, err := store.ChangesSince(ctx, seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(chs) == 0 {
			break
		}
		for _, ch := range chs {
			if ch.Kind == review.FeedRun {
				told[ch.RunID]++
			}
			seq = ch.Seq
		}
	}
	for _, r := range queue {
		if told[r.ID] != 1 {
			t.Fatalf("run %s told %d times on the feed", r.ID, told[r.ID])
		}
	}
}

// otherLeader is a store on which another instance applies one event of
// the batch just read, as a leader that lost its lock a moment ago would:
// the batch then fails midway, at that event.
type otherLeader struct {
	*storage.Store
	victim string // the event id the other one applies
	once   sync.Once
}

func (o *otherLeader) PendingEvents(ctx context.Context, limit int) ([]review.StoredEvent, error) {
	evs, err := o.Store.PendingEvents(ctx, limit)
	for _, e := range evs {
		if e.Event.ID == o.victim {
			o.once.Do(func() {
				ev, _ := review.DecodeEvent(e.Body)
				c, ierr := review.Interpret(ev)
				if _, aerr := desk.New(o.Store, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Seq: e.Seq, Change: c, Err: ierr}}); aerr != nil {
					panic(aerr)
				}
			})
		}
	}
	return evs, err
}

// TestBatchFailingMidwayLosesNothing: when a batch fails at its fourth
// event (applied meanwhile elsewhere), the whole transaction rolls back and
// the events are applied one by one: every run arrives, and the event
// applied elsewhere stays done, not failed.
func TestBatchFailingMidwayLosesNothing(t *testing.T) {
	pgtest.Each(t, testBatchFailingMidwayLosesNothing)
}

func testBatchFailingMidwayLosesNothing(t *testing.T) {
	store, _ := setup(t, "http://127.0.0.1:1", "")
	ctx := context.Background()
	for i := range 6 {
		body := demo.Event(fmt.Sprintf("evt_mid_%d", i), review.EventRunNeedsReview, smallRun(i))
		ev, _ := review.DecodeEvent(body)
		if _, err := store.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	o := &otherLeader{Store: store, victim: "evt_mid_3"}
	w := ingest.NewWorker(o, applier{store: o}, extend.New("http://127.0.0.1:1", "", false), slog.New(slog.DiscardHandler))
	if n, err := w.ProcessPending(ctx); n != 6 || err != nil {
		t.Fatalf("processed %d: %v", n, err)
	}
	if d, _ := store.QueueDepth(ctx); d != 6 {
		t.Fatalf("%d runs in the queue, want 6", d)
	}
	if counts, _ := store.EventCounts(ctx); counts["done"] != 6 || len(counts) != 1 {
		t.Fatalf("events %v, want 6 done", counts)
	}
}
