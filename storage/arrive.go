package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// KeptRuns reads what is kept of runs (status, routing, waiting and due
// times), for deciding
// what an event about each makes of it; a run not kept is not listed.
func (s *Store) KeptRuns(ctx context.Context, runIDs []string) (map[string]review.Kept, error) {
	kept, err := keptRuns(ctx, s.r, s.r.pg, anys(runIDs))
	if err != nil {
		return nil, fmt.Errorf("kept runs: %w", err)
	}
	return kept, nil
}

func keptRuns(ctx context.Context, q querier, pg bool, runIDs []any) (map[string]review.Kept, error) {
	out := map[string]review.Kept{}
	for rest := runIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		err := queryRows(ctx, q, `SELECT id, status, routed, queued_at, due_at FROM runs WHERE id IN `+ids(pg, 1, n), rest[:n], func(rows *sql.Rows) error {
			var id, status, routed string
			var queued sql.NullInt64
			var due int64
			if err := rows.Scan(&id, &status, &routed, &queued, &due); err != nil {
				return err
			}
			k := review.Kept{Status: review.Status(status), Routed: routed}
			if queued.Valid {
				k.Queued = fromMS(queued.Int64)
			}
			if due != 0 {
				k.Due = fromMS(due)
			}
			out[id] = k
			return nil
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	docs, err := storedDocuments(ctx, q, pg, runIDs)
	for id, k := range out {
		k.Documents = docs[id]
		out[id] = k
	}
	return out, err
}

// ArrivalRules reads the rules that decide what runs arriving for
// workflows become (review.ArrivalRules), by workflow id; a workflow
// without any has the zero rules.
func (s *Store) ArrivalRules(ctx context.Context, workflowIDs []string) (map[string]review.ArrivalRules, error) {
	rules, err := arrivalRules(ctx, s.r, s.r.pg, anys(workflowIDs))
	if err != nil {
		return nil, fmt.Errorf("arrival rules: %w", err)
	}
	return rules, nil
}

func arrivalRules(ctx context.Context, q querier, pg bool, workflowIDs []any) (map[string]review.ArrivalRules, error) {
	var dueField []byte
	err := queryRows(ctx, q, `SELECT value FROM settings WHERE key = ?`, []any{"setting:" + review.DueFieldSetting}, func(rows *sql.Rows) error {
		return rows.Scan(&dueField)
	})
	if err != nil {
		return nil, err
	}
	out := map[string]review.ArrivalRules{}
	for _, id := range workflowIDs {
		out[id.(string)] = review.ArrivalRules{DueField: string(dueField)}
	}
	for rest := workflowIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		in := ids(pg, 1, n)
		err = queryRows(ctx, q, `SELECT workflow_id, below, sample_percent, failing_rules FROM routing_rules WHERE workflow_id IN `+in, rest[:n], func(rows *sql.Rows) error {
			var r review.RoutingRule
			var below sql.NullFloat64
			if err := rows.Scan(&r.WorkflowID, &below, &r.SamplePercent, &r.FailingRules); err != nil {
				return err
			}
			if below.Valid {
				r.Below = &below.Float64
			}
			a := out[r.WorkflowID]
			a.Routing = &r
			out[r.WorkflowID] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = queryRows(ctx, q, `SELECT workflow_id, rules FROM validation_rules WHERE workflow_id IN `+in, rest[:n], func(rows *sql.Rows) error {
			var wf, b string
			if err := rows.Scan(&wf, &b); err != nil {
				return err
			}
			a := out[wf]
			var err error
			a.Checks, err = decodeRules(wf, b)
			out[wf] = a
			return err
		})
		if err != nil {
			return nil, err
		}
		err = queryRows(ctx, q, `SELECT workflow_id, sample_percent FROM qa_rules WHERE workflow_id IN `+in, rest[:n], func(rows *sql.Rows) error {
			var wf string
			var percent int
			if err := rows.Scan(&wf, &percent); err != nil {
				return err
			}
			a := out[wf]
			a.QAPercent = percent
			out[wf] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = queryRows(ctx, q, `SELECT workflow_id, fields FROM duplicate_keys WHERE workflow_id IN `+in, rest[:n], func(rows *sql.Rows) error {
			var wf, b string
			if err := rows.Scan(&wf, &b); err != nil {
				return err
			}
			a := out[wf]
			if err := json.Unmarshal([]byte(b), &a.KeyFields); err != nil {
				return fmt.Errorf("duplicate keys of %s: %w", wf, err)
			}
			out[wf] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = queryRows(ctx, q, `SELECT workflow_id, within_ms FROM service_levels WHERE workflow_id IN `+in, rest[:n], func(rows *sql.Rows) error {
			var wf string
			var within int64
			if err := rows.Scan(&wf, &within); err != nil {
				return err
			}
			a := out[wf]
			a.Within = time.Duration(within) * time.Millisecond
			out[wf] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// OutputHolders reads the runs holding outputs, by output id, for deciding
// what a standalone output event makes of each (review.ArriveOutput); an
// output no run holds is not listed.
func (s *Store) OutputHolders(ctx context.Context, outputIDs []string) (map[string]review.Holder, error) {
	held, err := outputHolders(ctx, s.r, s.r.pg, anys(outputIDs))
	if err != nil {
		return nil, fmt.Errorf("output holders: %w", err)
	}
	return held, nil
}

func outputHolders(ctx context.Context, q querier, pg bool, outputIDs []any) (map[string]review.Holder, error) {
	out := map[string]review.Holder{}
	for rest := outputIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		err := queryRows(ctx, q, `SELECT o.output_id, r.id, r.workflow_id, r.status, r.payload FROM run_outputs o JOIN runs r ON r.id = o.run_id WHERE o.output_id IN `+ids(pg, 1, n), rest[:n], func(rows *sql.Rows) error {
			var id, status string
			var h review.Holder
			if err := rows.Scan(&id, &h.RunID, &h.WorkflowID, &status, &h.Payload); err != nil {
				return err
			}
			h.Status = review.Status(status)
			out[id] = h
			return nil
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// FirstWithKey returns the earliest run of a workflow, other than runID,
// whose duplicate key is key; "" when there is none.
func (s *Store) FirstWithKey(ctx context.Context, workflowID, key, runID string) (string, error) {
	if key == "" {
		return "", nil
	}
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT id FROM runs WHERE workflow_id = ? AND dup_key = ? AND id != ? ORDER BY created_at, id LIMIT 1`, workflowID, key, runID).Scan(&id)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("first with key: %w", err)
	}
	return id, nil
}

// anys is ids as query arguments.
func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
