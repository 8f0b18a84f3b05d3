package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// logChange adds to the feed inside a write transaction: the entry is
// appended at the commit (see write), and subscribers are woken after it.
func (s *Store) logChange(_ context.Context, tx *txn, kind, runID, actor string) error {
	tx.changes = append(tx.changes, change{kind, runID, actor})
	return nil
}

func (s *Store) appendChanges(ctx context.Context, tx *txn) error {
	if tx.pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?), pg_notify('reviewer', 'changes')`, lockFeed); err != nil {
			return err
		}
	}
	now := ms(s.now())
	args := make([]any, 0, 4*len(tx.changes))
	for _, c := range tx.changes {
		args = append(args, now, c.kind, c.runID, c.actor)
	}
	return execRows(ctx, tx, `INSERT INTO changes (at, kind, run_id, actor) VALUES `, "", 4, args)
}

// tell makes a commit wake the other instances on the same PostgreSQL
// database (what: "events", "changes" or "outbox"); delivered at the commit.
func tell(tx *txn, what string) error {
	if !tx.pg {
		return nil
	}
	_, err := tx.ExecContext(context.Background(), `SELECT pg_notify('reviewer', ?)`, what)
	return err
}

// notify wakes every reader of the change feed; called after a commit.
func (s *Store) notify() { s.changed.Notify() }

// Changed returns a channel closed at the next commit that adds to the
// change feed. Take it before reading the feed.
func (s *Store) Changed() <-chan struct{} { return s.changed.C() }

// Outbox returns a channel closed when deliveries or Extend calls are next
// written or put back in line. Take it before looking for due ones.
func (s *Store) Outbox() <-chan struct{} { return s.outbox.C() }

// ChangesSince returns up to limit changes after seq, oldest first.
func (s *Store) ChangesSince(ctx context.Context, seq int64, limit int) ([]review.FeedEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, at, kind, run_id, actor FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	var out []review.FeedEntry
	for rows.Next() {
		var c review.FeedEntry
		var at int64
		if err := rows.Scan(&c.Seq, &at, &c.Kind, &c.RunID, &c.Actor); err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LastChange returns the newest sequence number of the feed.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(seq) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return seq.Int64, nil
}
