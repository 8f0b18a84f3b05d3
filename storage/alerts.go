package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Alerts lists up to limit runs waiting for review that passed their due
// time, and held runs whose claim has seen no change for idleAfter, that
// destinations were not told of yet.
func (s *Store) Alerts(ctx context.Context, idleAfter time.Duration, limit int) ([]review.Alert, error) {
	now := s.now()
	var out []review.Alert
	scan := func(typ string) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			a := review.Alert{Type: typ}
			var due, expires int64
			var claimed, edited sql.NullInt64
			if err := rows.Scan(&a.RunID, &a.WorkflowID, &due, &a.HeldBy, &expires, &claimed, &edited); err != nil {
				return err
			}
			if fromMS(expires).Before(now) {
				a.HeldBy = ""
			}
			if a.ClaimedAt, a.LastEditAt = timeOrNil(claimed), timeOrNil(edited); typ == review.EventRunOverdue {
				t := fromMS(due)
				a.DueAt, a.Mark = &t, due
			} else {
				a.Mark = claimed.Int64
			}
			out = append(out, a)
			return nil
		}
	}
	const cols = `SELECT id, workflow_id, due_at, claimed_by, claim_expires, claimed_at, last_edit_at FROM runs `
	err := queryRows(ctx, s.r, cols+`WHERE status = 'NEEDS_REVIEW' AND decision = '' AND due_at <= ? AND due_at != due_told AND due_at < queued_at + ?
		ORDER BY due_at, id LIMIT ?`, []any{ms(now), noDueMS / 2, limit}, scan(review.EventRunOverdue))
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	idle := ms(now.Add(-idleAfter))
	err = queryRows(ctx, s.r, cols+`WHERE status = 'NEEDS_REVIEW' AND decision = '' AND claimed_by != '' AND claim_expires > ? AND claimed_at <= ?
		AND coalesce(last_edit_at, 0) <= ? AND claimed_at != idle_told ORDER BY claimed_at, id LIMIT ?`, []any{ms(now), idle, idle, limit}, scan(review.EventClaimIdle))
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
}

// TellAlert marks an alert told and puts its event in the outbox for the
// destinations desk chose (see deliver), in one transaction:
// told once, whoever calls it how often, on whichever instance. It says
// whether this call told it.
func (s *Store) TellAlert(ctx context.Context, a review.Alert, out review.Outbound) (bool, error) {
	told := false
	err := s.write(ctx, func(tx *txn) error {
		q := `UPDATE runs SET idle_told = ? WHERE id = ? AND idle_told != ?`
		if a.Type == review.EventRunOverdue {
			q = `UPDATE runs SET due_told = ? WHERE id = ? AND due_told != ?`
		}
		res, err := tx.ExecContext(ctx, q, a.Mark, a.RunID, a.Mark)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		told = true
		now := ms(s.now())
		if err := deliver(ctx, tx, a.RunID, out, now, now); err != nil {
			return err
		}
		return tell(tx, "outbox")
	})
	if err != nil {
		return false, fmt.Errorf("tell alert: %w", err)
	}
	if told {
		s.outbox.Notify()
	}
	return told, nil
}
