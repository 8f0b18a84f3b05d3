package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// ceiling is how long a test waits for a condition before failing: generous,
// for a busy CI machine.
const ceiling = 2 * time.Minute

func openInternal(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sqliteStore is a store on SQLite, whatever the backend of the run.
func sqliteStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// plan is how SQLite would run q: the detail of each step.
func plan(t *testing.T, s *Store, q string, args ...any) []string {
	t.Helper()
	var steps []string
	err := queryRows(context.Background(), s.r, `EXPLAIN QUERY PLAN `+q, args, func(rows *sql.Rows) error {
		var id, parent, unused int
		var detail string
		err := rows.Scan(&id, &parent, &unused, &detail)
		steps = append(steps, detail)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

func appendReqFor(id string) appendReq {
	body := demo.Event(id, "x.y", []byte(`{}`))
	ev, _ := review.DecodeEvent(body)
	return appendReq{ctx: context.Background(), ev: ev, body: body, reply: make(chan appendResult, 1)}
}

// waitUntil polls cond until it holds, failing the test after ceiling.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(ceiling); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", ceiling, what)
		}
	}
}

func TestGroupCommitAnswersEachRequest(t *testing.T) {
	pgtest.Each(t, testGroupCommitAnswersEachRequest)
}

// testGroupCommitAnswersEachRequest: within one batch, an id stored before
// and an id sent twice are answered as not fresh, once each; a batch whose
// statement fails answers every request in it with an error, and stores
// none of them.
func testGroupCommitAnswersEachRequest(t *testing.T) {
	s := openInternal(t, t.TempDir())
	ctx := context.Background()
	old := appendReqFor("evt_old")
	s.commitBatch([]appendReq{old}, 1)
	if r := <-old.reply; r.err != nil || !r.fresh {
		t.Fatalf("first append: %+v", r)
	}

	batch := []appendReq{appendReqFor("evt_a"), appendReqFor("evt_old"), appendReqFor("evt_a"), appendReqFor("evt_b")}
	s.commitBatch(batch, len(batch))
	for i, want := range []bool{true, false, false, true} {
		if r := <-batch[i].reply; r.err != nil || r.fresh != want {
			t.Errorf("request %d (%s): %+v, want fresh=%v", i, batch[i].ev.ID, r, want)
		}
	}

	refuse := `CREATE TRIGGER events_refuse BEFORE INSERT ON events WHEN NEW.event_id = 'evt_bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`
	if s.pg != nil {
		refuse = `CREATE FUNCTION events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.event_id = 'evt_bad' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
			CREATE TRIGGER events_refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_refuse()`
	}
	if _, err := s.w.ExecContext(ctx, refuse); err != nil {
		t.Fatal(err)
	}
	failing := []appendReq{appendReqFor("evt_c"), appendReqFor("evt_bad"), appendReqFor("evt_d")}
	s.commitBatch(failing, len(failing))
	for i, r := range failing {
		if res := <-r.reply; res.err == nil {
			t.Errorf("request %d (%s) of the failing batch answered %+v, want an error", i, r.ev.ID, res)
		}
	}
	for _, id := range []string{"evt_c", "evt_bad", "evt_d"} {
		if _, err := s.Event(ctx, id); review.ErrorCode(err) != review.ENOTFOUND {
			t.Errorf("%s of the failing batch: %v, want not stored", id, err)
		}
	}
	// The store goes on: the next batch commits.
	if fresh, err := s.AppendEvent(ctx, old.ev, old.body); err != nil || fresh {
		t.Fatalf("append after a failed batch: fresh=%v err=%v", fresh, err)
	}
}

func TestConcurrentAppendsDurable(t *testing.T) { pgtest.Each(t, testConcurrentAppendsDurable) }

// testConcurrentAppendsDurable: appends from many senders, beside other
// writers holding the writer in turn, are each acknowledged once committed:
// a store opened afresh has every one.
func testConcurrentAppendsDurable(t *testing.T) {
	dir := t.TempDir()
	s := openInternal(t, dir)
	ctx := context.Background()
	stop := make(chan struct{})
	var others sync.WaitGroup
	for range 2 {
		others.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.write(ctx, func(tx *txn) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('bench', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, []byte("x"))
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	const senders = 300
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			r := appendReqFor(fmt.Sprintf("evt_%d", i))
			if fresh, err := s.AppendEvent(ctx, r.ev, r.body); err != nil || !fresh {
				t.Errorf("append %d: fresh=%v err=%v", i, fresh, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	others.Wait()
	s.Close()

	s = openInternal(t, dir)
	counts, err := s.EventCounts(ctx)
	if err != nil || counts["pending"] != senders {
		t.Fatalf("after reopen: %v, %v; want %d pending", counts, err, senders)
	}
}

func TestOneEventFromManySenders(t *testing.T) { pgtest.Each(t, testOneEventFromManySenders) }

// testOneEventFromManySenders: copies of one event sent at once (Extend
// delivering again before the first was answered), in one batch or in
// batches in flight together, are stored once and answered fresh once.
func testOneEventFromManySenders(t *testing.T) {
	s := openInternal(t, t.TempDir())
	ctx := context.Background()
	const senders = 40
	var sent sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for range senders {
		sent.Go(func() {
			r := appendReqFor("evt_again")
			ok, err := s.AppendEvent(ctx, r.ev, r.body)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	sent.Wait()
	if n != 1 {
		t.Errorf("%d of %d copies answered fresh, want 1", n, senders)
	}
	if counts, err := s.EventCounts(ctx); err != nil || counts["pending"] != 1 {
		t.Errorf("stored %v, %v; want one event", counts, err)
	}
}

// TestAcknowledgementsWriteFirst: with SQLite's one writer busy and other
// writes waiting for it, the group commit of acknowledgements is next.
func TestAcknowledgementsWriteFirst(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	g := s.w.gate
	queued := func(n int) func() bool {
		return func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.first)+len(g.others) == n
		}
	}
	ack, acked := busyWriter(t, s)
	const waiting = 3
	var seen []<-chan int
	for range waiting {
		seen = append(seen, countEvents(t, s, false))
	}
	waitUntil(t, "the other writes to wait", queued(waiting))
	ack("evt_1")
	waitUntil(t, "the group commit to wait", queued(waiting+1))
	g.unlock()
	if err := <-acked; err != nil {
		t.Fatal(err)
	}
	for _, c := range seen {
		if n := <-c; n != 1 {
			t.Errorf("a write waiting before the acknowledgement saw %d events: it went first", n)
		}
	}
}

// TestShowingReadsIndexes: measuring a document tells the runs that show
// it inside a write that acknowledgements wait for, so the runs are found
// on indexes of the document's hash, never by reading every run's files.
func TestShowingReadsIndexes(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	for _, step := range plan(t, s, showing, "abc", "abc") {
		if strings.HasPrefix(step, "SCAN") {
			t.Errorf("the runs showing a document are found by %q", step)
		}
	}
}

// TestMarkingEventsLeavesBodies: applying a batch marks its events done in
// the transaction acknowledgements wait behind (SQLite's one writer), so
// marking must not rewrite the 20 KB bodies: SQLite rewrites a whole row,
// overflow pages too, when an update changes its size. Counted as what the
// marking adds to the write-ahead log.
func TestMarkingEventsLeavesBodies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	const events, bodySize = 20, 20 << 10
	var outs []review.EventOutcome
	for i := range events {
		body := demo.Event(fmt.Sprintf("evt_%d", i), "x.y", []byte(`{"pad":"`+strings.Repeat("x", bodySize)+`"}`))
		ev, err := review.DecodeEvent(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.PendingEvents(ctx, events)
	if err != nil || len(evs) != events {
		t.Fatalf("%d pending, %v", len(evs), err)
	}
	for _, e := range evs {
		outs = append(outs, review.EventOutcome{Seq: e.Seq})
	}
	// An empty log, then only the marking writes to it: the background
	// checkpoints never grow it, and restart it only once it is copied.
	if _, err := s.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := s.write(ctx, func(tx *txn) error { return markEvents(ctx, tx, outs, 1) }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "reviewer.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(events * bodySize / 4); fi.Size() > limit {
		t.Errorf("marking %d events of %d KB done wrote %d KB to the log; want under %d KB", events, bodySize>>10, fi.Size()>>10, limit>>10)
	}
	counts, err := s.EventCounts(ctx)
	if err != nil || counts["done"] != events {
		t.Fatalf("counts %v, %v; want %d done", counts, err, events)
	}
}

// TestWorkersYieldToAcknowledgements: a worker's write asks for SQLite's
// writer only once no acknowledgement is in flight. Asking after the group
// commit was not enough: one that found the writer free between two group
// commits (the next acknowledgement already arrived, not yet batched) took
// it, and that acknowledgement waited for the whole write.
func TestWorkersYieldToAcknowledgements(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	g := s.w.gate
	g.patience = ceiling // as if the machine were quick: no test waits on time
	ack, acked := ackWaiting(t, s)
	ack("evt_2") // arrived while the group commit waits: in its batch or the next
	waitUntil(t, "the second acknowledgement to arrive", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.acks == 2
	})
	seen := countEvents(t, s, true)
	waitUntil(t, "the worker's write to wait", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.yielding == 1 || len(g.others) == 1
	})
	if n := release(t, g, acked, 2, seen); n != 2 {
		t.Errorf("the worker's write saw %d events: it took the writer before an acknowledgement in flight", n)
	}
}

// TestWorkersLeaveTheFsyncToAcknowledgements: a worker's write (applying
// events, storing documents, delivering) is redone from what is durable
// if a power loss takes it, so it commits without its own fsync and holds
// the writer that acknowledgements wait for that much shorter; every other
// write, a webhook's acknowledgement and a reviewer's decision among them,
// still commits durably, and so makes durable every write before it.
func TestWorkersLeaveTheFsyncToAcknowledgements(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	ctx := context.Background()
	worker := context.WithValue(ctx, backgroundKey{}, true)
	level := func(ctx context.Context) int {
		t.Helper()
		var n int
		err := s.write(ctx, func(tx *txn) error {
			return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const normal, full = 1, 2
	if n := level(ctx); n != full {
		t.Errorf("a reviewer's write commits with synchronous %d, want FULL (%d)", n, full)
	}
	for range 2 {
		if n := level(worker); n != normal {
			t.Errorf("a worker's write commits with synchronous %d, want NORMAL (%d)", n, normal)
		}
	}
	if n := level(ctx); n != full {
		t.Errorf("a reviewer's write after a worker's commits with synchronous %d, want FULL (%d)", n, full)
	}
	if n := level(worker); n != normal {
		t.Errorf("a worker's write commits with synchronous %d, want NORMAL (%d)", n, normal)
	}
	var n int // the group commit's write, as commitBatch makes it
	err := s.writeAs(context.Background(), true, func(tx *txn) error {
		return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != full {
		t.Errorf("an acknowledgement after a worker's write commits with synchronous %d, want FULL (%d)", n, full)
	}
}

// TestAcknowledgementsJoinTheBatchWaitingForTheWriter: an acknowledgement
// that arrives while the group commit waits for the writer is committed in
// that batch. It used to wait for the batch to be committed, then for the
// writer again: twice the wait behind a worker's write.
func TestAcknowledgementsJoinTheBatchWaitingForTheWriter(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	g := s.w.gate
	ack, acked := ackWaiting(t, s)
	ack("evt_2")
	waitUntil(t, "the second acknowledgement to be queued", func() bool { return len(s.appends) == 1 })
	seen := countEvents(t, s, false)
	waitUntil(t, "a reviewer's write to wait", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.others) == 1
	})
	if n := release(t, g, acked, 2, seen); n != 2 {
		t.Errorf("the write queued behind the group commit saw %d events: the acknowledgement that arrived while the batch waited for the writer was left for a commit of its own", n)
	}
}

// busyWriter takes the writer of s, as a write in progress would, and
// returns ack, which sends an event to be acknowledged beside the test,
// and acked, where each answer arrives.
func busyWriter(t *testing.T, s *Store) (ack func(id string), acked <-chan error) {
	t.Helper()
	if err := s.w.gate.lock(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	answers := make(chan error, 8)
	return func(id string) {
		go func() {
			r := appendReqFor(id)
			_, err := s.AppendEvent(context.Background(), r.ev, r.body)
			answers <- err
		}()
	}, answers
}

// ackWaiting is busyWriter with an acknowledgement (of evt_1) sent, once
// the group commit waits for the writer with it.
func ackWaiting(t *testing.T, s *Store) (ack func(id string), acked <-chan error) {
	t.Helper()
	ack, acked = busyWriter(t, s)
	ack("evt_1")
	g := s.w.gate
	waitUntil(t, "the group commit to wait for the writer", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.first) == 1
	})
	return ack, acked
}

// countEvents counts the events stored, in a write beside the test (a
// worker's when worker is set), and sends the count on the channel it
// returns.
func countEvents(t *testing.T, s *Store, worker bool) <-chan int {
	ctx := context.Background()
	if worker {
		ctx = context.WithValue(ctx, backgroundKey{}, true)
	}
	seen := make(chan int, 1)
	go func() {
		var n int
		err := s.write(ctx, func(tx *txn) error {
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n)
		})
		if err != nil {
			t.Error(err)
		}
		seen <- n
	}()
	return seen
}

// release hands the writer on, waits for n acknowledgements and returns
// the count of events the write behind them saw.
func release(t *testing.T, g *writeGate, acked <-chan error, n int, seen <-chan int) int {
	t.Helper()
	g.unlock()
	for range n {
		if err := <-acked; err != nil {
			t.Fatal(err)
		}
	}
	return <-seen
}

// postgresStore is a store on a fresh PostgreSQL database, whatever the
// backend of the run, with inserts of events whose id starts with
// "evt_slow" held until the test lets them go (release), and
// "evt_slow_bad" refused once let go. Inserts of "evt_x" wait too, once
// the transaction holds "evt_y": a batch that takes its ids in another
// order than a batch beside it.
func postgresStore(t *testing.T) (s *Store, release func()) {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{DB: pgtest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, `CREATE FUNCTION events_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			IF NEW.event_id LIKE 'evt_slow%' OR (NEW.event_id = 'evt_x' AND EXISTS (SELECT 1 FROM events WHERE event_id = 'evt_y')) THEN
				PERFORM pg_advisory_xact_lock(7);
			END IF;
			IF NEW.event_id = 'evt_slow_bad' THEN RAISE EXCEPTION 'refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER events_hold BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_hold()`); err != nil {
		t.Fatal(err)
	}
	holder, err := s.pg.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock(7)`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock(7)`); err != nil {
				t.Error(err)
			}
			holder.Close()
		})
	}
	t.Cleanup(release)
	return s, release
}

// waiting counts the transactions of s's database that wait for a lock:
// on advisory lock 7 (held) when held, else on another transaction.
func waiting(t *testing.T, s *Store, held bool) int {
	t.Helper()
	kind := `locktype = 'transactionid'`
	if held {
		kind = `locktype = 'advisory' AND objid = 7`
	}
	var n int
	if err := s.r.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE NOT granted AND `+kind+` AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// answer waits for a request's answer, failing the test after ceiling.
func answer(t *testing.T, what string, r appendReq) appendResult {
	t.Helper()
	select {
	case res := <-r.reply:
		return res
	case <-time.After(ceiling):
		t.Fatalf("waited %s for %s to be answered", ceiling, what)
		return appendResult{}
	}
}

// TestPostgresCommitsBesideABatchInFlight: on PostgreSQL an
// acknowledgement does not wait for the group commit before it. With one
// batch in flight at a time, the next waited for its commit: 0.91x the
// raw insert from as many connections.
func TestPostgresCommitsBesideABatchInFlight(t *testing.T) {
	t.Parallel()
	s, release := postgresStore(t)
	ctx := context.Background()
	answers := map[string]chan error{}
	send := func(id string) {
		c := make(chan error, 1)
		answers[id] = c
		r := appendReqFor(id)
		go func() {
			fresh, err := s.AppendEvent(ctx, r.ev, r.body)
			if err == nil && !fresh {
				err = fmt.Errorf("%s answered as stored before", id)
			}
			c <- err
		}()
	}
	send("evt_slow")
	waitUntil(t, "the batch of evt_slow to wait inside its transaction", func() bool { return waiting(t, s, true) == 1 })
	send("evt_fast")
	select {
	case err := <-answers["evt_fast"]:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(ceiling):
		t.Fatalf("evt_fast waited %s for the batch in flight before it", ceiling)
	}
	select {
	case err := <-answers["evt_slow"]:
		t.Fatalf("evt_slow answered (%v) before its commit", err)
	default:
	}
	release()
	if err := <-answers["evt_slow"]; err != nil {
		t.Fatal(err)
	}
}

// TestPostgresBatchesShareAnID: an event sent again while its first copy
// is in a batch in flight, and so in a batch beside it, is stored once;
// the batch that stores it answers fresh and the other as stored before,
// or, if the first batch fails, the second stores it.
func TestPostgresBatchesShareAnID(t *testing.T) {
	t.Parallel()
	for _, first := range []string{"evt_slow", "evt_slow_bad"} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			s, release := postgresStore(t)
			a := []appendReq{appendReqFor("evt_dup"), appendReqFor(first)}
			go s.commitBatch(a, len(a))
			waitUntil(t, "the first batch to hold evt_dup", func() bool { return waiting(t, s, true) == 1 })
			b := []appendReq{appendReqFor("evt_dup")}
			go s.commitBatch(b, len(b))
			waitUntil(t, "the second batch to wait for the first", func() bool { return waiting(t, s, false) == 1 })
			release()
			ra, rb := answer(t, "the first batch", a[0]), answer(t, "the second batch", b[0])
			if first == "evt_slow_bad" {
				if ra.err == nil || rb.err != nil || !rb.fresh {
					t.Errorf("first batch failing: answered %+v then %+v, want an error then fresh", ra, rb)
				}
			} else if ra.err != nil || rb.err != nil || !ra.fresh || rb.fresh {
				t.Errorf("answered %+v then %+v, want fresh then stored before", ra, rb)
			}
			if ev, err := s.Event(context.Background(), "evt_dup"); err != nil || ev.Event.ID != "evt_dup" {
				t.Errorf("evt_dup: %+v, %v", ev, err)
			}
		})
	}
}

// TestPostgresBatchesTakeIDsInOneOrder: two batches in flight holding the
// same two events, arrived in opposite orders, both commit. Inserted in
// the order they arrived, each held the index entry of its first event and
// waited for the other's: PostgreSQL broke the deadlock by failing one
// batch, every acknowledgement in it refused.
func TestPostgresBatchesTakeIDsInOneOrder(t *testing.T) {
	t.Parallel()
	s, release := postgresStore(t)
	a := []appendReq{appendReqFor("evt_y"), appendReqFor("evt_x")}
	b := []appendReq{appendReqFor("evt_x"), appendReqFor("evt_y")}
	answered := func(batch []appendReq) bool { return len(batch[len(batch)-1].reply) == 1 }
	go s.commitBatch(a, len(a))
	waitUntil(t, "the first batch to commit or hold evt_y", func() bool { return answered(a) || waiting(t, s, true) == 1 })
	go s.commitBatch(b, len(b))
	waitUntil(t, "the second batch to commit or wait", func() bool {
		return answered(b) || waiting(t, s, false) == 1 || answered(a) && waiting(t, s, true) == 1
	})
	release()
	fresh := map[string]int{}
	for i, r := range append(a, b...) {
		res := answer(t, r.ev.ID, r)
		if res.err != nil {
			t.Errorf("request %d (%s): %v", i, r.ev.ID, res.err)
		}
		if res.fresh {
			fresh[r.ev.ID]++
		}
	}
	if fresh["evt_x"] != 1 || fresh["evt_y"] != 1 {
		t.Errorf("answered fresh %v, want each id once", fresh)
	}
}
