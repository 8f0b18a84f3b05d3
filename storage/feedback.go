package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// SetFeedbackRule sets (or, when it asks for nothing, removes) a rule.
func (s *Store) SetFeedbackRule(ctx context.Context, r review.FeedbackRule) error {
	var err error
	if r.EvaluationSetID == "" && !r.MirrorMetadata {
		_, err = s.w.ExecContext(ctx, `DELETE FROM feedback_rules WHERE workflow_id = ?`, r.WorkflowID)
	} else {
		_, err = s.w.ExecContext(ctx, `INSERT INTO feedback_rules (workflow_id, evaluation_set_id, mirror_metadata) VALUES (?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET evaluation_set_id = excluded.evaluation_set_id, mirror_metadata = excluded.mirror_metadata`,
			r.WorkflowID, r.EvaluationSetID, r.MirrorMetadata)
	}
	if err != nil {
		return fmt.Errorf("feedback rule: %w", err)
	}
	return nil
}

// FeedbackRuleFor returns a workflow's rule (the zero rule when none).
func (s *Store) FeedbackRuleFor(ctx context.Context, workflowID string) (review.FeedbackRule, error) {
	r := review.FeedbackRule{WorkflowID: workflowID}
	err := s.r.QueryRowContext(ctx, `SELECT evaluation_set_id, mirror_metadata FROM feedback_rules WHERE workflow_id = ?`, workflowID).Scan(&r.EvaluationSetID, &r.MirrorMetadata)
	if err != nil && !isNoRows(err) {
		return r, fmt.Errorf("feedback rule: %w", err)
	}
	return r, nil
}

func (s *Store) enqueueCalls(ctx context.Context, tx *sql.Tx, runID string, calls []review.ExtendCall) error {
	for _, c := range calls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO extend_calls (run_id, api_version, path, body, created_at) VALUES (?, ?, ?, ?, ?)`,
			runID, c.APIVersion, c.Path, c.Body, ms(s.now())); err != nil {
			return err
		}
	}
	return nil
}

// DueCalls returns Extend calls due now, first in line for their run.
func (s *Store) DueCalls(ctx context.Context, limit int) ([]review.ExtendCall, error) {
	return s.calls(ctx, `WHERE c.state = 'pending' AND c.next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM extend_calls e WHERE e.run_id = c.run_id AND e.id < c.id AND e.state = 'pending')
		ORDER BY c.id LIMIT ?`, ms(s.now()), limit)
}

// RecentCalls lists the newest Extend calls, for the admin.
func (s *Store) RecentCalls(ctx context.Context, limit int) ([]review.ExtendCall, error) {
	return s.calls(ctx, `ORDER BY c.id DESC LIMIT ?`, limit)
}

func (s *Store) calls(ctx context.Context, where string, args ...any) ([]review.ExtendCall, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.run_id, c.api_version, c.path, c.body, c.state, c.attempts, c.last_status, c.last_error, c.created_at FROM extend_calls c `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("extend calls: %w", err)
	}
	defer rows.Close()
	var out []review.ExtendCall
	for rows.Next() {
		var c review.ExtendCall
		var created int64
		if err := rows.Scan(&c.ID, &c.RunID, &c.APIVersion, &c.Path, &c.Body, &c.State, &c.Attempts, &c.LastStatus, &c.LastError, &created); err != nil {
			return nil, fmt.Errorf("extend calls: %w", err)
		}
		c.CreatedAt = fromMS(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CallAttempt records one try of an Extend call, as Attempt does for
// deliveries.
func (s *Store) CallAttempt(ctx context.Context, id int64, status int, errText string, done bool, retryAt time.Time) error {
	state := review.DeliveryPending
	switch {
	case done:
		state = review.DeliveryDelivered
	case retryAt.IsZero():
		state = review.DeliveryDead
	}
	_, err := s.w.ExecContext(ctx, `UPDATE extend_calls SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?`,
		state, ms(retryAt), status, errText, id)
	if err != nil {
		return fmt.Errorf("call attempt: %w", err)
	}
	return nil
}
