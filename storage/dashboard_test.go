package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestDashboardFiguresFollowTheQueue: the dashboard's figures of the queue,
// kept as runs arrive, leave the queue and change workflow rather than
// counted per request, are what counting the waiting runs says: how many
// wait, in each age bucket and past the SLA (boundaries inside an hour
// included), and per workflow with its oldest run.
func TestDashboardFiguresFollowTheQueue(t *testing.T) {
	pgtest.Each(t, testDashboardFiguresFollowTheQueue)
}

func testDashboardFiguresFollowTheQueue(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	var mu sync.Mutex
	now := base
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t), FastPasswordHash: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := func(t time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now = t
	}
	raw := demoPayload(t, 0)
	// Queued this long before the end, each: minutes either side of the
	// buckets' boundaries (1, 4, 24, 72 h) and of the SLA (2 h).
	ages := []time.Duration{5 * time.Minute, 59 * time.Minute, 61 * time.Minute, 119 * time.Minute, 121 * time.Minute, 3*time.Hour + 59*time.Minute,
		4*time.Hour + time.Minute, 23 * time.Hour, 25 * time.Hour, 71 * time.Hour, 73 * time.Hour, 200 * time.Hour}
	end := base.Add(300 * time.Hour)
	// A run waits from when Extend says it began.
	runPayload := func(i int, workflow string) []byte {
		p := bytes.ReplaceAll(raw, []byte("workflow_run_demo_aws_2026"), fmt.Appendf(nil, "workflow_run_dash_%d", i))
		p = bytes.ReplaceAll(p, []byte(`"2026-11-20T09:12:00Z"`), fmt.Appendf(nil, "%q", end.Add(-ages[i]).Format(time.RFC3339)))
		return bytes.ReplaceAll(p, []byte("workflow_demo_invoices"), []byte(workflow))
	}
	workflows := []string{"workflow_a", "workflow_b", "workflow_c"}
	for i := len(ages) - 1; i >= 0; i-- { // oldest first, as they arrive
		at(end.Add(-ages[i]))
		send(t, s, fmt.Sprintf("evt_dash_%d", i), review.EventRunNeedsReview, runPayload(i, workflows[i%3]))
		applyAt(t, s, clock)
	}
	// Two leave the queue, one moves to another workflow.
	at(end.Add(-time.Minute))
	send(t, s, "evt_dash_done_0", review.EventRunCompleted, bytes.Replace(runPayload(0, workflows[0]), []byte(`"NEEDS_REVIEW"`), []byte(`"PROCESSED"`), 1))
	send(t, s, "evt_dash_done_10", review.EventRunCompleted, bytes.Replace(runPayload(10, workflows[1]), []byte(`"NEEDS_REVIEW"`), []byte(`"PROCESSED"`), 1))
	send(t, s, "evt_dash_moved_4", review.EventRunNeedsReview, runPayload(4, "workflow_c"))
	applyAt(t, s, clock)
	at(end)

	waiting := map[int]string{}
	for i := range ages {
		waiting[i] = workflows[i%3]
	}
	delete(waiting, 0)
	delete(waiting, 10)
	waiting[4] = "workflow_c"
	want := review.Dashboard{Waiting: len(waiting)}
	ageBuckets := []time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour, 72 * time.Hour}
	buckets := make([]int, 5)
	perWorkflow := map[string]int{}
	oldest := map[string]time.Duration{}
	for i, wf := range waiting {
		a := ages[i]
		b := 0
		for b < len(ageBuckets) && a >= ageBuckets[b] {
			b++
		}
		buckets[b]++
		if a >= 2*time.Hour {
			want.PastSLA++
		}
		perWorkflow[wf]++
		oldest[wf] = max(oldest[wf], a)
	}
	d, err := s.Dashboard(ctx, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d.Waiting != want.Waiting || d.PastSLA != want.PastSLA {
		t.Errorf("waiting %d, past the SLA %d; want %d, %d", d.Waiting, d.PastSLA, want.Waiting, want.PastSLA)
	}
	for i, b := range d.Ages {
		if b.Count != buckets[i] {
			t.Errorf("%s: %d waiting, want %d", b.Label, b.Count, buckets[i])
		}
	}
	if len(d.ByWorkflow) != len(perWorkflow) {
		t.Fatalf("by workflow: %+v, want %v", d.ByWorkflow, perWorkflow)
	}
	for _, w := range d.ByWorkflow {
		if w.Waiting != perWorkflow[w.ID] || !w.Oldest.Equal(end.Add(-oldest[w.ID])) || w.Name == "" {
			t.Errorf("workflow %s: %d waiting since %s (%q), want %d since %s", w.ID, w.Waiting, w.Oldest, w.Name, perWorkflow[w.ID], end.Add(-oldest[w.ID]))
		}
	}
	if d.Oldest == nil || !d.Oldest.Equal(end.Add(-200*time.Hour)) {
		t.Errorf("oldest %v, want %s", d.Oldest, end.Add(-200*time.Hour))
	}
}
