package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// viewersFresh is how long an instance's viewers count without being
// refreshed (KeepViewers): past it, their instance is taken to be gone.
const viewersFresh = 2 * time.Minute

// SetViewers records who has run open on instance, replacing what that
// instance said before, and tells every instance through the feed.
func (s *Store) SetViewers(ctx context.Context, instance, runID string, viewers []string) error {
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM viewers WHERE instance = ? AND run_id = ?`, instance, runID); err != nil {
			return err
		}
		now := ms(s.now())
		for _, v := range viewers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO viewers (instance, run_id, viewer, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, instance, runID, v, now); err != nil {
				return err
			}
		}
		return s.logChange(ctx, tx, review.FeedPresence, runID, "")
	})
	if err != nil {
		return fmt.Errorf("set viewers: %w", err)
	}
	s.notify()
	return nil
}

// KeepViewers says instance is still there: its viewers stay fresh. With
// gone, it says the instance is leaving, and its viewers are dropped.
func (s *Store) KeepViewers(ctx context.Context, instance string, gone bool) error {
	if !gone {
		_, err := s.w.ExecContext(ctx, `UPDATE viewers SET seen_at = ? WHERE instance = ?`, ms(s.now()), instance)
		return err
	}
	err := s.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM viewers WHERE instance = ? RETURNING run_id`, instance)
		if err != nil {
			return err
		}
		defer rows.Close()
		var runs []string
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				return err
			}
			runs = append(runs, r)
		}
		for _, r := range runs {
			if err := s.logChange(ctx, tx, review.FeedPresence, r, ""); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err == nil {
		s.notify()
	}
	return err
}

// Viewers returns who has a run open on any instance, each once, sorted.
func (s *Store) Viewers(ctx context.Context, runID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT viewer FROM viewers WHERE run_id = ? AND seen_at >= ? ORDER BY viewer`, runID, ms(s.now().Add(-viewersFresh)))
	if err != nil {
		return nil, fmt.Errorf("viewers: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("viewers: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
