package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestQACompleted: a run Extend completed without review is drawn for QA
// by its workflow's rule (and stays out of the review queue), with no
// first reviewer: its check measures the model alone. A repeated event
// draws nothing twice, a run sent to review is not drawn on arrival, and
// a rule beyond 100% is refused.
func TestQACompleted(t *testing.T) { pgtest.Each(t, testQACompleted) }

func testQACompleted(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	if err := s.SetQARule(ctx, review.QARule{WorkflowID: "wf_qa", SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	run := func(id, wf, status string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":%q,"workflow":{"id":%q},"outputs":[{"id":"dpr_%s","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":0.9}}}]}`, id, status, wf, id))
	}
	send(t, s, "e1", review.EventRunCompleted, run("workflow_run_done", "wf_qa", "PROCESSED"))
	send(t, s, "e2", review.EventRunCompleted, run("workflow_run_done", "wf_qa", "PROCESSED"))
	send(t, s, "e3", review.EventRunCompleted, run("workflow_run_other", "wf_none", "PROCESSED"))
	send(t, s, "e4", review.EventRunNeedsReview, run("workflow_run_review", "wf_qa", "NEEDS_REVIEW"))
	apply(t, s)
	q, waiting, err := s.QAQueue(ctx, 0)
	if err != nil || waiting != 1 || len(q) != 1 || q[0].RunID != "workflow_run_done" || q[0].Source != review.QAFromCompleted || q[0].FirstBy != "" {
		t.Fatalf("QA queue %+v (%d), %v", q, waiting, err)
	}
	if rq, _, _ := s.Queue(ctx, review.QueueFilter{}); len(rq) != 1 || rq[0].ID != "workflow_run_review" {
		t.Fatalf("review queue %+v", rq)
	}
	if sample, err := s.QASample(ctx, "workflow_run_review"); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("a run not drawn: %+v %v", sample, err)
	}
}

// TestListIsOneRow: a list is one field of a run on both sides of the
// accuracy page: corrections count the run's list once (corrected when any
// cell was, at its columns' lowest confidence), and QA scores its cells as
// Extend does but counts the list once per run in the interval, as the
// cells of one list are not independent. So line_items has one row, beside
// total.
func TestListIsOneRow(t *testing.T) { pgtest.Each(t, testListIsOneRow) }

func testListIsOneRow(t *testing.T) {
	s, c := clockStore(t)
	ctx := context.Background()
	send(t, s, "e1", review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run","id":"workflow_run_list","status":"NEEDS_REVIEW","workflow":{"id":"wf_list"},"outputs":[{"id":"dpr_list","type":"EXTRACT","output":{"total":{"type":"number","value":3,"confidence":0.95}}}]}`))
	apply(t, s)
	conf := func(v float64) *float64 { return &v }
	outcomes := map[string]review.Outcome{
		"line_items[].amount": {Edited: true, Confidence: conf(0.6)},
		"line_items[].desc":   {Confidence: conf(0.9)},
		"total":               {Confidence: conf(0.95)},
	}
	if err := s.Decide(ctx, "workflow_run_list", 0, review.Decision{Approved: true, By: "ana@example.com", At: c.Now(), QA: true}, []byte(`{}`), outcomes, review.Outbound{}); err != nil {
		t.Fatal(err)
	}
	fields := []review.QAField{
		{OutputID: "dpr_list", Path: "line_items", Total: 4, ModelCorrect: 3, FirstCorrect: 4, Model: json.RawMessage(`[]`), First: json.RawMessage(`[]`), QA: json.RawMessage(`[]`)},
		{OutputID: "dpr_list", Path: "total", Total: 1, ModelCorrect: 1, FirstCorrect: 1, Model: json.RawMessage(`3`), First: json.RawMessage(`3`), QA: json.RawMessage(`3`)},
	}
	if err := s.SaveQA(ctx, "workflow_run_list", "bo@example.com", c.Now(), fields, review.TotalQA(fields), true); err != nil {
		t.Fatal(err)
	}
	a, err := s.Accuracy(ctx, review.AccuracyFilter{From: c.Now().Add(-24 * time.Hour), To: c.Now().Add(time.Hour)})
	if err != nil || len(a.Workflows) != 1 {
		t.Fatalf("accuracy: %+v %v", a, err)
	}
	w := a.Workflows[0]
	var paths []string
	for _, f := range w.Fields {
		paths = append(paths, f.Path)
	}
	if fmt.Sprint(paths) != "[line_items total]" {
		t.Fatalf("rows %v, want line_items and total", paths)
	}
	li := w.Fields[0]
	if li.Corrections.Correct != 0 || li.Corrections.Samples != 1 || len(li.Bands) != 1 || li.Bands[0].From != 0.6 {
		t.Errorf("line_items by corrections: %v, bands %+v; want 0 of 1, in the band of 0.6", li.Corrections, li.Bands)
	}
	if li.Model.Correct != 3 || li.Model.Samples != 4 || li.Model.Independent != 1 {
		t.Errorf("line_items by QA: %+v; want 3 of 4 cells, counted once", li.Model)
	}
	if want := review.WilsonOf(3, 4, 1); li.Model != want || li.Reviewed != review.WilsonOf(4, 4, 1) {
		t.Errorf("line_items by QA: %+v, reviewed %+v; want %+v", li.Model, li.Reviewed, want)
	}
	// Above a field, the run's fields go together: one run of 5 samples.
	var model, first review.Clusters
	model.Add(4, 5)
	first.Add(5, 5)
	if w.Model != review.ClusterWilson(model) || w.Reviewers[0].Values != review.ClusterWilson(first) {
		t.Errorf("the workflow by QA: %+v, its reviewer %+v; want 4 of 5 samples, 1 run", w.Model, w.Reviewers[0].Values)
	}
	if w.Corrections.Samples != 2 {
		t.Errorf("the workflow by corrections: %+v; want a sample each for the list and the total", w.Corrections)
	}
}

// TestBandsCountTheChosenDays: the accuracy page's confidence bands (and
// the advice drawn from them) count the decisions of the chosen days, not
// of the seven-day blocks the days fall in: a decision the day before,
// in the same block, is not in them. A decision taken back, by undo or by
// reopening, leaves them.
func TestBandsCountTheChosenDays(t *testing.T) { pgtest.Each(t, testBandsCountTheChosenDays) }

func testBandsCountTheChosenDays(t *testing.T) {
	s, c := clockStore(t)
	ctx := context.Background()
	const day = 24 * time.Hour
	d := c.Now().Unix() / 86400
	// Two days of one seven-day block since 1970, as the weekly sums were kept.
	block := time.Unix((d-d%7)*86400, 0).UTC()
	before, chosen := block.Add(12*time.Hour), block.Add(day+12*time.Hour)
	high := 0.95
	decide := func(id string, at time.Time, edited bool) {
		t.Helper()
		rv, err := s.Review(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, id, rv.Version, review.Decision{Approved: true, By: "ana@example.com", At: at}, []byte(`{}`),
			map[string]review.Outcome{"total": {Edited: edited, Confidence: &high}}, review.Outbound{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"workflow_run_before", "workflow_run_chosen", "workflow_run_later"} {
		send(t, s, "e_"+id, review.EventRunNeedsReview, json.RawMessage(fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":"NEEDS_REVIEW","workflow":{"id":"wf_bands"},"outputs":[{"id":"dpr_%s","type":"EXTRACT","output":{"total":{"type":"number","value":3,"confidence":0.95}}}]}`, id, id)))
	}
	apply(t, s)
	decide("workflow_run_before", before, false)
	decide("workflow_run_chosen", chosen, true)
	// A longer period: the whole week within it read from the weekly sums,
	// the days at its ends from the daily ones.
	decide("workflow_run_later", block.Add(8*day), false)
	if b := bandsOf(t, s, block.Add(day), block.Add(15*day)); len(b) != 1 || b[0].Rate.Samples != 2 || b[0].Rate.Correct != 1 {
		t.Fatalf("two weeks' bands: %+v, want the chosen day's value and the next week's", b)
	}
	bands := func(when string) []review.Band {
		t.Helper()
		a, err := s.Accuracy(ctx, review.AccuracyFilter{From: block.Add(day), To: block.Add(2 * day)})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range a.Workflows {
			for _, f := range w.Fields {
				if f.Path == "total" {
					n := 0
					for _, b := range f.Bands {
						n += b.Rate.Samples
					}
					if n != f.Corrections.Samples {
						t.Errorf("%s: the corrections count %d decisions, the bands %d", when, f.Corrections.Samples, n)
					}
					return f.Bands
				}
			}
		}
		return nil
	}
	if b := bands("decided"); len(b) != 1 || b[0].From != 0.9 || b[0].Rate.Samples != 1 || b[0].Rate.Correct != 0 {
		t.Fatalf("the chosen day's bands: %+v, want the one corrected value of that day", b)
	}
	if err := s.UndoDecision(ctx, "workflow_run_chosen", "ana@example.com", chosen); err != nil {
		t.Fatal(err)
	}
	if b := bands("undone"); len(b) != 0 {
		t.Fatalf("after undo, bands %+v", b)
	}
	decide("workflow_run_chosen", chosen, true)
	if err := s.Reopen(ctx, "workflow_run_chosen", "bo@example.com", review.Reopen(c.Now(), review.DueBasis{})); err != nil {
		t.Fatal(err)
	}
	if b := bands("reopened"); len(b) != 0 {
		t.Fatalf("after reopening, bands %+v", b)
	}
}

// bandsOf is the bands of total over a period.
func bandsOf(t *testing.T, s *storage.Store, from, to time.Time) []review.Band {
	t.Helper()
	a, err := s.Accuracy(context.Background(), review.AccuracyFilter{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range a.Workflows {
		for _, f := range w.Fields {
			if f.Path == "total" {
				return f.Bands
			}
		}
	}
	return nil
}
