package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
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
