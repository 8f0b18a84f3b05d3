package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Rules returns a workflow's validation rules, in their order; none when
// it has none.
func (s *Store) Rules(ctx context.Context, workflowID string) ([]review.Rule, error) {
	var b string
	err := s.r.QueryRowContext(ctx, `SELECT rules FROM validation_rules WHERE workflow_id = ?`, workflowID).Scan(&b)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return decodeRules(workflowID, b)
}

// AllRules returns every workflow's rules, by workflow id.
func (s *Store) AllRules(ctx context.Context) (map[string][]review.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, rules FROM validation_rules`)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer rows.Close()
	out := map[string][]review.Rule{}
	for rows.Next() {
		var wf, b string
		if err := rows.Scan(&wf, &b); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if out[wf], err = decodeRules(wf, b); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

func decodeRules(workflowID, b string) ([]review.Rule, error) {
	var rs []review.Rule
	if err := json.Unmarshal([]byte(b), &rs); err != nil {
		return nil, fmt.Errorf("rules of %s: %w", workflowID, err)
	}
	return rs, nil
}

// SetRules replaces a workflow's rules (none removes them). The desk has
// checked them, and logs the change in the same transaction.
func (s *Store) SetRules(ctx context.Context, workflowID string, rules []review.Rule, actor string) error {
	b, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	now := ms(s.now())
	err = s.write(ctx, func(tx *txn) error {
		if len(rules) == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM validation_rules WHERE workflow_id = ?`, workflowID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO validation_rules (workflow_id, rules, updated_at, updated_by) VALUES (?, ?, ?, ?)
				ON CONFLICT (workflow_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				workflowID, string(b), now, actor)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set rules: %w", err)
	}
	return nil
}

// ruleFailures counts, per workflow and rule, the decisions since since at
// which the rule failed: the most failing first.
func (s *Store) ruleFailures(ctx context.Context, since time.Time) ([]review.RuleFailures, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.workflow_id, max(coalesce(w.name, '')), f.rule, max(f.severity), count(*), sum(f.overridden)
		FROM rule_failures f LEFT JOIN workflows w ON w.id = f.workflow_id WHERE f.decided_at >= ?
		GROUP BY f.workflow_id, f.rule ORDER BY count(*) DESC, f.rule LIMIT 25`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("rule failures: %w", err)
	}
	defer rows.Close()
	var out []review.RuleFailures
	for rows.Next() {
		var f review.RuleFailures
		if err := rows.Scan(&f.WorkflowID, &f.WorkflowName, &f.Rule, &f.Severity, &f.Failed, &f.Overridden); err != nil {
			return nil, fmt.Errorf("rule failures: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
