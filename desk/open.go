package desk

import (
	"context"
	"errors"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// ErrBrokenDraft marks a run whose saved changes no longer apply to it.
var ErrBrokenDraft = errors.New("the saved changes do not apply")

// Opened is a run as the review desk works on it.
type Opened struct {
	Run     *review.Run   // as Extend sent it
	Review  review.Review // the draft, its version, the decision
	Current *review.Run   // as the draft's edits make it read
}

// Open reads a run, its draft and the run as the draft makes it read. A
// draft that no longer applies is an ErrBrokenDraft, with Run and Review
// still set, so the page can say why and offer the way back.
func (d *Desk) Open(ctx context.Context, id string) (Opened, error) {
	run, err := d.store.Run(ctx, id)
	if err != nil {
		return Opened{}, err
	}
	rv, err := d.store.Review(ctx, run.ID)
	if err != nil {
		return Opened{}, err
	}
	o := Opened{Run: run, Review: rv}
	if o.Current, err = run.WithEdits(rv.Edits, d.Sizer(ctx, run)); err != nil {
		return o, fmt.Errorf("%w: %w", ErrBrokenDraft, err)
	}
	return o, nil
}
