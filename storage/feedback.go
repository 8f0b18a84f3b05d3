package storage

import (
	"context"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// SetFeedbackRule keeps (or, when it asks for nothing, removes) a rule the
// desk has checked. An empty key keeps the one stored, so a form need not
// show it again.
func (s *Store) SetFeedbackRule(ctx context.Context, r review.FeedbackRule) error {
	var err error
	if r.EvaluationSetID == "" && !r.MirrorMetadata {
		_, err = s.exec(ctx, `DELETE FROM feedback_rules WHERE workflow_id = ?`, r.WorkflowID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO feedback_rules (workflow_id, evaluation_set_id, mirror_metadata, runs, api_url, api_key) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET evaluation_set_id = excluded.evaluation_set_id, mirror_metadata = excluded.mirror_metadata,
				runs = excluded.runs, api_url = excluded.api_url,
				api_key = CASE WHEN excluded.api_key = '' THEN feedback_rules.api_key ELSE excluded.api_key END`,
			r.WorkflowID, r.EvaluationSetID, r.MirrorMetadata, r.Runs, r.APIURL, r.APIKey)
	}
	if err != nil {
		return fmt.Errorf("feedback rule: %w", err)
	}
	return nil
}

const feedbackColumns = `workflow_id, evaluation_set_id, mirror_metadata, runs, api_url, api_key`

func scanFeedbackRule(sc interface{ Scan(...any) error }) (review.FeedbackRule, error) {
	var r review.FeedbackRule
	err := sc.Scan(&r.WorkflowID, &r.EvaluationSetID, &r.MirrorMetadata, &r.Runs, &r.APIURL, &r.APIKey)
	return r, err
}

// FeedbackRuleFor returns a workflow's rule (the zero rule when none).
func (s *Store) FeedbackRuleFor(ctx context.Context, workflowID string) (review.FeedbackRule, error) {
	r, err := scanFeedbackRule(s.r.QueryRowContext(ctx, `SELECT `+feedbackColumns+` FROM feedback_rules WHERE workflow_id = ?`, workflowID))
	if isNoRows(err) {
		return review.FeedbackRule{WorkflowID: workflowID}, nil
	}
	if err != nil {
		return r, fmt.Errorf("feedback rule: %w", err)
	}
	return r, nil
}

// FeedbackRules lists every workflow's rule, for the admin.
func (s *Store) FeedbackRules(ctx context.Context) ([]review.FeedbackRule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+feedbackColumns+` FROM feedback_rules ORDER BY workflow_id`)
	if err != nil {
		return nil, fmt.Errorf("feedback rules: %w", err)
	}
	defer rows.Close()
	var out []review.FeedbackRule
	for rows.Next() {
		r, err := scanFeedbackRule(rows)
		if err != nil {
			return nil, fmt.Errorf("feedback rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
