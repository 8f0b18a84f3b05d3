package storage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestQueueCountStopsAtItsBound: a filtered view is counted up to the
// bound and says there are more; the queue unfiltered is counted from the
// kept depth less the held runs, whatever the bound.
func TestQueueCountStopsAtItsBound(t *testing.T) { pgtest.Each(t, testQueueCountStopsAtItsBound) }

func testQueueCountStopsAtItsBound(t *testing.T) {
	s := openInternal(t, t.TempDir())
	ctx := context.Background()
	arriveRuns(t, s, 5) // workflow_run_0, _2, _4 in wf_0
	if err := s.Hold(ctx, "workflow_run_0", review.Hold{Kind: review.HoldEscalated, By: "ana@example.com", Note: "why", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    review.QueueFilter
		most int64
		n    int64
		more bool
	}{
		{review.QueueFilter{WorkflowID: "wf_0"}, 1, 1, true},
		{review.QueueFilter{WorkflowID: "wf_0"}, 2, 2, false},
		{review.QueueFilter{WorkflowID: "wf_0", View: review.ViewAll}, 2, 2, true},
		{review.QueueFilter{WorkflowID: "wf_0", View: review.ViewAll}, 3, 3, false},
		{review.QueueFilter{View: review.ViewEscalated}, 1, 1, false},
		{review.QueueFilter{}, 1, 4, false},
		{review.QueueFilter{View: review.ViewAll}, 1, 5, false},
	} {
		n, more, err := s.queueCount(ctx, c.f, c.most)
		if err != nil || n != c.n || more != c.more {
			t.Errorf("%+v counted up to %d: %d, more %v, %v; want %d, more %v", c.f, c.most, n, more, err, c.n, c.more)
		}
	}
}

// TestQueueCountReadsTheHoldIndex: the queue's heading, on every page and
// live update, counts the held runs on their index, not every waiting run.
func TestQueueCountReadsTheHoldIndex(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	if steps := plan(t, s, heldNow, 0); !strings.Contains(strings.Join(steps, "; "), "runs_held") {
		t.Errorf("the held runs are counted by %q", steps)
	}
}
