package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// EachDecided calls fn for every decided run of the filter, oldest decision
// first, with its due time, hold and duplicate. It reads in pages by key,
// so an export of any size holds one page in memory and no read
// transaction for long.
func (s *Store) EachDecided(ctx context.Context, f review.ExportFilter, fn func(review.ExportedRun) error) error {
	to := f.To
	if to.IsZero() {
		to = time.Unix(1<<40, 0)
	}
	after, afterID := ms(f.From)-1, ""
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT id, workflow_id, decision, decided_by, decided_at, reviewed_payload,
			coalesce(queued_at, 0), due_at, hold, hold_by, hold_note, hold_at, hold_until FROM runs
			WHERE decided_at IS NOT NULL AND reviewed_payload IS NOT NULL AND (decided_at, id) > (?, ?) AND decided_at < ? AND (? = '' OR workflow_id = ?)
			ORDER BY decided_at, id LIMIT 500`, after, afterID, ms(to), f.WorkflowID, f.WorkflowID)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		var page []review.ExportedRun
		for rows.Next() {
			var r review.ExportedRun
			var at, queued, due, holdAt, holdUntil int64
			if err := rows.Scan(&r.ID, &r.WorkflowID, &r.Decision, &r.DecidedBy, &at, &r.Payload,
				&queued, &due, &r.Hold.Kind, &r.Hold.By, &r.Hold.Note, &holdAt, &holdUntil); err != nil {
				rows.Close()
				return fmt.Errorf("export: %w", err)
			}
			r.DecidedAt, r.QueuedAt, r.DueAt = fromMS(at), fromMS(queued), fromMS(due)
			r.Hold.At, r.Hold.Until = holdTimes(holdAt, holdUntil)
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		ids := make([]string, len(page))
		for i, r := range page {
			ids[i] = r.ID
		}
		dups, err := s.Duplicates(ctx, ids)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, r := range page {
			if d, ok := dups[r.ID]; ok {
				r.Duplicate = &d
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		last := page[len(page)-1]
		after, afterID = ms(last.DecidedAt), last.ID
	}
}
