package storage

import (
	"context"
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
// are due (0 removes it), recorded in the admin log, and moves the due
// times of its runs waiting for review that have no time of their own
// from Extend. A decided run keeps the due time it was decided against:
// the exports say whether it was late.
func (s *Store) SetServiceLevel(ctx context.Context, workflowID string, within time.Duration, actor string) error {
	now := ms(s.now())
	err := s.write(ctx, func(tx *txn) error {
		var err error
		add := int64(within / time.Millisecond)
		if within == 0 {
			add = noDueMS
			_, err = tx.ExecContext(ctx, `DELETE FROM service_levels WHERE workflow_id = ?`, workflowID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO service_levels (workflow_id, within_ms, updated_at, updated_by) VALUES (?, ?, ?, ?)
				ON CONFLICT (workflow_id) DO UPDATE SET within_ms = excluded.within_ms, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				workflowID, add, now, actor)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET due_at = queued_at + ? WHERE workflow_id = ? AND status = 'NEEDS_REVIEW' AND queued_at IS NOT NULL AND due_meta IS NULL`, add, workflowID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set service level: %w", err)
	}
	s.notify()
	return nil
}
