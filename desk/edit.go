package desk

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/reviewer-app/reviewer/review"
)

// Change is one change a reviewer made on the review page.
type Change struct {
	Version  int             // the draft's version the reviewer saw
	OutputID string          //
	Path     string          // a field, review.PathClass or review.PathSplits
	Text     *string         // what was typed, parsed by the field's type
	Code     string          // a currency code, with Text as the amount
	Value    json.RawMessage // a JSON value (signature, null, splits, a class)
	Reset    bool            // back to the model's value and references
	Keep     bool            // the value unchanged: only the reference re-pointed
	Row      *Row            // a row of a list added, removed or moved
	How      string          // review.HowTyped, HowClicked, HowDrawn
	Box      *review.Ref     // a re-pointed reference (a drawn or clicked box)
}

// Row is a row operation on a list (review.RowAdd …).
type Row struct {
	Op    string
	Index int
}

// Saved is what a saved change made of the field.
type Saved struct {
	Version     int
	Value       json.RawMessage
	Text        string
	Edited      bool   // differs from the model's value
	Original    string // the model's value as text
	Alternative string // another reading of a typed date
}

// SaveEdit checks a change by the rules of its field's type, applies it to
// a copy of the run (a change that does not apply is refused, never stored
// where it would break the run for everyone), and saves it to the draft
// if the draft is still at the version the reviewer saw.
func (d *Desk) SaveEdit(ctx context.Context, runID, actor string, c Change) (Saved, error) {
	o, err := d.Open(ctx, runID)
	if err != nil {
		return Saved{}, err
	}
	out, field, err := findField(o.Current, c.OutputID, c.Path)
	if err != nil {
		return Saved{}, err
	}
	orig := o.Run.Output(c.OutputID)
	model := json.RawMessage("null")
	if orig != nil {
		// A row moved or shifted by another keeps its model row's value.
		if p, ok := review.ModelPath(out, orig, c.Path); ok {
			if v, ok := orig.Model(p); ok {
				model = v
			}
		}
	}
	var saved Saved
	value, err := newValue(c, out, field, model, &saved)
	if err != nil {
		return Saved{}, err
	}
	switch {
	case c.Reset: // the model's value, as it came
	case out.Type == review.OutputClassify:
		if value, err = review.ChooseClass(out, model, value); err != nil {
			return Saved{}, err
		}
	case out.Type == review.OutputSplitter:
		if value, err = review.ReviseSplits(out, model, value, d.pages(ctx, o.Run)); err != nil {
			return Saved{}, err
		}
	}
	if field != nil {
		if value, err = review.CheckValue(*field, value); err != nil {
			return Saved{}, err
		}
	}
	edit := review.Edit{OutputID: c.OutputID, Path: c.Path, Value: value, How: c.How}
	if edit.How == "" {
		edit.How = review.HowTyped
	}
	if c.Reset {
		edit.How = review.HowReset
	}
	switch {
	case c.Box != nil:
		edit.Refs = []review.Ref{*c.Box}
	case !c.Reset && field != nil && len(field.Refs) > 0 && string(bytes.TrimSpace(value)) == "null":
		edit.Refs = []review.Ref{} // nothing is cited for no value
	}
	if _, err := o.Run.WithEdits(append(slices.Clone(o.Review.Edits), edit), d.Sizer(ctx, o.Run)); err != nil {
		return Saved{}, review.Errorf(review.EINVALID, "This change cannot be applied to the run: %s", review.ErrorMessage(err))
	}
	// The value the change replaces, as the run read before it: a class
	// or the sub-documents too, so the history can say what changed.
	before := json.RawMessage("null")
	if field != nil {
		before = field.Value
	} else if v, ok := out.Model(c.Path); ok {
		before = v
	}
	if saved.Version, err = d.store.SaveEdit(ctx, o.Run.ID, c.Version, actor, edit, before); err != nil {
		return Saved{}, d.whyRefused(ctx, o.Run, c.Version, actor, err)
	}
	saved.Value, saved.Text = value, review.Text(value)
	saved.Original, saved.Edited = review.Text(model), !review.SameValue(value, model)
	return saved, nil
}

// findField finds an output and, for extractions, the field at path.
func findField(run *review.Run, outputID, path string) (*review.Output, *review.Field, error) {
	o := run.Output(outputID)
	switch {
	case o == nil:
		return nil, nil, review.Errorf(review.ENOTFOUND, "run %s has no output %q", run.ID, outputID)
	case o.Location == nil:
		return nil, nil, review.Errorf(review.EINVALID, "output %s came as a separate step and cannot be edited here", o.ID)
	case o.Type != review.OutputExtract:
		return o, nil, nil
	}
	f, ok := o.Field(path)
	if !ok {
		return nil, nil, review.Errorf(review.ENOTFOUND, "output %s has no field %q", outputID, path)
	}
	return o, f, nil
}

// newValue turns a change into the field's new JSON value.
func newValue(c Change, o *review.Output, f *review.Field, model json.RawMessage, saved *Saved) (json.RawMessage, error) {
	switch {
	case c.Reset:
		return model, nil
	case c.Keep && f != nil:
		return f.Value, nil
	case c.Row != nil:
		return review.EditRows(f, c.Row.Op, c.Row.Index)
	case c.Value != nil:
		if f != nil {
			return review.NormaliseValue(f, c.Value)
		}
		return c.Value, nil
	case c.Text == nil:
		return nil, review.Errorf(review.EINVALID, "the change carries no value")
	case f == nil:
		return nil, review.Errorf(review.EINVALID, "%s takes a value, not text", o.Type)
	}
	value, alternative, err := review.ParseText(f, *c.Text, c.Code)
	saved.Alternative = alternative
	return value, err
}

// Discard drops a run's saved changes: the way back from a draft that no
// longer applies.
func (d *Desk) Discard(ctx context.Context, runID, actor string) error {
	return d.store.DiscardDraft(ctx, runID, actor)
}
