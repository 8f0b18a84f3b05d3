package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// SetRoutingRule sets (or, with neither threshold nor sample, removes) a
// workflow's rule.
func (s *Store) SetRoutingRule(ctx context.Context, r review.RoutingRule) error {
	var err error
	if r.Below == nil && r.SamplePercent == 0 && !r.FailingRules {
		_, err = s.exec(ctx, `DELETE FROM routing_rules WHERE workflow_id = ?`, r.WorkflowID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO routing_rules (workflow_id, below, sample_percent, failing_rules) VALUES (?, ?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET below = excluded.below, sample_percent = excluded.sample_percent, failing_rules = excluded.failing_rules`,
			r.WorkflowID, r.Below, r.SamplePercent, r.FailingRules)
	}
	if err != nil {
		return fmt.Errorf("routing rule: %w", err)
	}
	return nil
}

// RoutingCounts counts, per workflow, the runs each outcome covered, as
// triggers keep them (counting the runs ever routed grows without bound).
func (s *Store) RoutingCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, routed, n FROM routing_counts WHERE n > 0`)
	if err != nil {
		return nil, fmt.Errorf("routing counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var wf, routed string
		var n int
		if err := rows.Scan(&wf, &routed, &n); err != nil {
			return nil, fmt.Errorf("routing counts: %w", err)
		}
		if out[wf] == nil {
			out[wf] = map[string]int{}
		}
		out[wf][routed] = n
	}
	return out, rows.Err()
}

// RoutingRules lists the workflows' quality-check rules.
func (s *Store) RoutingRules(ctx context.Context) (map[string]review.RoutingRule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, below, sample_percent, failing_rules FROM routing_rules`)
	if err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	defer rows.Close()
	out := map[string]review.RoutingRule{}
	for rows.Next() {
		var r review.RoutingRule
		var below sql.NullFloat64
		if err := rows.Scan(&r.WorkflowID, &below, &r.SamplePercent, &r.FailingRules); err != nil {
			return nil, fmt.Errorf("routing rules: %w", err)
		}
		if below.Valid {
			r.Below = &below.Float64
		}
		out[r.WorkflowID] = r
	}
	return out, rows.Err()
}
