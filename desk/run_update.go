package desk

import (
	"context"
	"encoding/json"

	"github.com/reviewer-app/reviewer/review"
)

// UpdateRun merges u into what API callers changed of a run, as Extend's
// POST /workflow_runs/{id} does: its metadata keys over the run's, and a
// new name. The run then reads, and its decision sends on, with them. The
// metadata may not grow past review.MaxMetadata. Updates sent at once are
// merged one after the other, so none is lost.
func (d *Desk) UpdateRun(ctx context.Context, runID, actor string, u review.RunUpdate) error {
	if u.Empty() {
		_, err := d.store.Review(ctx, runID) // the run exists
		return err
	}
	return d.store.UpdateRun(ctx, runID, actor, u, func(prev review.RunUpdate, payload json.RawMessage) (review.RunUpdate, error) {
		next := prev.Merge(u)
		if n := next.MetadataSize(payload); n > review.MaxMetadata {
			return prev, review.Errorf(review.EINVALID, "The run's metadata would take %d bytes; it may take at most %d (Extend's limit), so nothing was changed.", n, review.MaxMetadata)
		}
		return next, nil
	})
}
