package desk_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

const extract = "dpr_demo_qh_extract"

// TestQACheck: with a 100% sample, a decided run goes to the QA queue; its
// first reviewer cannot check it; a second person's blind check records,
// per field, whether the model and the first review had the value QA
// gave, once; the accuracy and the scorecard count it with its samples.
func TestQACheck(t *testing.T) { pgtest.Each(t, testQACheck) }

func testQACheck(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	bo := &review.User{Email: "bo@example.com", Role: review.RoleReviewer}
	r, _ := s.Run(ctx, run)
	if err := s.SetQARule(ctx, review.QARule{WorkflowID: r.Workflow.ID, SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	// Ana corrects the customer number (the model had 47774) and decides.
	if _, err := d.SaveEdit(ctx, run, ana.Email, desk.Change{OutputID: extract, Path: "customer_number", Text: text("47775")}); err != nil {
		t.Fatal(err)
	}
	if err := d.Active(ctx, run, ana.Email, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := d.Active(ctx, run, ana.Email, time.Hour); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("an hour reported at once: %v", err)
	}
	if err := d.Active(ctx, "workflow_run_none", ana.Email, time.Minute); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("time reported on no run: %v", err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 1, Approve: true}); err != nil {
		t.Fatal(err)
	}
	queue, waiting, err := s.QAQueue(ctx, 0)
	if err != nil || waiting != 1 || len(queue) != 1 || queue[0].RunID != run || queue[0].FirstBy != ana.Email {
		t.Fatalf("QA queue %+v (%d waiting), %v", queue, waiting, err)
	}
	if _, err := d.CheckQA(ctx, run, ana, nil, nil); review.ErrorCode(err) != review.EFORBIDDEN {
		t.Fatalf("the first reviewer checked their own run: %v", err)
	}
	// Bo, blind, also reads 47775 and finds the invoice number wrong, which
	// both the model and Ana let through.
	q, err := d.CheckQA(ctx, run, bo, []desk.QAValue{
		{OutputID: extract, Path: "customer_number", Text: "47775"},
		{OutputID: extract, Path: "invoice_number", Text: "30064444"},
		{OutputID: extract, Path: "invoice_date", Text: "2014-05-07"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]review.QAField{}
	for _, f := range q.Fields {
		got[f.Path] = f
	}
	if f := got["customer_number"]; f.ModelCorrect != 0 || f.FirstCorrect != 1 || f.Total != 1 || f.Confidence == nil || *f.Confidence != 0.95 {
		t.Errorf("customer_number: %+v", f)
	}
	if f := got["invoice_number"]; f.ModelCorrect != 0 || f.FirstCorrect != 0 {
		t.Errorf("invoice_number: %+v", f)
	}
	if f := got["invoice_date"]; f.ModelCorrect != 1 || f.FirstCorrect != 1 {
		t.Errorf("invoice_date: %+v", f)
	}
	if f := got["line_items"]; f.Total < 2 || f.ModelCorrect != f.Total {
		t.Errorf("line_items, scored by cells: %+v", f)
	}
	if q.QABy != bo.Email || q.QAAt == nil {
		t.Errorf("the check is not recorded: %+v", q)
	}
	if _, err := d.CheckQA(ctx, run, bo, nil, nil); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("a second check: %v", err)
	}
	if _, waiting, _ := s.QAQueue(ctx, 0); waiting != 0 {
		t.Errorf("a checked run still waits: %d", waiting)
	}

	now := time.Now()
	a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
	if err != nil || len(a.Workflows) != 1 {
		t.Fatalf("accuracy %+v, %v", a, err)
	}
	w := a.Workflows[0]
	if w.Checked != 1 || len(w.Reviewers) != 1 || w.Reviewers[0].Email != ana.Email || w.Reviewers[0].Accepted.Correct != 0 || w.Reviewers[0].Accepted.Samples != 1 {
		t.Errorf("workflow accuracy %+v", w)
	}
	fields := map[string]review.FieldAccuracy{}
	for _, f := range w.Fields {
		fields[f.Path] = f
	}
	if f := fields["customer_number"]; f.Model.Samples != 1 || f.Model.Correct != 0 || f.Reviewed.Correct != 1 || f.Corrections.Samples != 1 || f.Corrections.Correct != 0 || len(f.Bands) != 1 {
		t.Errorf("customer_number accuracy %+v", f)
	}
	if f := fields["invoice_number"]; f.Corrections.Correct != 1 || f.Advice.Reachable || f.Advice.Needs != 380 { // one right value advises nothing
		t.Errorf("invoice_number accuracy %+v", f)
	}
	cards, err := s.Scorecards(ctx, review.ScorecardFilter{From: now.Add(-48 * time.Hour), To: now.Add(time.Hour)})
	if err != nil || len(cards) != 1 {
		t.Fatalf("scorecards %+v, %v", cards, err)
	}
	if c := cards[0]; c.Email != ana.Email || c.Decided != 1 || c.Active != 90*time.Second || c.FieldsChanged != 1 || c.Accepted.Samples != 1 || c.Accepted.Correct != 0 || c.Accuracy.Samples == 0 {
		t.Errorf("Ana's scorecard %+v", c)
	}
	if cards, _ := s.Scorecards(ctx, review.ScorecardFilter{Email: bo.Email, From: now.Add(-48 * time.Hour), To: now.Add(time.Hour)}); len(cards) != 0 {
		t.Errorf("Bo's own scorecards show another's: %+v", cards)
	}
}

// TestUndoTakesBackMeasures: a decision taken back takes its field
// outcomes out of the accuracy and the scorecards, and its run out of the
// QA queue.
func TestUndoTakesBackMeasures(t *testing.T) { pgtest.Each(t, testUndoTakesBackMeasures) }

func testUndoTakesBackMeasures(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	r, _ := s.Run(ctx, run)
	if err := s.SetQARule(ctx, review.QARule{WorkflowID: r.Workflow.ID, SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if _, err := d.SaveEdit(ctx, run, ana.Email, desk.Change{OutputID: extract, Path: "customer_number", Text: text("47775")}); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 1, Approve: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	measured := func() (corrections review.Rate, cards []review.Scorecard, waiting int) {
		t.Helper()
		a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range a.Workflows {
			corrections = w.Corrections
		}
		if cards, err = s.Scorecards(ctx, review.ScorecardFilter{From: now.Add(-48 * time.Hour), To: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, waiting, err = s.QAQueue(ctx, 0); err != nil {
			t.Fatal(err)
		}
		return
	}
	c, cards, waiting := measured()
	if c.Samples == 0 || c.Samples == c.Correct || len(cards) != 1 || cards[0].Decided != 1 || cards[0].FieldsChanged != 1 || waiting != 1 {
		t.Fatalf("after the decision: corrections %+v, scorecards %+v, %d waiting for QA", c, cards, waiting)
	}
	if err := d.Undo(ctx, run, ana.Email); err != nil {
		t.Fatal(err)
	}
	if c, cards, waiting := measured(); c.Samples != 0 || len(cards) != 0 || waiting != 0 {
		t.Fatalf("after the undo: corrections %+v, scorecards %+v, %d waiting for QA", c, cards, waiting)
	}
}

// TestActiveTimeFollowsTheClock: focused time is one window's at a time,
// so what a person reports cannot run ahead of the clock: many reports at
// once, each within the bound of one, do not add up to more than has
// passed since their last one.
func TestActiveTimeFollowsTheClock(t *testing.T) { pgtest.Each(t, testActiveTimeFollowsTheClock) }

func testActiveTimeFollowsTheClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, s := openAt(t, clock)
	ctx := context.Background()
	for range 20 {
		if err := d.Active(ctx, run, "ana@example.com", 9*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	if err := d.Active(ctx, run, "ana@example.com", 9*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := d.Active(ctx, run, "bo@example.com", 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	cards, err := s.Scorecards(ctx, review.ScorecardFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Duration{}
	for _, c := range cards {
		got[c.Email] += c.Active
	}
	if got["ana@example.com"] != 9*time.Minute+30*time.Second || got["bo@example.com"] != 2*time.Minute {
		t.Fatalf("focused time counted %v", got)
	}
}

// TestWorkflowIntervalsCountRuns: a workflow's and a reviewer's figures are
// over runs' fields, which stand or fall together; their intervals count
// the runs as clusters (review.ClusterWilson of the runs' sums, kept with
// each decision and check), say how many runs they rest on, and a
// decision taken back takes its run out of them.
func TestWorkflowIntervalsCountRuns(t *testing.T) { pgtest.Each(t, testWorkflowIntervalsCountRuns) }

func testWorkflowIntervalsCountRuns(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	r, _ := s.Run(ctx, run)
	if err := s.SetQARule(ctx, review.QARule{WorkflowID: r.Workflow.ID, SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	p, _ := demo.Payload("qualityhosting_2025.json")
	runs, outputs := []string{run}, []string{extract}
	for _, tag := range []string{"c1", "c2", "c3"} {
		c, err := review.Interpret(review.Event{ID: "evt_" + tag, Type: review.EventRunNeedsReview, Payload: []byte(strings.ReplaceAll(string(p), "demo_qh", "demo_qh_"+tag))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
			t.Fatal(err)
		}
		runs, outputs = append(runs, "workflow_run_demo_qh_"+tag+"_2025"), append(outputs, "dpr_demo_qh_"+tag+"_extract")
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	bo := &review.User{Email: "bo@example.com", Role: review.RoleReviewer}
	// Ana corrects nothing in the first and last runs, one field in the
	// second and three in the third; Bo's checks find the model wrong
	// where Ana corrected it.
	corrections := [][]desk.QAValue{nil, {{Path: "customer_number", Text: "47775"}},
		{{Path: "customer_number", Text: "47775"}, {Path: "invoice_number", Text: "30064444"}, {Path: "invoice_date", Text: "2014-05-08"}}, nil}
	var decided, model, first review.Clusters
	for i, id := range runs {
		version := 0
		for _, v := range corrections[i] {
			saved, err := d.SaveEdit(ctx, id, ana.Email, desk.Change{Version: version, OutputID: outputs[i], Path: v.Path, Text: text(v.Text)})
			if err != nil {
				t.Fatal(err)
			}
			version = saved.Version
		}
		if err := d.Decide(ctx, id, ana, desk.Verdict{Version: version, Approve: true}); err != nil {
			t.Fatal(err)
		}
		var checked []desk.QAValue
		for _, v := range corrections[i] {
			checked = append(checked, desk.QAValue{OutputID: outputs[i], Path: v.Path, Text: v.Text})
		}
		q, err := d.CheckQA(ctx, id, bo, checked, nil)
		if err != nil {
			t.Fatal(err)
		}
		units, mc, fc := 0, 0, 0
		for _, f := range q.Fields {
			units, mc, fc = units+f.Total, mc+f.ModelCorrect, fc+f.FirstCorrect
		}
		model.Add(mc, units)
		first.Add(fc, units)
	}
	now := time.Now()
	measure := func() review.WorkflowAccuracy {
		t.Helper()
		a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil || len(a.Workflows) != 1 {
			t.Fatalf("accuracy %+v, %v", a, err)
		}
		return a.Workflows[0]
	}
	w := measure()
	// Each run has the same top-level fields: F of them, F-1 and F-3
	// left as the model had them in the second and third.
	f := w.Corrections.Samples / 4
	for _, edited := range []int{0, 1, 3, 0} {
		decided.Add(f-edited, f)
	}
	if w.Corrections != review.ClusterWilson(decided) || w.Corrections.Runs != 4 || w.Corrections.Samples != 4*f {
		t.Errorf("the workflow's corrections figure %+v, want %+v: %d runs of %d fields", w.Corrections, review.ClusterWilson(decided), 4, f)
	}
	if flat := review.Wilson(decided.Correct, decided.Samples); w.Corrections.Low >= flat.Low {
		t.Errorf("the runs' interval %s is no wider than the fields' as independent %s", w.Corrections, flat)
	}
	if w.Model != review.ClusterWilson(model) || w.Reviewed != review.ClusterWilson(first) || w.Model.Runs != 4 {
		t.Errorf("the workflow's QA figures %s and %s, want %s and %s", w.Model, w.Reviewed, review.ClusterWilson(model), review.ClusterWilson(first))
	}
	if len(w.Reviewers) != 1 || w.Reviewers[0].Values != review.ClusterWilson(first) || w.Reviewers[0].Checked != 4 {
		t.Errorf("Ana's figures %+v, want her values %s", w.Reviewers, review.ClusterWilson(first))
	}
	// Reopening the third run takes its decision out of the runs' sums.
	if err := d.Reopen(ctx, runs[2], "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	var left review.Clusters
	for _, edited := range []int{0, 1, 0} {
		left.Add(f-edited, f)
	}
	if w := measure(); w.Corrections != review.ClusterWilson(left) {
		t.Errorf("after reopening a run the corrections figure is %+v, want %+v", w.Corrections, review.ClusterWilson(left))
	}
}

// TestQACheckRows: a checker who finds the model invented a row removes it
// and one who finds rows missed adds them; the check scores the list as it
// leaves it, as Extend scores arrays (rows paired by best match, missing
// and extra rows' cells wrong, over the larger list's cells), and a row
// said to come from a row the model did not have is refused.
func TestQACheckRows(t *testing.T) { pgtest.Each(t, testQACheckRows) }

func testQACheckRows(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	ana, bo := sampleAll(t, s, run)
	// Ana lets the model's seven rows through.
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	// Rows 0-5 stay; row 6 (the office mailbox) is invented; two rows the
	// model missed are added, typed into cells of the rows as they now stand.
	kept := []int{0, 1, 2, 3, 4, 5, -1, -1}
	if _, err := d.CheckQA(ctx, run, bo, nil, []desk.QARows{{OutputID: extract, Path: "line_items", From: []int{0, 7}}}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a row from the model's row 7 of 7: %v", err)
	}
	q, err := d.CheckQA(ctx, run, bo, []desk.QAValue{
		{OutputID: extract, Path: "line_items[6].description", Text: "Domain renewal"},
		{OutputID: extract, Path: "line_items[6].quantity", Text: "2"},
		{OutputID: extract, Path: "line_items[6].amount", Text: "9.80"},
		{OutputID: extract, Path: "line_items[7].description", Text: "SSL certificate"},
		{OutputID: extract, Path: "line_items[7].quantity", Text: "3"},
		{OutputID: extract, Path: "line_items[7].amount", Text: "12.00"},
	}, []desk.QARows{{OutputID: extract, Path: "line_items", From: kept}})
	if err != nil {
		t.Fatal(err)
	}
	var items review.QAField
	for _, f := range q.Fields {
		if f.Path == "line_items" {
			items = f
		}
	}
	// 8 rows of 3 cells against the model's 7: the six kept rows' 18 cells
	// are right, the invented row and the two missed ones are not.
	if items.Total != 24 || items.ModelCorrect != 18 || items.FirstCorrect != 18 {
		t.Fatalf("line_items scored %d and %d of %d, want 18 and 18 of 24: %+v", items.ModelCorrect, items.FirstCorrect, items.Total, items)
	}
	var checked []map[string]any
	if err := json.Unmarshal(items.QA, &checked); err != nil || len(checked) != 8 ||
		checked[6]["description"] != "Domain renewal" || checked[7]["amount"] != 12.0 || checked[5]["description"] != "Small Business QualityExchange 2010 — OUDJQ_jauernik" {
		t.Fatalf("the checked list %s (%v)", items.QA, err)
	}
}

// TestQACheckClass: a check judges a classification too: the checker
// chooses one of the classifier's classes, and the class is recorded right
// or wrong for the model and the first review; a class that is not one of
// them is refused.
func TestQACheckClass(t *testing.T) { pgtest.Each(t, testQACheckClass) }

func testQACheckClass(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	arrive(t, s, "aws_2026.json")
	const aws, classifier = "workflow_run_demo_aws_2026", "clr_demo_aws"
	ana, bo := sampleAll(t, s, aws)
	if err := d.Decide(ctx, aws, ana, desk.Verdict{Version: 0, Approve: true}); err != nil { // as the model had it: an invoice
		t.Fatal(err)
	}
	if _, err := d.CheckQA(ctx, aws, bo, []desk.QAValue{{OutputID: classifier, Path: review.PathClass, Text: "horoscope"}}, nil); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a class that is not the classifier's: %v", err)
	}
	q, err := d.CheckQA(ctx, aws, bo, []desk.QAValue{{OutputID: classifier, Path: review.PathClass, Text: "receipt"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var class *review.QAField
	for i, f := range q.Fields {
		if f.OutputID == classifier {
			class = &q.Fields[i]
		}
	}
	if class == nil || class.Path != review.PathClass || class.Total != 1 || class.ModelCorrect != 0 || class.FirstCorrect != 0 ||
		string(class.Model) != `"invoice"` || string(class.QA) != `"receipt"` {
		t.Fatalf("the class checked: %+v", class)
	}
}

// sampleAll draws every decided run of runID's workflow for QA, and gives
// the first reviewer and the checker.
func sampleAll(t *testing.T, s *storage.Store, runID string) (first, checker *review.User) {
	t.Helper()
	r, err := s.Run(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetQARule(context.Background(), review.QARule{WorkflowID: r.Workflow.ID, SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	return &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, &review.User{Email: "bo@example.com", Role: review.RoleReviewer}
}

// TestQACheckSplits: a check judges a splitter's sub-documents: the
// checker changes a range, adds one the model missed and the result is
// scored as a list of {type, startPage, endPage} rows; a range that is not
// one is refused with a sentence.
func TestQACheckSplits(t *testing.T) { pgtest.Each(t, testQACheckSplits) }

func testQACheckSplits(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	ana, bo := sampleAll(t, s, run)
	const splitter = "dpr_demo_qh_split" // one invoice, pages 1-2
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckQA(ctx, run, bo, []desk.QAValue{{OutputID: splitter, Path: "splits[0].endPage", Text: "0"}}, nil); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("pages 1-0: %v", err)
	}
	q, err := d.CheckQA(ctx, run, bo, []desk.QAValue{
		{OutputID: splitter, Path: "splits[0].endPage", Text: "1"},
		{OutputID: splitter, Path: "splits[1].type", Text: "invoice"},
		{OutputID: splitter, Path: "splits[1].startPage", Text: "2"},
		{OutputID: splitter, Path: "splits[1].endPage", Text: "2"},
	}, []desk.QARows{{OutputID: splitter, Path: review.PathSplits, From: []int{0, -1}}})
	if err != nil {
		t.Fatal(err)
	}
	var splits *review.QAField
	for i, f := range q.Fields {
		if f.OutputID == splitter {
			splits = &q.Fields[i]
		}
	}
	// Two rows of three cells against the model's one: its type and start
	// page are right, its end page and the missed row are not.
	if splits == nil || splits.Path != review.PathSplits || splits.Total != 6 || splits.ModelCorrect != 2 || splits.FirstCorrect != 2 {
		t.Fatalf("the splits checked: %+v", splits)
	}
}

// TestServiceLevelNamesAWorkflow: a service level for no workflow is
// refused with a sentence.
func TestServiceLevelNamesAWorkflow(t *testing.T) {
	d, _ := open(t)
	if err := d.SetServiceLevel(context.Background(), "sup@example.com", "", time.Hour); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a service level for no workflow: %v", err)
	}
}

// TestQACheckByType: a check gives each field in its type's editor's parts,
// as the run page does: a signature as its parts, read into a signature
// (its date as YYYY-MM-DD) and compared as a value; an amount and its code,
// the model's amount written another way being the model's value; a
// signature date that is no date is refused with a sentence.
func TestQACheckByType(t *testing.T) { pgtest.Each(t, testQACheckByType) }

func testQACheckByType(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	arrive(t, s, "aws_2026.json")
	const aws, extraction = "workflow_run_demo_aws_2026", "exr_demo_aws"
	ana, bo := sampleAll(t, s, aws)
	if err := d.Decide(ctx, aws, ana, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	values := func(date string) []desk.QAValue {
		return []desk.QAValue{
			{OutputID: extraction, Path: "approver_signature", Sig: &review.SignatureParts{Signed: "true", Name: "Jeff Bezos", Title: "CEO", Date: date}},
			{OutputID: extraction, Path: "total", Text: "4.110", Code: "usd"},
			{OutputID: extraction, Path: "tax_included", Text: "false"},
			{OutputID: extraction, Path: "billing_period", Text: "ANNUAL"},
		}
	}
	if _, err := d.CheckQA(ctx, aws, bo, values("31 Feb 2014"), nil); review.ErrorCode(err) != review.EINVALID || review.ErrorMessage(err) == "" {
		t.Fatalf("a signature dated 31 Feb 2014: %v", err)
	}
	q, err := d.CheckQA(ctx, aws, bo, values("3 Jul 2014"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]review.QAField{}
	for _, f := range q.Fields {
		got[f.Path] = f
	}
	sig := got["approver_signature"]
	if !review.SameValue(sig.QA, json.RawMessage(`{"is_signed":true,"printed_name":"Jeff Bezos","title_or_role":"CEO","signature_date":"2014-07-03"}`)) || sig.ModelCorrect != 0 || sig.FirstCorrect != 0 {
		t.Errorf("the signature checked: %s, model right %d, first right %d", sig.QA, sig.ModelCorrect, sig.FirstCorrect)
	}
	for path, want := range map[string]int{"total": 1, "tax_included": 1, "billing_period": 0, "invoice_number": 1} {
		if f := got[path]; f.ModelCorrect != want || f.FirstCorrect != want {
			t.Errorf("%s checked as %s against the model's %s: right %d, want %d", path, f.QA, f.Model, f.ModelCorrect, want)
		}
	}
	if string(got["total"].QA) != string(got["total"].Model) {
		t.Errorf("the model's amount written as 4.110 usd was kept as %s, not the model's %s", got["total"].QA, got["total"].Model)
	}
}

// TestQARuleNamesKnownFields: a QA rule's chosen fields are fields the
// workflow's runs have had, whatever their document type (the legacy
// workflow takes hosting invoices and AWS invoices alike): a field of its
// decided hosting invoice, though the newest run is an AWS invoice; a field
// of that newest run, decided by no one yet; a list as a whole, and a
// column of it. A field no run had is refused with a sentence naming the
// fields there are, and nothing is kept.
func TestQARuleNamesKnownFields(t *testing.T) { pgtest.Each(t, testQARuleNamesKnownFields) }

func testQARuleNamesKnownFields(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	p, _ := demo.Payload("aws_2026.json")
	p = json.RawMessage(strings.ReplaceAll(string(p), "workflow_demo_invoices", "workflow_demo_legacy"))
	c, err := review.Interpret(review.Event{ID: "evt_aws_legacy", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	const wf = "workflow_demo_legacy"
	err = d.SetQARule(ctx, "sup@example.com", review.QARule{WorkflowID: wf, SamplePercent: 10, Fields: []string{"customer_number", "no_such_field"}})
	if msg := review.ErrorMessage(err); review.ErrorCode(err) != review.EINVALID || !strings.Contains(msg, "no_such_field is not a field") ||
		!strings.Contains(msg, "customer_number") || !strings.Contains(msg, "purchase_order") {
		t.Fatalf("a QA rule on a field no run had: %v", err)
	}
	err = d.SetQARule(ctx, "sup@example.com", review.QARule{WorkflowID: wf, SamplePercent: 10, Fields: []string{"custmer_number", "customer_number", "no_such_field"}})
	if msg := review.ErrorMessage(err); !strings.HasPrefix(msg, "custmer_number and no_such_field are not fields") {
		t.Fatalf("a QA rule on two fields no run had names %q", msg)
	}
	if kept, _ := s.QARule(ctx, wf); kept.SamplePercent != 0 || len(kept.Fields) != 0 {
		t.Fatalf("a refused rule was kept: %+v", kept)
	}
	fields := []string{"customer_number", "purchase_order", "line_items", "line_items[].amount"}
	if err := d.SetQARule(ctx, "sup@example.com", review.QARule{WorkflowID: wf, SamplePercent: 10, Fields: fields}); err != nil {
		t.Fatalf("a QA rule on fields of the workflow's runs: %v", err)
	}
	if kept, _ := s.QARule(ctx, wf); len(kept.Fields) != len(fields) {
		t.Fatalf("the rule kept %+v", kept)
	}
}

// toldStore notes what the desk told the store of each check: whether the
// run had a first review to measure.
type toldStore struct {
	*storage.Store
	reviewed map[string]bool
}

func (s toldStore) SaveQA(ctx context.Context, runID, by string, at time.Time, fields []review.QAField, t review.QATotals, reviewed bool) error {
	s.reviewed[runID] = reviewed
	return s.Store.SaveQA(ctx, runID, by, at, fields, t, reviewed)
}

// TestQAFirstReviewIsTheDesks: the desk decides whether a check measures a
// first review as well as the model, and the store counts it as told: a
// run Extend completed alone measures the model only (no first review's
// sample in the accuracy), a run a person decided measures both.
func TestQAFirstReviewIsTheDesks(t *testing.T) { pgtest.Each(t, testQAFirstReviewIsTheDesks) }

func testQAFirstReviewIsTheDesks(t *testing.T) {
	_, s := open(t)
	told := toldStore{Store: s, reviewed: map[string]bool{}}
	d := desk.New(told, nil, rules.New(nil), nil)
	ctx := context.Background()
	ana, bo := sampleAll(t, s, run)
	if err := s.SetQARule(ctx, review.QARule{WorkflowID: "wf_done", SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	c, err := review.Interpret(review.Event{ID: "evt_done", Type: review.EventRunCompleted, Payload: json.RawMessage(
		`{"object":"workflow_run","id":"workflow_run_done","status":"PROCESSED","workflow":{"id":"wf_done"},"outputs":[{"id":"dpr_done","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":0.9}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckQA(ctx, "workflow_run_done", bo, []desk.QAValue{{OutputID: "dpr_done", Path: "a", Text: "y"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckQA(ctx, run, bo, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r, ok := told.reviewed["workflow_run_done"]; !ok || r {
		t.Errorf("the desk told the store a run Extend completed alone had a first review (%v, told %v)", r, ok)
	}
	if r := told.reviewed[run]; !r {
		t.Errorf("the desk told the store a run a person decided had no first review")
	}
	now := time.Now()
	a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]review.FieldAccuracy{}
	for _, w := range a.Workflows {
		for _, f := range w.Fields {
			fields[w.ID+" "+f.Path] = f
		}
	}
	if f := fields["wf_done a"]; f.Model.Samples != 1 || f.Model.Correct != 0 || f.Reviewed.Samples != 0 {
		t.Errorf("a run Extend completed alone, checked: %+v", f)
	}
	r, _ := s.Run(ctx, run)
	if f := fields[r.Workflow.ID+" customer_number"]; f.Model.Samples != 1 || f.Reviewed.Samples != 1 || f.Reviewed.Correct != 1 {
		t.Errorf("a run a person decided, checked: %+v", f)
	}
}
