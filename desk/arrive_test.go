package desk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
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
