package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

type appendReq struct {
	ctx   context.Context
	ev    review.Event
	body  []byte
	reply chan appendResult
}

type appendResult struct {
	fresh bool
	err   error
}

// ErrClosed is returned by AppendEvent once the store is closing.
var ErrClosed = review.Errorf(review.EUNAVAILABLE, "the server is shutting down")

// AppendEvent stores a webhook event's raw body durably. It returns once the
// transaction holding it has committed; fresh is false when an event with the
// same id was stored before (Extend delivers at least once).
func (s *Store) AppendEvent(ctx context.Context, ev review.Event, body []byte) (fresh bool, err error) {
	req := appendReq{ctx: ctx, ev: ev, body: body, reply: make(chan appendResult, 1)}
	if g := s.w.gate; g != nil {
		g.ackBegin()
		defer g.ackEnd()
	}
	s.closing.RLock()
	if s.closed {
		s.closing.RUnlock()
		return false, ErrClosed
	}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		s.closing.RUnlock()
		return false, ctx.Err()
	}
	s.closing.RUnlock()
	res := <-req.reply
	return res.fresh, res.err
}

// Wake is signalled after events are committed, so a processor can sleep
// until there is work.
func (s *Store) Wake() <-chan struct{} { return s.wake.C() }

// OneWriter reports whether every write waits for the same one writer
// (SQLite), acknowledging webhooks included; PostgreSQL writes side by side.
func (s *Store) OneWriter() bool { return s.pg == nil }

// pgGroupCommits is how many group commits are in flight at once on
// PostgreSQL, each batch its own transaction on its own pooled connection.
// With one, the next batch waited for the last one's commit (its fsync
// and five round trips), so 50 senders got 0.91x the raw insert from 50
// connections; with a few, a batch gathers and inserts while the one
// before it commits. A few, not many: each holds a connection of the pool
// (24) the workers and pages share, and batches get smaller the more
// there are, so fsyncs pay for fewer events each. SQLite has one writer:
// one group commit, its batch the writer's next write (writeGate).
const pgGroupCommits = 4

// groupCommit takes appends off the queue and commits as many as are waiting
// (up to max) in one transaction: one fsync pays for the whole batch. With
// PostgreSQL, pgGroupCommits of them run at once.
//
// Batches beside each other keep ingest's order: an event acknowledged
// before another arrived was committed before that one was gathered, so
// it has the lower seq and is visible whenever the later one is
// (PendingEvents reads by seq); events of batches in flight together were
// all unanswered at once, so no sender ordered them.
func (s *Store) groupCommit(max int) {
	batch := make([]appendReq, 0, max)
	for req := range s.appends {
		batch = s.commitBatch(append(batch[:0], req), max)
	}
}

// gather adds the appends waiting to batch, up to max.
func (s *Store) gather(batch []appendReq, max int) []appendReq {
	for len(batch) < max {
		select {
		case r, ok := <-s.appends:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commitBatch commits batch and the appends waiting once it holds the
// writer, and answers each; it returns the batch, to be reused.
func (s *Store) commitBatch(batch []appendReq, max int) []appendReq {
	var fresh []bool
	// First: a webhook sender waits for this commit, the other writers
	// (applying, storing and measuring documents) only for themselves.
	err := s.writeAs(context.Background(), true, func(tx *txn) error {
		// Gathered once the writer is ours: whoever arrived while a
		// worker's write held it joins this batch, instead of waiting for
		// it to commit and then for the writer again.
		batch = s.gather(batch, max)
		fresh = make([]bool, len(batch))
		live := make([]bool, len(batch)) // whose events the batch inserts, each with its body
		// One statement for the events and one for their bodies: with
		// PostgreSQL two round trips, not two per event. RETURNING names
		// the events that were new.
		now := ms(s.now())
		for i, r := range batch {
			live[i] = r.ctx.Err() == nil // a sender that gave up was never acknowledged
		}
		// Inserted in the order of their ids: batches in flight together
		// take the index entries of an id they share in one order. In the
		// order they arrived, two batches each holding one of two ids the
		// other also sent deadlocked, and PostgreSQL failed one of them.
		order := make([]int, len(batch))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(batch[i].ev.ID, batch[j].ev.ID) })
		var args []any
		for _, i := range order {
			if r := batch[i]; live[i] {
				args = append(args, r.ev.ID, r.ev.Type, now)
			}
		}
		if len(args) == 0 {
			return nil
		}
		inserted := map[string]int64{}
		err := queryRows(context.Background(), tx, `INSERT INTO events (event_id, event_type, received_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(args)/3), ", ")+` ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id`, args,
			func(rows *sql.Rows) error {
				var seq int64
				var id string
				err := rows.Scan(&seq, &id)
				inserted[id] = seq
				return err
			})
		if err != nil {
			return err
		}
		args = args[:0]
		for i, r := range batch {
			if seq, ok := inserted[r.ev.ID]; ok && live[i] {
				fresh[i] = true
				args = append(args, seq, r.body)
				delete(inserted, r.ev.ID) // the same id twice in a batch: the first is new
			}
		}
		if len(args) > 0 {
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO event_bodies (seq, body) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", "), args...); err != nil {
				return err
			}
		}
		return tell(tx, "events")
	})
	for i, r := range batch {
		switch {
		case err != nil:
			r.reply <- appendResult{err: fmt.Errorf("append event: %w", err)}
		case r.ctx.Err() != nil:
			r.reply <- appendResult{err: r.ctx.Err()}
		default:
			r.reply <- appendResult{fresh: fresh[i]}
		}
	}
	if err == nil {
		s.wake.Notify()
	}
	return batch
}

// PendingEvents returns up to limit events not yet processed, oldest first.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]review.StoredEvent, error) {
	return s.events(ctx, `WHERE state = 'pending' ORDER BY seq LIMIT ?`, limit)
}

// FailedEvents returns up to limit events whose processing failed, newest first.
func (s *Store) FailedEvents(ctx context.Context, limit int) ([]review.StoredEvent, error) {
	return s.events(ctx, `WHERE state = 'failed' ORDER BY seq DESC LIMIT ?`, limit)
}

// Event returns one stored event by Extend's event id.
func (s *Store) Event(ctx context.Context, eventID string) (review.StoredEvent, error) {
	evs, err := s.events(ctx, `WHERE event_id = ?`, eventID)
	if err != nil {
		return review.StoredEvent{}, err
	}
	if len(evs) == 0 {
		return review.StoredEvent{}, review.Errorf(review.ENOTFOUND, "no event %q", eventID)
	}
	return evs[0], nil
}

func (s *Store) events(ctx context.Context, where string, args ...any) ([]review.StoredEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, event_id, event_type, body, received_at, state, attempts, error, resolved FROM events JOIN event_bodies USING (seq) `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []review.StoredEvent
	for rows.Next() {
		var e review.StoredEvent
		var received int64
		if err := rows.Scan(&e.Seq, &e.Event.ID, &e.Event.Type, &e.Body, &received, &e.State, &e.Attempts, &e.Error, &e.Resolved); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		e.Event.ReceivedAt = fromMS(received)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventCounts returns how many events are in each state. Pending and failed
// are counted on their indexes and done is the rest: grouping by state read
// every row, and with SQLite every 20 KB body on the way to the state.
func (s *Store) EventCounts(ctx context.Context) (map[string]int64, error) {
	var pending, failed, all int64
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events WHERE state = 'pending'), (SELECT count(*) FROM events WHERE state = 'failed'),
		(SELECT count(*) FROM events)`).Scan(&pending, &failed, &all)
	if err != nil {
		return nil, fmt.Errorf("event counts: %w", err)
	}
	out := map[string]int64{}
	for k, n := range map[string]int64{"pending": pending, "failed": failed, "done": all - pending - failed} {
		if n > 0 {
			out[k] = n
		}
	}
	return out, nil
}

// countBy runs a "SELECT key, count(*) … GROUP BY key" query into a map.
func (s *Store) countBy(ctx context.Context, q string) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// SetResolved keeps the payload fetched from an event's signed data URL, so a
// replay after the URL expired still has it.
func (s *Store) SetResolved(ctx context.Context, seq int64, payload []byte) error {
	_, err := s.w.ExecContext(ctx, `UPDATE events SET resolved = ? WHERE seq = ?`, payload, seq)
	if err != nil {
		return fmt.Errorf("set resolved: %w", err)
	}
	return nil
}

// Replay puts a failed event back in the pending state.
func (s *Store) Replay(ctx context.Context, eventID string) error {
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET state = 'pending', error = '' WHERE event_id = ? AND state = 'failed'`, eventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ENOTFOUND, "no failed event %q", eventID)
		}
		tx.after = append(tx.after, s.wake.Notify)
		return tell(tx, "events")
	})
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
