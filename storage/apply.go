package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// errNotPending refuses a batch holding an event applied meanwhile.
var errNotPending = errors.New("no longer pending: applied elsewhere")

// ApplyEvents applies interpreted events and marks them done (or failed, with
// the reason) in one transaction. A run change that the status rules refuse
// (a late event for a decided run) is a success that changes nothing.
func (s *Store) ApplyEvents(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	var applied review.Applied
	err := s.write(ctx, func(tx *txn) error {
		applied = review.Applied{}
		now := ms(s.now())
		for _, o := range outs {
			state, reason := "done", ""
			if o.Err != nil {
				state, reason = "failed", o.Err.Error()
			} else {
				changed, err := applyChange(ctx, tx, o.Change, now)
				if err != nil {
					return fmt.Errorf("event %d: %w", o.Seq, err)
				}
				for _, id := range changed {
					if err := s.logChange(ctx, tx, review.FeedRun, id, ""); err != nil {
						return err
					}
				}
				applied.Runs = append(applied.Runs, changed...)
			}
			// Only a pending event: a leader that lost its lock a moment ago
			// and applied it too finds it done, and its batch rolls back.
			res, err := tx.ExecContext(ctx, `UPDATE events SET state = ?, error = ?, attempts = attempts + 1, processed_at = ? WHERE seq = ? AND state = 'pending'`, state, reason, now, o.Seq)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 && o.Seq != 0 {
				return fmt.Errorf("event %d: %w", o.Seq, errNotPending)
			}
		}
		return nil
	})
	if err != nil {
		return review.Applied{}, fmt.Errorf("apply events: %w", err)
	}
	if len(applied.Runs) > 0 {
		s.notify()
	}
	return applied, nil
}

// FailEvent marks one event failed with the reason, outside any batch.
func (s *Store) FailEvent(ctx context.Context, seq int64, reason string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE events SET state = 'failed', error = ?, attempts = attempts + 1, processed_at = ? WHERE seq = ?`, reason, ms(s.now()), seq)
	if err != nil {
		return fmt.Errorf("fail event: %w", err)
	}
	return nil
}

func applyChange(ctx context.Context, tx *txn, c review.Change, now int64) ([]string, error) {
	switch {
	case c.Run != nil:
		ok, err := putRun(ctx, tx, c.Run, c.FailsRules, now)
		if err != nil || !ok {
			return nil, err
		}
		return []string{c.Run.ID}, nil
	case c.StepRun != nil:
		_, err := tx.ExecContext(ctx, `INSERT INTO step_runs (id, run_id, step_type, body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, step_type = excluded.step_type, body = excluded.body, updated_at = excluded.updated_at`,
			c.StepRun.ID, c.StepRun.RunID, c.StepRun.Type, []byte(c.StepRaw), now)
		if err != nil {
			return nil, err
		}
		return []string{c.StepRun.RunID}, nil
	case c.Output != nil:
		return putOutput(ctx, tx, c.Output, c.OutputRaw, now)
	case c.Workflow != nil:
		_, err := tx.ExecContext(ctx, `INSERT INTO workflows (id, name, version, deleted, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = coalesce(nullif(excluded.name, ''), workflows.name), version = coalesce(nullif(excluded.version, ''), workflows.version),
			deleted = excluded.deleted, updated_at = excluded.updated_at`,
			c.Workflow.ID, c.Workflow.Name, c.Workflow.Version, c.WorkflowDeleted, now)
		return nil, err
	}
	return nil, nil
}

// putRun stores a run unless its current status forbids the move (a decided
// run never goes back). It reports whether the run changed.
func putRun(ctx context.Context, tx *txn, r *review.Run, failsRules bool, now int64) (bool, error) {
	var old, wasRouted string
	err := tx.QueryRowContext(ctx, `SELECT status, routed FROM runs WHERE id = ?`, r.ID).Scan(&old, &wasRouted)
	if err != nil && !isNoRows(err) {
		return false, err
	}
	if !review.Status(old).Advances(r.Status) {
		return false, nil
	}
	if (wasRouted == review.RoutedLow || wasRouted == review.RoutedSample || wasRouted == review.RoutedRules) && r.Status == review.StatusProcessed {
		return false, nil // Extend's completion again: the quality check here still owns the run
	}
	// A run that arrives already completed, with no human review in Extend,
	// meets its workflow's quality-check rule, if there is one.
	routed := ""
	if old == "" && r.Status == review.StatusProcessed {
		if routed, err = route(ctx, tx, r, failsRules); err != nil {
			return false, err
		}
		if routed == review.RoutedLow || routed == review.RoutedSample || routed == review.RoutedRules {
			r.Status = review.StatusNeedsReview
		}
	}
	sum, head := r.Summary(), review.SummaryHead(r.Raw)
	var queued any
	if r.Status == review.StatusNeedsReview {
		queued = ms(r.WaitingSince(time.UnixMilli(now)))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (id, workflow_id, workflow_name, api_version, status, file_name, file_type, page_count, min_confidence, payload, queued_at, created_at, updated_at, routed, batch_id, head)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, workflow_name = excluded.workflow_name, api_version = excluded.api_version,
			status = excluded.status, file_name = excluded.file_name, file_type = excluded.file_type, page_count = excluded.page_count,
			min_confidence = excluded.min_confidence, payload = excluded.payload, queued_at = coalesce(runs.queued_at, excluded.queued_at),
			updated_at = excluded.updated_at, batch_id = excluded.batch_id, head = excluded.head`,
		r.ID, sum.WorkflowID, sum.WorkflowName, r.APIVersion, string(r.Status), sum.FileName, sum.FileType, sum.PageCount,
		sum.MinConfidence, []byte(r.Raw), queued, now, now, routed, review.BatchID(head), []byte(head))
	if err != nil {
		return false, err
	}
	if err := index(ctx, tx, r.ID, r.SearchText(), false); err != nil {
		return false, err
	}
	if r.Workflow.ID != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workflows (id, name, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			r.Workflow.ID, r.Workflow.Name, r.Workflow.Version, now); err != nil {
			return false, err
		}
	}
	for _, o := range r.Outputs {
		if o.ID == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_outputs (output_id, run_id) VALUES (?, ?) ON CONFLICT (output_id) DO UPDATE SET run_id = excluded.run_id`, o.ID, r.ID); err != nil {
			return false, err
		}
	}
	for i, f := range r.Files {
		if f.ID == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, type, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = coalesce(nullif(excluded.name, ''), files.name), type = coalesce(nullif(excluded.type, ''), files.type)`,
			f.ID, f.Name, f.Type, now); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_files (run_id, file_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, r.ID, f.ID, i); err != nil {
			return false, err
		}
	}
	return true, nil
}

// putOutput applies a standalone processor run event to the run holding an
// output with the same id, splicing it into the stored payload.
func putOutput(ctx context.Context, tx *txn, o *review.Output, raw []byte, now int64) ([]string, error) {
	var runID, status string
	var payload []byte
	err := tx.QueryRowContext(ctx, `SELECT r.id, r.status, r.payload FROM run_outputs o JOIN runs r ON r.id = o.run_id WHERE o.output_id = ?`, o.ID).Scan(&runID, &status, &payload)
	if isNoRows(err) || review.Status(status).Decided() {
		return nil, nil // not a run under review here: stored, nothing to apply
	}
	if err != nil {
		return nil, err
	}
	run, err := review.DecodeRun(payload)
	if err != nil {
		return nil, err
	}
	for _, have := range run.Outputs {
		if have.ID != o.ID || have.Location == nil {
			continue
		}
		next, err := review.Splice(run.Raw, have.Location, raw)
		if err != nil {
			return nil, err
		}
		updated, err := review.DecodeRun(next)
		if err != nil {
			return nil, err
		}
		sum := updated.Summary()
		_, err = tx.ExecContext(ctx, `UPDATE runs SET payload = ?, min_confidence = ?, updated_at = ? WHERE id = ?`, []byte(next), sum.MinConfidence, now, runID)
		return []string{runID}, err
	}
	return nil, nil
}
