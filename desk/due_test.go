package desk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestDueAsRead: a reopened run waits from now and is due by its
// workflow's service level, as an arriving run is; a change of the level
// moves the run while it waits. A due time decided on a level since
// changed, or on a run since decided, is not written.
func TestDueAsRead(t *testing.T) { pgtest.Each(t, testDueAsRead) }

func testDueAsRead(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	_, s := openAt(t, func() time.Time { return now })
	d := desk.New(s, nil, nil, func() time.Time { return now })
	const wf = "workflow_demo_legacy"
	due := func() time.Time {
		t.Helper()
		runs, _, err := s.Queue(ctx, review.QueueFilter{})
		if err != nil || len(runs) != 1 {
			t.Fatalf("queue %+v, %v", runs, err)
		}
		return runs[0].DueAt
	}
	waiting, err := s.WaitingRuns(ctx, wf, "", 10)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting %+v, %v", waiting, err)
	}
	if err := d.SetServiceLevel(ctx, "admin@example.com", wf, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := due(), waiting[0].Queued.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("due at %v under a level of 2h, want %v", got, want)
	}
	// Decided on the run before the level moved it: not written.
	if err := s.MoveDue(ctx, wf, 2*time.Hour, review.MoveDue(waiting, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, want := due(), waiting[0].Queued.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("a stale move was written: due at %v, want %v", got, want)
	}
	if err := s.MoveDue(ctx, wf, time.Hour, nil); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("moving under a level since changed: %v", err)
	}

	if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveDue(ctx, wf, 2*time.Hour, []review.DueMove{{Read: waiting[0], Due: now}}); err != nil {
		t.Fatal(err)
	}
	if runs, _, err := s.Runs(ctx, review.RunFilter{}); err != nil || len(runs) != 1 || !runs[0].DueAt.Equal(waiting[0].Queued.Add(2*time.Hour)) {
		t.Fatalf("a decided run was moved: %+v, %v", runs, err)
	}
	stale := review.Reopen(now, review.DueBasis{Within: time.Hour})
	if err := s.Reopen(ctx, run, "bo@example.com", stale); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("reopening on a level since changed: %v", err)
	}
	now = now.Add(time.Minute)
	if err := d.Reopen(ctx, run, "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	if got, want := due(), now.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("reopened, due at %v, want %v", got, want)
	}
	if err := d.Reopen(ctx, run, "bo@example.com"); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("reopening a waiting run: %v", err)
	}
}
