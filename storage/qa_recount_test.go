package storage

import (
	"context"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestQARecount: a check stored before an empty value scored as wrong
// (the model's "42" against QA's null counted right) is scored again at
// the first start after the migration, and its figures follow: the
// field's model and reviewed rates, the reviewer's first-pass acceptance.
// A field scored right under both rules keeps its figures. The same
// migration makes a decided list one field of its run in the corrections'
// sums, as QA counts it, and a later one the runs' sums of both that the
// workflow's intervals are drawn from.
func TestQARecount(t *testing.T) { pgtest.Each(t, testQARecount) }

func testQARecount(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 30, 19)
	at := time.Now().Add(-time.Hour).UnixMilli()
	if _, err := p.ExecContext(ctx, `INSERT INTO qa_samples (run_id, workflow_id, source, first_by, first_at, sampled_at, qa_by, qa_at, units, first_correct, agrees)
		VALUES ('workflow_run_old', 'wf_old', 'decided', 'ana@example.com', ?, ?, 'dana@example.com', ?, 2, 2, 1)`, at, at, at); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ path, value, qa string }{{"po_number", `"42"`, `null`}, {"total", `12.5`, `12.5`}} {
		if _, err := p.ExecContext(ctx, `INSERT INTO qa_fields (run_id, workflow_id, output_id, path, first_by, first_at, qa_at, total, model_correct, first_correct, model, first, qa)
			VALUES ('workflow_run_old', 'wf_old', 'dpr_old', ?, 'ana@example.com', ?, ?, 1, 1, 1, ?, ?, ?)`, f.path, at, at, []byte(f.value), []byte(f.value), []byte(f.qa)); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ExecContext(ctx, `INSERT INTO qa_daily (day, workflow_id, path, total, model_correct, first_total, first_correct) VALUES (?, 'wf_old', ?, 1, 1, 1, 1)`, at/dayMS, f.path); err != nil {
			t.Fatal(err)
		}
	}
	// A decision's list columns, as the sums had them before a list was
	// one field of a run.
	for _, f := range []struct {
		path   string
		edited int
		conf   float64
	}{{"line_items[].amount", 1, 0.6}, {"line_items[].desc", 0, 0.9}} {
		if _, err := p.ExecContext(ctx, `INSERT INTO field_outcomes (run_id, workflow_id, path, edited, decided_at, confidence, decided_by) VALUES ('workflow_run_old', 'wf_old', ?, ?, ?, ?, 'ana@example.com')`,
			f.path, f.edited, at, f.conf); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ExecContext(ctx, `INSERT INTO field_daily (day, workflow_id, path, n, edited) VALUES (?, 'wf_old', ?, 1, ?)`, at/dayMS, f.path, f.edited); err != nil {
			t.Fatal(err)
		}
	}
	p.DB.Close()

	for range 2 { // a second start finds nothing left to recount
		s, err := Open(ctx, dir, Options{DB: url})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-24 * time.Hour), To: now})
		if err != nil || len(a.Workflows) != 1 {
			t.Fatalf("accuracy after the recount: %+v %v", a, err)
		}
		w := a.Workflows[0]
		got := map[string]review.FieldAccuracy{}
		for _, f := range w.Fields {
			got[f.Path] = f
		}
		if po := got["po_number"]; po.Model.Correct != 0 || po.Model.Samples != 1 || po.Reviewed.Correct != 0 || po.Reviewed.Samples != 1 {
			t.Errorf("po_number, \"42\" where QA has none: model %v, reviewed %v; want 0 of 1", po.Model, po.Reviewed)
		}
		if tot := got["total"]; tot.Model.Correct != 1 || tot.Reviewed.Correct != 1 || tot.Model.Samples != 1 {
			t.Errorf("total, right under both rules: model %v, reviewed %v", tot.Model, tot.Reviewed)
		}
		if li := got["line_items"]; li.Corrections.Correct != 0 || li.Corrections.Samples != 1 || len(li.Bands) != 1 || li.Bands[0].From != 0.6 || len(got) != 3 {
			t.Errorf("the list by corrections: %+v, rows %v; want one row, 0 of 1 at 0.6", li, w.Fields)
		}
		if c := w.Corrections; c.Runs != 1 || c.Samples != 1 || c.Correct != 0 { // the runs' sums made from the decisions kept
			t.Errorf("the workflow's corrections after the migration: %+v, want one run's list, corrected", c)
		}
		if w.Model.Runs != 1 || w.Model.Independent != 1 {
			t.Errorf("the workflow's QA counts %d runs worth %d independent samples, want the one run's two fields as one", w.Model.Runs, w.Model.Independent)
		}
		if w.Model.Correct != 1 || w.Model.Samples != 2 || len(w.Reviewers) != 1 || w.Reviewers[0].Accepted.Correct != 0 || w.Reviewers[0].Values.Correct != 1 || w.Reviewers[0].Values.Samples != 2 {
			t.Errorf("the workflow after the recount: model %v, reviewers %+v", w.Model, w.Reviewers)
		}
		s.Close()
	}
}
