package storage

import (
	"context"
	"fmt"

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
