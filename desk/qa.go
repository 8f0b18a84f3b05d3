package desk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// QAStore is what quality assurance needs persisted and read.
type QAStore interface {
	QARule(ctx context.Context, workflowID string) (review.QARule, error)
	QASample(ctx context.Context, runID string) (review.QASample, error)
	QAWaiting(ctx context.Context, runIDs []string) ([]review.QASample, error)
	SaveQA(ctx context.Context, runID, by string, at time.Time, fields []review.QAField, t review.QATotals, reviewed bool) error
	AddActive(ctx context.Context, actor, runID string, at time.Time, d time.Duration) error
	DecidedFields(ctx context.Context, workflowID string) ([]string, error)
}

// QAValue is a value the second reviewer gave a field, in the parts its
// type's editor has (review.FieldTypes), as the review page's are: text; an
// amount and its currency code (or "12.50 EUR" as text alone); a
// signature's parts.
type QAValue struct {
	OutputID, Path, Text string
	Code                 string
	Sig                  *review.SignatureParts
}

// QARows is a list's rows as the checker left them, in order: each the
// model's row it was (its index in the model's list) or a row added (-1).
// A list not given keeps the model's rows.
type QARows struct {
	OutputID, Path string
	From           []int
}

// OpenQA reads a sampled run for its check: the sample and the run as
// Extend sent it, which is what the checker starts from, as the first
// reviewer did. The first review's values stay in the sample, for the page
// to show only once the check is made.
func (d *Desk) OpenQA(ctx context.Context, runID string) (review.QASample, *review.Run, error) {
	q, err := d.store.QASample(ctx, runID)
	if err != nil {
		return q, nil, err
	}
	run, err := d.store.Run(ctx, runID)
	return q, run, err
}

// Withholding says which of runIDs u may not learn the first review of yet
// (review.QASample.Withholds): every read path of reviewed values asks it,
// a list once for all its runs.
func (d *Desk) Withholding(ctx context.Context, u *review.User, runIDs ...string) (map[string]bool, error) {
	waiting, err := d.store.QAWaiting(ctx, runIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, q := range waiting {
		if q.Withholds(u) {
			out[q.RunID] = true
		}
	}
	return out, nil
}

// Withheld refuses a read that would show u the first review of a run
// waiting for its blind check; nil for any other read.
func (d *Desk) Withheld(ctx context.Context, runID string, u *review.User) error {
	kept, err := d.Withholding(ctx, u, runID)
	if err != nil || !kept[runID] {
		return err
	}
	return review.QASample{RunID: runID}.Withheld()
}

// CheckQA records a blind check of a sampled run by a second person: the
// rows they left in its lists and the values they gave (a field left as
// the model had it is the model's value; a cell's path is its row's place
// in the list as left), compared field by field with the model's and the
// first review's. The first reviewer cannot check their own decision, and
// a run is checked once.
func (d *Desk) CheckQA(ctx context.Context, runID string, by *review.User, values []QAValue, rows []QARows) (review.QASample, error) {
	q, model, err := d.OpenQA(ctx, runID)
	switch {
	case err != nil:
		return q, err
	case q.QAAt != nil:
		return q, review.Errorf(review.ECONFLICT, "Run %s has been checked already, by %s.", runID, q.QABy)
	case q.FirstBy == by.Email:
		return q, review.Errorf(review.EFORBIDDEN, "A check is a second person's: you decided run %s yourself.", runID)
	}
	rowed, edits, err := d.QARows(ctx, model, rows)
	if err != nil {
		return q, err
	}
	splits, err := d.qaSplits(ctx, model, values, rows)
	if err != nil {
		return q, err
	}
	edits = append(edits, splits...)
	for _, v := range values {
		if o := rowed.Output(v.OutputID); o != nil && o.Type == review.OutputSplitter {
			continue // read by qaSplits
		}
		if o := rowed.Output(v.OutputID); o != nil && o.Type == review.OutputClassify && v.Path == review.PathClass {
			value, err := review.ClassNamed(o, v.Text)
			switch {
			case o.Location == nil:
				return q, review.Errorf(review.EINVALID, "%s came as a separate step: its class cannot be checked here.", v.OutputID)
			case err != nil:
				return q, err
			case string(value) != string(o.Value):
				edits = append(edits, review.Edit{OutputID: v.OutputID, Path: review.PathClass, Value: value, How: review.HowTyped})
			}
			continue
		}
		f, err := qaField(rowed, v.OutputID, v.Path)
		switch {
		case err != nil:
			return q, err
		case f.Type.Container():
			return q, review.Errorf(review.EINVALID, "%s holds other fields; give their values.", v.Path)
		case v.asShown(f):
			continue // as the model had it
		}
		value, err := v.value(f)
		if err != nil {
			return q, err
		}
		if value, err = review.CheckValue(*f, value); err != nil {
			return q, err
		}
		if !review.SameValue(value, f.Value) { // compared as values: "4.110 USD" is the model's 4.11 USD
			edits = append(edits, review.Edit{OutputID: v.OutputID, Path: v.Path, Value: value, How: review.HowTyped})
		}
	}
	checked, err := model.WithEdits(edits, d.Sizer(ctx, model))
	if err != nil {
		return q, review.Errorf(review.EINVALID, "These values cannot be applied to the run: %s", review.ErrorMessage(err))
	}
	first := model
	if q.First != nil {
		if first, err = review.DecodeRun(q.First); err != nil {
			return q, err
		}
	}
	fields := review.CompareQA(model, first, checked)
	if err := d.store.SaveQA(ctx, runID, by.Email, d.now(), fields, review.TotalQA(fields), q.Reviewed()); err != nil {
		return q, err
	}
	return d.store.QASample(ctx, runID)
}

// asShown says whether v is f's value as its editor shows it: left as the
// model had it, even where the model's value would not read back from its
// text (an amount's code without the amount).
func (v QAValue) asShown(f *review.Field) bool {
	s := f.Show()
	switch {
	case v.Sig != nil:
		return *v.Sig == s.Sig
	case v.Text == review.Text(f.Value) && v.Code == "":
		return true
	case f.Type.Info().Editor == review.EditMoney:
		return v.Text == s.Amount && v.Code == s.Code
	}
	return false
}

// value reads v as a value of f's type, as the review page's editor would.
func (v QAValue) value(f *review.Field) (json.RawMessage, error) {
	if v.Sig != nil {
		return review.NormaliseValue(f, v.Sig.Value())
	}
	value, _, err := review.ParseText(f, v.Text, v.Code)
	return value, err
}

// QARows returns run with its lists' rows as a checker left them, and the
// edits that make them so: the run a check's cells are read from, where an
// added row's cells are there with their columns' types.
func (d *Desk) QARows(ctx context.Context, run *review.Run, rows []QARows) (*review.Run, []review.Edit, error) {
	var edits []review.Edit
	for _, l := range rows {
		if o := run.Output(l.OutputID); o != nil && o.Type == review.OutputSplitter {
			continue // CheckQA reads a splitter's rows with their cells
		}
		f, err := qaField(run, l.OutputID, l.Path)
		if err != nil {
			return nil, nil, err
		}
		value, err := review.KeepRows(f, l.From)
		if err != nil {
			return nil, nil, err
		}
		edits = append(edits, review.Edit{OutputID: l.OutputID, Path: l.Path, Value: value, How: review.HowTyped})
	}
	if len(edits) == 0 {
		return run, nil, nil
	}
	rowed, err := run.WithEdits(edits, d.Sizer(ctx, run))
	if err != nil {
		return nil, nil, review.Errorf(review.EINVALID, "These rows cannot be applied to the run: %s", review.ErrorMessage(err))
	}
	return rowed, edits, nil
}

// qaSplits reads the sub-documents a check gives each splitter of run, as
// edits of those it changed.
func (d *Desk) qaSplits(ctx context.Context, run *review.Run, values []QAValue, rows []QARows) ([]review.Edit, error) {
	var edits []review.Edit
	for _, o := range run.Outputs {
		if o.Type != review.OutputSplitter || o.Location == nil {
			continue
		}
		cells := map[string]string{}
		for _, v := range values {
			if v.OutputID == o.ID {
				cells[v.Path] = v.Text
			}
		}
		var from []int
		for _, l := range rows {
			if l.OutputID == o.ID && l.Path == review.PathSplits {
				from = l.From
			}
		}
		if len(cells) == 0 && from == nil {
			continue
		}
		value, err := review.CheckedSplits(&o, from, cells)
		if err != nil {
			return nil, err
		}
		model, _ := o.Model(review.PathSplits)
		if value, err = review.ReviseSplits(&o, model, value, d.pages(ctx, run)); err != nil {
			return nil, err
		}
		edits = append(edits, review.Edit{OutputID: o.ID, Path: review.PathSplits, Value: value, How: review.HowTyped})
	}
	return edits, nil
}

// qaField finds an extracted field of run a check gives a value for.
func qaField(run *review.Run, outputID, path string) (*review.Field, error) {
	o := run.Output(outputID)
	if o == nil || o.Type != review.OutputExtract {
		return nil, review.Errorf(review.ENOTFOUND, "Run %s has no extraction %q.", run.ID, outputID)
	}
	f, ok := o.Field(path)
	if !ok {
		return nil, review.Errorf(review.ENOTFOUND, "Output %s has no field %q.", outputID, path)
	}
	return f, nil
}

// Active adds time a reviewer spent on a run's page with its window
// focused, as the page reports it (every half minute and when left); a
// report beyond review.MaxActiveReport is refused, and a report counts no
// more than has passed since the person's last one.
func (d *Desk) Active(ctx context.Context, runID, actor string, spent time.Duration) error {
	if spent <= 0 || spent > review.MaxActiveReport {
		return review.Errorf(review.EINVALID, "A report of focused time is between 0 and %s.", review.MaxActiveReport)
	}
	// The run must exist: its review state says so without decoding the
	// run, which every open page's report every 30 s would pay for.
	if _, err := d.store.Review(ctx, runID); err != nil {
		return err
	}
	now := d.now()
	d.countedMu.Lock()
	if last, ok := d.counted[actor]; ok && now.Sub(last) < spent {
		spent = now.Sub(last) // many reports at once add up to no more than has passed
	}
	d.counted[actor] = now
	d.countedMu.Unlock()
	if spent <= 0 {
		return nil
	}
	return d.store.AddActive(ctx, actor, runID, now, spent)
}
