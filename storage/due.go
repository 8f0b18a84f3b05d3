package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// noDueMS is review.NoDue in milliseconds, for SQL.
const noDueMS = int64(review.NoDue / time.Millisecond)

// ServiceLevels returns each workflow's service level, by workflow id.
func (s *Store) ServiceLevels(ctx context.Context) (map[string]time.Duration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, within_ms FROM service_levels`)
	if err != nil {
		return nil, fmt.Errorf("service levels: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var wf string
		var within int64
		if err := rows.Scan(&wf, &within); err != nil {
			return nil, fmt.Errorf("service levels: %w", err)
		}
		out[wf] = time.Duration(within) * time.Millisecond
	}
	return out, rows.Err()
}

// SetServiceLevel sets how long a workflow's runs may wait before they
// are due (0 removes it). The runs waiting keep their due times until desk
// moves them (MoveDue); an arrival or a reopening decided under the old
// level is refused where it is written.
func (s *Store) SetServiceLevel(ctx context.Context, workflowID string, within time.Duration, actor string) error {
	var err error
	if within == 0 {
		_, err = s.exec(ctx, `DELETE FROM service_levels WHERE workflow_id = ?`, workflowID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO service_levels (workflow_id, within_ms, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET within_ms = excluded.within_ms, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			workflowID, int64(within/time.Millisecond), ms(s.now()), actor)
	}
	if err != nil {
		return fmt.Errorf("set service level: %w", err)
	}
	return nil
}

// DueBasis reads what a run's due time is decided on: the time Extend
// sent for it and its workflow's service level.
func (s *Store) DueBasis(ctx context.Context, runID string) (review.DueBasis, error) {
	var b review.DueBasis
	var meta sql.NullInt64
	var within int64
	err := s.r.QueryRowContext(ctx, `SELECT due_meta, coalesce((SELECT within_ms FROM service_levels l WHERE l.workflow_id = runs.workflow_id), 0) FROM runs WHERE id = ?`, runID).Scan(&meta, &within)
	if isNoRows(err) {
		return b, review.Errorf(review.ENOTFOUND, "no run %q", runID)
	}
	if err != nil {
		return b, fmt.Errorf("due basis: %w", err)
	}
	if meta.Valid {
		t := fromMS(meta.Int64)
		b.Meta = &t
	}
	b.Within = time.Duration(within) * time.Millisecond
	return b, nil
}

// WaitingRuns reads up to limit runs of a workflow after the id after, in
// id order, that wait for review with no due time from Extend: those a
// service level makes due.
func (s *Store) WaitingRuns(ctx context.Context, workflowID, after string, limit int) ([]review.Waiting, error) {
	var out []review.Waiting
	err := queryRows(ctx, s.r, `SELECT id, queued_at, due_at FROM runs WHERE workflow_id = ? AND id > ? AND status = 'NEEDS_REVIEW' AND queued_at IS NOT NULL AND due_meta IS NULL
		ORDER BY id LIMIT ?`, []any{workflowID, after, limit}, func(rows *sql.Rows) error {
		var w review.Waiting
		var queued, due int64
		if err := rows.Scan(&w.RunID, &queued, &due); err != nil {
			return err
		}
		w.Queued, w.Due = fromMS(queued), fromMS(due)
		out = append(out, w)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting runs: %w", err)
	}
	return out, nil
}

// MoveDue writes the due times desk decided for waiting runs of a workflow
// under its service level within, while that is its level (else
// review.ErrRefused: a later change moves them) and each run still waits
// as it was read; one that does not (decided, reopened, given a time by
// Extend) is left as whatever changed it made it.
func (s *Store) MoveDue(ctx context.Context, workflowID string, within time.Duration, moves []review.DueMove) error {
	err := s.write(ctx, func(tx *txn) error {
		rules, err := arrivalRules(ctx, tx, tx.pg, []any{workflowID})
		if err != nil {
			return err
		}
		if rules[workflowID].Within != within {
			return fmt.Errorf("the service level of workflow %s changed since its runs' due times were decided: %w", workflowID, review.ErrRefused)
		}
		for _, m := range moves {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET due_at = ? WHERE id = ? AND workflow_id = ? AND status = 'NEEDS_REVIEW' AND queued_at = ? AND due_at = ? AND due_meta IS NULL`,
				ms(m.Due), m.Read.RunID, workflowID, ms(m.Read.Queued), ms(m.Read.Due)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("move due times: %w", err)
	}
	s.notify()
	return nil
}
