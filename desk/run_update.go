package desk

import (
	"context"
	"errors"

	"github.com/reviewer-app/reviewer/review"
)

// maxUpdateTries bounds how often an update is tried again when other
// updates of the same run land between its read and its write.
const maxUpdateTries = 5

// UpdateRun merges u into what API callers changed of a run, as Extend's
// POST /workflow_runs/{id} does: its metadata keys over the run's, and a
// new name. The run then reads, and its decision sends on, with them. The
// metadata may not grow past review.MaxMetadata. No update is lost: one
// that lands between another's read and write makes that one start again.
func (d *Desk) UpdateRun(ctx context.Context, runID, actor string, u review.RunUpdate) error {
	for range maxUpdateTries {
		prev, err := d.store.RunUpdate(ctx, runID)
		if err != nil || u.Empty() {
			return err
		}
		next := prev.Merge(u)
		run, err := d.store.Run(ctx, runID) // its payload with prev applied
		if err != nil {
			return err
		}
		if n := next.MetadataSize(run.Raw); n > review.MaxMetadata {
			return review.Errorf(review.EINVALID, "The run's metadata would take %d bytes; it may take at most %d (Extend's limit), so nothing was changed.", n, review.MaxMetadata)
		}
		err = d.store.SaveRunUpdate(ctx, runID, actor, prev, next, u)
		if !errors.Is(err, review.ErrRefused) {
			return err
		}
	}
	return review.Errorf(review.ECONFLICT, "The run was updated %d times by others while this update was being saved; nothing was changed, so send it again.", maxUpdateTries)
}
