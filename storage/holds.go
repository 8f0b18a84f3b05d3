package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Hold takes a run waiting for review out of the queue (review.Hold):
// sent to a supervisor, or postponed until h.Until. It gives up the
// claim, as the run leaves its holder's hands, and records the reason in
// the run's history, in one transaction. Only a run nobody else holds is
// taken: otherwise review.ErrRefused.
func (s *Store) Hold(ctx context.Context, runID string, h review.Hold) error {
	err := s.write(ctx, func(tx *txn) error {
		now := s.now()
		until := int64(0)
		if h.Kind == review.HoldPostponed {
			until = ms(h.Until)
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET hold = ?, hold_by = ?, hold_note = ?, hold_at = ?, hold_until = ?, claimed_by = '', claimed_at = NULL, claim_expires = 0
			WHERE id = ? AND status = 'NEEDS_REVIEW' AND decision = '' AND (claimed_by = '' OR claimed_by = ? OR claim_expires <= ?)`,
			h.Kind, h.By, h.Note, ms(now), until, runID, h.By, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.ErrRefused
		}
		action, note := review.ActionEscalate, h.Note
		if h.Kind == review.HoldPostponed {
			action, note = review.ActionPostpone, "until "+h.Until.UTC().Format(time.RFC3339)+": "+h.Note
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)`, runID, ms(now), h.By, action, note); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedHold, runID, h.By)
	})
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	s.notify()
	return nil
}

// Resume puts a held run back in the queue before its time, recorded in
// its history. A run not held answers ECONFLICT.
func (s *Store) Resume(ctx context.Context, runID, actor string) error {
	err := s.write(ctx, func(tx *txn) error {
		now := ms(s.now())
		res, err := tx.ExecContext(ctx, `UPDATE runs SET hold = '', hold_by = '', hold_note = '', hold_at = 0, hold_until = 0 WHERE id = ? AND hold != '' AND decision = ''`, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ECONFLICT, "This run is not held out of the queue.")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action) VALUES (?, ?, ?, ?)`, runID, now, actor, review.ActionResume); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedHold, runID, actor)
	})
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	s.notify()
	return nil
}

// nextReturn is when the next postponed run returns. hold != ” puts the
// query within runs_held's condition, which SQLite does not infer from
// hold = 'postponed': without it every waiting run was read on each queue
// page (130 ms at 100,000).
const nextReturn = `SELECT min(hold_until) FROM runs WHERE status = 'NEEDS_REVIEW' AND hold != '' AND hold = 'postponed' AND hold_until > ?`

// NextReturn is when the next postponed run comes back to the queue, if
// one is postponed: an open queue page redraws itself then.
func (s *Store) NextReturn(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	err := s.r.QueryRowContext(ctx, nextReturn, ms(s.now())).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next return: %w", err)
	}
	return fromMS(at.Int64), at.Valid, nil
}
