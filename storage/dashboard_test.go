package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// openAt opens a store on a clock the test sets, starting at start.
func openAt(t *testing.T, start time.Time) (s *storage.Store, clock func() time.Time, set func(time.Time)) {
	t.Helper()
	var mu sync.Mutex
	now := start
	clock = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock, func(t time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now = t
	}
}

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
	s, clock, at := openAt(t, base)
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

// TestDashboardDecidedFigures: the dashboard's figures of the work done,
// per clock hour (24 h), per day (the 7 days shown) and per reviewer
// (approved, rejected, median handling to within review.HandlingPrecision),
// are what the decisions standing say, after decisions, an undo, a reopen
// and a new decision of the reopened run.
func TestDashboardDecidedFigures(t *testing.T) { pgtest.Each(t, testDashboardDecidedFigures) }

func testDashboardDecidedFigures(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 30, 0, 0, time.UTC)
	s, clock, at := openAt(t, now)
	dk := desk.New(s, nil, nil, clock)

	// Each decision: its run, who, approved, how long ago it was made and
	// how long the run was held before it. Hours either side of the 24
	// hours' and the 7 days' edges.
	type decision struct {
		run      int
		by       string
		approved bool
		ago      time.Duration
		held     time.Duration
	}
	decisions := []decision{
		{0, "ana@example.com", true, 10 * time.Minute, 30 * time.Second},
		{1, "ana@example.com", true, 50 * time.Minute, 2 * time.Minute},
		{2, "bo@example.com", false, 90 * time.Minute, 5 * time.Minute},
		{3, "bo@example.com", true, 23*time.Hour + 20*time.Minute, 45 * time.Minute},
		{4, "ana@example.com", false, 24*time.Hour + 40*time.Minute, 3 * time.Hour},
		{5, "cy@example.com", true, 3 * 24 * time.Hour, 70 * time.Second},
		{6, "bo@example.com", true, 6*24*time.Hour + 12*time.Hour, 9 * time.Minute},
		{7, "cy@example.com", true, 6*24*time.Hour + 13*time.Hour, 11 * time.Minute}, // the day before the 7 shown
		{8, "cy@example.com", false, 9 * 24 * time.Hour, 4 * time.Minute},
		{9, "ana@example.com", true, 2 * time.Hour, 20 * time.Minute},
	}
	for _, d := range decisions {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_dd%d","status":"NEEDS_REVIEW","workflow":{"id":"wf_dd","name":"W"},
			"outputs":[{"id":"dpr_dd%d","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":0.5}}}]}`, d.run, d.run)
		send(t, s, fmt.Sprint("evt_dd", d.run), review.EventRunNeedsReview, []byte(p))
	}
	at(now.Add(-10 * 24 * time.Hour))
	applyAt(t, s, clock)
	decide := func(d decision, version int) {
		t.Helper()
		id := fmt.Sprint("workflow_run_dd", d.run)
		at(now.Add(-d.ago - d.held))
		if _, err := s.ClaimRun(ctx, id, d.by, 4*time.Hour); err != nil {
			t.Fatal(err)
		}
		at(now.Add(-d.ago))
		if err := dk.Decide(ctx, id, &review.User{Email: d.by, Role: review.RoleReviewer}, desk.Verdict{Version: version, Approve: d.approved, Note: "no"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := len(decisions) - 1; i >= 0; i-- { // oldest first
		decide(decisions[i], 0)
	}
	standing := map[int]decision{}
	for _, d := range decisions {
		standing[d.run] = d
	}
	check := func(when string) {
		t.Helper()
		at(now)
		d, err := s.Dashboard(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		perHour, perDay := map[string]int{}, map[string]int{}
		type stats struct {
			approved, rejected int
			held               []time.Duration
		}
		reviewers := map[string]*stats{}
		firstHour := now.Truncate(time.Hour).Add(-23 * time.Hour)
		firstDay := now.Truncate(24*time.Hour).AddDate(0, 0, -6)
		for _, x := range standing {
			when := now.Add(-x.ago)
			if !when.Before(firstHour) {
				perHour[when.Format("15h")]++
			}
			if when.Before(firstDay) {
				continue
			}
			perDay[when.Format("Mon 2")]++
			r := reviewers[x.by]
			if r == nil {
				r = &stats{}
				reviewers[x.by] = r
			}
			if x.approved {
				r.approved++
			} else {
				r.rejected++
			}
			r.held = append(r.held, x.held)
		}
		if len(d.PerHour) != 24 || len(d.PerDay) != 7 {
			t.Fatalf("%s: %d hours and %d days, want 24 and 7", when, len(d.PerHour), len(d.PerDay))
		}
		for i, b := range d.PerHour {
			if want := now.Add(time.Duration(i-23) * time.Hour).Format("15h"); b.Label != want || b.Count != perHour[want] {
				t.Errorf("%s: hour %d is %s with %d decisions, want %s with %d", when, i, b.Label, b.Count, want, perHour[want])
			}
		}
		for i, b := range d.PerDay {
			if want := now.AddDate(0, 0, i-6).Format("Mon 2"); b.Label != want || b.Count != perDay[want] {
				t.Errorf("%s: day %d is %s with %d decisions, want %s with %d", when, i, b.Label, b.Count, want, perDay[want])
			}
		}
		if len(d.Reviewers) != len(reviewers) {
			t.Errorf("%s: reviewers %+v, want %d", when, d.Reviewers, len(reviewers))
		}
		for _, r := range d.Reviewers {
			w := reviewers[r.Email]
			if w == nil {
				t.Errorf("%s: %s listed, with no decision standing", when, r.Email)
				continue
			}
			slices.Sort(w.held)
			median := w.held[len(w.held)/2]
			off := r.MedianFor - median
			if r.Approved != w.approved || r.Rejected != w.rejected || off < 0 && -off > time.Duration(float64(median)*review.HandlingPrecision) || off > time.Duration(float64(median)*review.HandlingPrecision) {
				t.Errorf("%s: %s approved %d, rejected %d, median %s; want %d, %d, %s", when, r.Email, r.Approved, r.Rejected, r.MedianFor, w.approved, w.rejected, median)
			}
		}
	}
	check("after decisions")

	at(now.Add(-10*time.Minute + time.Second)) // within the undo window
	if err := dk.Undo(ctx, "workflow_run_dd0", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	delete(standing, 0)
	check("after an undo")

	at(now.Add(-80 * time.Minute))
	if err := dk.Reopen(ctx, "workflow_run_dd2", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	delete(standing, 2)
	check("after a reopen")

	again := decision{2, "cy@example.com", false, time.Minute, 3 * time.Minute}
	rv, err := s.Review(ctx, "workflow_run_dd2")
	if err != nil {
		t.Fatal(err)
	}
	decide(again, rv.Version)
	standing[2] = again
	check("after deciding the reopened run")
}
