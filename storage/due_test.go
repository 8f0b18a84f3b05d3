package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestDueTimes: a run is due when Extend's metadata field says, else when
// its workflow's service level has passed since it began to wait (set
// later, it moves the runs already waiting); the queue is ordered by due
// time by default, a run with none last, and the breach board's filter
// lists what is late or close to due.
func TestDueTimes(t *testing.T) { pgtest.Each(t, testDueTimes) }

func testDueTimes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetSetting(ctx, review.DueFieldSetting, "due_by"); err != nil {
		t.Fatal(err)
	}
	arrive := func(file, tag string, waiting time.Duration, dueBy string) string {
		t.Helper()
		b, err := demo.Payload(file)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		p["initialRunAt"] = now.Add(-waiting).Format(time.RFC3339)
		if dueBy != "" {
			p["metadata"] = map[string]any{"due_by": dueBy}
		}
		out, _ := json.Marshal(p)
		base := strings.TrimSuffix(file, "_2026.json") // every id of the run holds demo_<base>; its workflow's does not
		tagged := strings.ReplaceAll(string(out), "demo_"+base, "demo_"+tag+"_"+base)
		send(t, s, "evt_"+tag, review.EventRunNeedsReview, json.RawMessage(tagged))
		applyAt(t, s, clock)
		var head struct{ ID string }
		json.Unmarshal([]byte(tagged), &head)
		return head.ID
	}
	late := arrive("aws_2026.json", "a", 3*time.Hour, "")
	soon := arrive("aws_2026.json", "b", 10*time.Minute, now.Add(30*time.Minute).Format(time.RFC3339))
	none := arrive("fiber_2026.json", "c", 5*time.Hour, "")
	order := func(f review.QueueFilter) []review.RunSummary {
		t.Helper()
		runs, _, err := s.Queue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return runs
	}
	ids := func(runs []review.RunSummary) string {
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	// No service level yet: only the run Extend gave a time is due.
	if got := ids(order(review.QueueFilter{})); got != soon+" "+none+" "+late {
		t.Fatalf("queue before the service level: %s", got)
	}
	d := desk.New(s, nil, nil, clock)
	if err := d.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_invoices", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	runs := order(review.QueueFilter{})
	if got := ids(runs); got != late+" "+soon+" "+none {
		t.Fatalf("queue by due time: %s", got)
	}
	states := map[string]string{}
	for _, r := range runs {
		states[r.ID] = review.DueState(r.DueAt, *r.QueuedAt, now, review.DueSoon) + "/" + review.DueText(r.DueAt, *r.QueuedAt, now, review.DueSoon)
	}
	if states[late] != "late/late by 1 h" || states[soon] != "soon/due in 30 min" || states[none] != "/" {
		t.Fatalf("due states: %v", states)
	}
	if got := ids(order(review.QueueFilter{DueBefore: now.Add(review.DueSoon)})); got != late+" "+soon {
		t.Fatalf("the breach board: %s", got)
	}
	if got := ids(order(review.QueueFilter{Sort: "oldest"})); got != none+" "+late+" "+soon {
		t.Fatalf("oldest first: %s", got)
	}
	// A page boundary inside the order by due time.
	first, next, err := s.Queue(ctx, review.QueueFilter{Limit: 1})
	if err != nil || len(first) != 1 || next == "" {
		t.Fatalf("first page: %v %q %v", first, next, err)
	}
	if got := ids(order(review.QueueFilter{Limit: 5, After: next})); got != soon+" "+none {
		t.Fatalf("the next page: %s", got)
	}
	if err := d.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_invoices", 0); err != nil {
		t.Fatal(err)
	}
	if got := ids(order(review.QueueFilter{})); got != soon+" "+none+" "+late {
		t.Fatalf("queue after removing the service level: %s", got)
	}
}

// TestDueSettingsChangedRefuse: a due time decided under a service level
// or a due field that changes before it is written is not written: the
// arrival is refused, and decided again it follows the new settings.
func TestDueSettingsChangedRefuse(t *testing.T) { pgtest.Each(t, testDueSettingsChangedRefuse) }

func testDueSettingsChangedRefuse(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	started, dueBy := now.Add(-3*time.Hour), now.Add(time.Hour)
	p["initialRunAt"] = started.Format(time.RFC3339)
	p["metadata"] = map[string]any{"due_by": dueBy.Format(time.RFC3339)}
	payload, _ := json.Marshal(p)
	send(t, s, "evt_due", review.EventRunNeedsReview, payload)
	outs := pending(t, s)
	run := outs[0].Change.Run
	decide := func() {
		t.Helper()
		kept, err := s.KeptRuns(ctx, []string{run.ID})
		if err != nil {
			t.Fatal(err)
		}
		rules, err := s.ArrivalRules(ctx, []string{run.Workflow.ID})
		if err != nil {
			t.Fatal(err)
		}
		a, err := review.Arrive(run, review.Arriving{Kept: kept[run.ID], Rules: rules[run.Workflow.ID], Now: now})
		if err != nil {
			t.Fatal(err)
		}
		outs[0].Change.Arrival = &a
	}
	due := func(want time.Time) {
		t.Helper()
		runs, _, err := s.Queue(ctx, review.QueueFilter{})
		if err != nil || len(runs) != 1 || !runs[0].DueAt.Equal(want) {
			t.Fatalf("queue = %+v, %v; want one run due at %v", runs, err, want)
		}
	}
	decide()
	if err := s.SetServiceLevel(ctx, run.Workflow.ID, 2*time.Hour, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(ctx, outs); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("applied under a service level changed since: %v", err)
	}
	decide()
	if err := s.SetSetting(ctx, review.DueFieldSetting, "due_by"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(ctx, outs); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("applied under a due field changed since: %v", err)
	}
	decide()
	if _, err := s.ApplyEvents(ctx, outs); err != nil {
		t.Fatal(err)
	}
	due(dueBy)
}
