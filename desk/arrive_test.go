package desk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// TestArriveRoutes: straight-through runs of a workflow with a routing rule
// go to review when a confidence is low, the sample says so, or (when the
// rule asks) a blocking validation rule fails; the rest are recorded as
// auto-approved, and a workflow without a rule is not routed. A repeated
// completion changes nothing. All of it is desk.Arrive's.
func TestArriveRoutes(t *testing.T) { pgtest.Each(t, testArriveRoutes) }

func testArriveRoutes(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	below := 0.8
	if err := d.SetRoutingRule(ctx, "root", review.RoutingRule{WorkflowID: "wf_qc", Below: &below}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRoutingRule(ctx, "root", review.RoutingRule{WorkflowID: "wf_checked", FailingRules: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules(ctx, "wf_checked", []review.Rule{{Name: "a is y", Expr: `a == "y"`, Message: "a must be y", Severity: review.SeverityBlock}}, "root"); err != nil {
		t.Fatal(err)
	}
	arrive := func(runs ...string) {
		t.Helper()
		var outs []review.EventOutcome
		for i, p := range runs {
			c, err := review.Interpret(review.Event{ID: fmt.Sprintf("evt_%d", i), Type: review.EventRunCompleted, Payload: json.RawMessage(p)})
			outs = append(outs, review.EventOutcome{Change: c, Err: err})
		}
		if _, err := d.Arrive(ctx, outs); err != nil {
			t.Fatal(err)
		}
	}
	completed := func(id, wf, value string, conf float64) string {
		return fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":"PROCESSED","workflow":{"id":%q},"outputs":[{"id":"dpr_%s","type":"EXTRACT","output":{"a":{"type":"string","value":%q,"confidence":%g}}}]}`, id, wf, id, value, conf)
	}
	arrive(completed("workflow_run_low", "wf_qc", "x", 0.5), completed("workflow_run_high", "wf_qc", "x", 0.95), completed("workflow_run_norule", "wf_other", "x", 0.1),
		completed("workflow_run_fails", "wf_checked", "x", 0.99), completed("workflow_run_holds", "wf_checked", "y", 0.99))
	queued := func() map[string]bool {
		q, _, err := s.Queue(ctx, review.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range q {
			ids[r.ID] = true
		}
		return ids
	}
	if q := queued(); len(q) != 3 || !q[run] || !q["workflow_run_low"] || !q["workflow_run_fails"] {
		t.Fatalf("queue = %v, want the demo run, the low one and the one failing a rule", q)
	}
	if err := d.SetRoutingRule(ctx, "root", review.RoutingRule{WorkflowID: "wf_qc", Below: &below, SamplePercent: 100}); err != nil {
		t.Fatal(err)
	}
	arrive(completed("workflow_run_sampled", "wf_qc", "x", 0.99), completed("workflow_run_low", "wf_qc", "x", 0.5))
	if q := queued(); len(q) != 4 || !q["workflow_run_sampled"] {
		t.Fatalf("after a repeated completion the queue = %v, want the sampled one added", q)
	}
	counts, err := s.RoutingCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := counts["wf_qc"]; c[review.RoutedLow] != 1 || c[review.RoutedSample] != 1 || c[review.RoutedAuto] != 1 || len(counts["wf_other"]) != 0 ||
		counts["wf_checked"][review.RoutedRules] != 1 || counts["wf_checked"][review.RoutedAuto] != 1 {
		t.Fatalf("routing counts = %v", counts)
	}
}

// completedEvents interprets completed runs of a workflow, each with the
// value of its field a, as the ingest worker hands them to desk.Arrive.
func completedEvents(t *testing.T, wf string, runs ...[2]string) []review.EventOutcome {
	t.Helper()
	var outs []review.EventOutcome
	for _, r := range runs {
		p := fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":"PROCESSED","workflow":{"id":%q},"outputs":[{"id":"dpr_%s","type":"EXTRACT","output":{"a":{"type":"string","value":%q,"confidence":0.99}}}]}`, r[0], wf, r[0], r[1])
		c, err := review.Interpret(review.Event{ID: "evt_" + r[0], Type: review.EventRunCompleted, Payload: json.RawMessage(p)})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, review.EventOutcome{Change: c})
	}
	return outs
}

// TestArriveSeesDuplicates: a completed run whose key matches an earlier
// run's (stored before, or earlier in the same batch) is known as a
// duplicate when it is routed, so a rule on `duplicate` sends it to
// review; the first of its key passes straight through.
func TestArriveSeesDuplicates(t *testing.T) { pgtest.Each(t, testArriveSeesDuplicates) }

func testArriveSeesDuplicates(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	// A workflow's key names its fields, known once a run of it is here.
	if _, err := d.Arrive(ctx, completedEvents(t, "wf_dup", [2]string{"workflow_run_seed", "1"})); err != nil {
		t.Fatal(err)
	}
	if err := d.SetDuplicateKeys(ctx, "wf_dup", []string{"a"}, "root"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRoutingRule(ctx, "root", review.RoutingRule{WorkflowID: "wf_dup", FailingRules: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules(ctx, "wf_dup", []review.Rule{{Name: "new", Expr: `!duplicate`, Message: "a duplicate", Severity: review.SeverityBlock}}, "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Arrive(ctx, completedEvents(t, "wf_dup", [2]string{"workflow_run_first", "42"}, [2]string{"workflow_run_same_batch", " 42"})); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Arrive(ctx, completedEvents(t, "wf_dup", [2]string{"workflow_run_later", "42"}, [2]string{"workflow_run_other", "7"})); err != nil {
		t.Fatal(err)
	}
	want := map[string]review.Status{"workflow_run_first": review.StatusProcessed, "workflow_run_same_batch": review.StatusNeedsReview,
		"workflow_run_later": review.StatusNeedsReview, "workflow_run_other": review.StatusProcessed}
	for id, status := range want {
		if r, err := s.Run(ctx, id); err != nil || r.Status != status {
			t.Fatalf("run %s: %v; want %s", id, err, status)
		}
	}
	dups, err := s.Duplicates(ctx, []string{"workflow_run_same_batch", "workflow_run_later", "workflow_run_other"})
	if err != nil || dups["workflow_run_later"].RunID != "workflow_run_first" || !dups["workflow_run_later"].Earlier ||
		dups["workflow_run_same_batch"].RunID != "workflow_run_first" || len(dups) != 2 {
		t.Fatalf("duplicates = %+v, %v", dups, err)
	}
	counts, err := s.RoutingCounts(ctx)
	if c := counts["wf_dup"]; err != nil || c[review.RoutedRules] != 2 || c[review.RoutedAuto] != 2 {
		t.Fatalf("routing counts = %v, %v", counts, err)
	}
}

// ruleChangedMidApply is a store where an admin saves a routing rule
// between the desk's reading of the rules and its write, once.
type ruleChangedMidApply struct {
	*storage.Store
	once   sync.Once
	change func()
}

func (s *ruleChangedMidApply) ApplyEvents(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	s.once.Do(s.change)
	return s.Store.ApplyEvents(ctx, outs)
}

// TestArriveRulesChangedMidApply: a routing rule (or a validation rule it
// counts) saved after the desk read the rules but before its write is not
// half-applied: the write is refused and the batch decided again under the
// rules now kept.
func TestArriveRulesChangedMidApply(t *testing.T) { pgtest.Each(t, testArriveRulesChangedMidApply) }

func testArriveRulesChangedMidApply(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	mid := &ruleChangedMidApply{Store: s, change: func() {
		if err := s.SetRoutingRule(ctx, review.RoutingRule{WorkflowID: "wf_mid", SamplePercent: 100}); err != nil {
			t.Error(err)
		}
	}}
	d := desk.New(mid, nil, rules.New(nil), nil)
	if _, err := d.Arrive(ctx, completedEvents(t, "wf_mid", [2]string{"workflow_run_mid", "x"})); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run(ctx, "workflow_run_mid"); err != nil || r.Status != review.StatusNeedsReview {
		t.Fatalf("run: %v; want it sampled for review by the rule kept when it was written", err)
	}
	if counts, err := s.RoutingCounts(ctx); err != nil || counts["wf_mid"][review.RoutedSample] != 1 {
		t.Fatalf("routing counts = %v, %v", counts, err)
	}

	// A validation rule the routing rule counts, saved mid-apply, likewise.
	if err := s.SetRoutingRule(ctx, review.RoutingRule{WorkflowID: "wf_checked", FailingRules: true}); err != nil {
		t.Fatal(err)
	}
	mid = &ruleChangedMidApply{Store: s, change: func() {
		if err := s.SetRules(ctx, "wf_checked", []review.Rule{{Name: "a is y", Expr: `a == "y"`, Message: "a must be y", Severity: review.SeverityBlock}}, "root"); err != nil {
			t.Error(err)
		}
	}}
	d = desk.New(mid, nil, rules.New(nil), nil)
	if _, err := d.Arrive(ctx, completedEvents(t, "wf_checked", [2]string{"workflow_run_checked", "x"})); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run(ctx, "workflow_run_checked"); err != nil || r.Status != review.StatusNeedsReview {
		t.Fatalf("run: %v; want it sent to review by the rule kept when it was written", err)
	}
}
