package desk_test

import (
	"context"
	"errors"
	"strings"
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

// TestPostponePastDue: a run is postponed past its due time only by a
// supervisor who says so: a reviewer is refused with the due time and the
// way on (a supervisor), a supervisor not confirming is asked to, and
// nothing is saved by either; up to the due time anyone may postpone it,
// and a run with no due time is postponed as before. The run's review
// says its due time, for the page's dialog.
func TestPostponePastDue(t *testing.T) { pgtest.Each(t, testPostponePastDue) }

func testPostponePastDue(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	_, s := openAt(t, func() time.Time { return now })
	d := desk.New(s, nil, nil, func() time.Time { return now })
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	held := func() review.Hold {
		t.Helper()
		rv, err := s.Review(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		return rv.Hold
	}
	if rv, _ := s.Review(ctx, run); !rv.Due.IsZero() {
		t.Fatalf("a run with no due time says it is due at %v", rv.Due)
	}
	if err := d.Postpone(ctx, run, ana, "waiting for the credit note", now.Add(72*time.Hour), false); err != nil {
		t.Fatalf("postponing a run with no due time: %v", err)
	}
	if err := d.Resume(ctx, run, ana); err != nil {
		t.Fatal(err)
	}

	waiting, err := s.WaitingRuns(ctx, "workflow_demo_legacy", "", 10)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting %+v, %v", waiting, err)
	}
	// Due two hours from now.
	if err := d.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_legacy", now.Sub(waiting[0].Queued)+2*time.Hour); err != nil {
		t.Fatal(err)
	}
	runs, _, err := s.Queue(ctx, review.QueueFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("queue %+v, %v", runs, err)
	}
	due := runs[0].DueAt
	if rv, _ := s.Review(ctx, run); !rv.Due.Equal(due) {
		t.Fatalf("the review says due at %v, the queue %v", rv.Due, due)
	}
	past := due.Add(time.Minute)
	err = d.Postpone(ctx, run, ana, "waiting for the credit note", past, true)
	if review.ErrorCode(err) != review.EFORBIDDEN || !strings.Contains(err.Error(), due.Format("2 Jan 2006 15:04 UTC")) || !strings.Contains(err.Error(), "supervisor") {
		t.Fatalf("a reviewer postponing past the due time: %v", err)
	}
	if h := held(); h.Kind != "" {
		t.Fatalf("the refused postponement was saved: %+v", h)
	}
	err = d.Postpone(ctx, run, sup, "the vendor resends it tomorrow", past, false)
	if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "late") {
		t.Fatalf("a supervisor postponing past the due time unconfirmed: %v", err)
	}
	if h := held(); h.Kind != "" {
		t.Fatalf("the unconfirmed postponement was saved: %+v", h)
	}
	if err := d.Postpone(ctx, run, sup, "the vendor resends it tomorrow", past, true); err != nil {
		t.Fatalf("a supervisor postponing past the due time, confirmed: %v", err)
	}
	if h := held(); h.Kind != review.HoldPostponed || !h.Until.Equal(past) {
		t.Fatalf("the supervisor's postponement: %+v", h)
	}
	if err := d.Resume(ctx, run, sup); err != nil {
		t.Fatal(err)
	}
	if err := d.Postpone(ctx, run, ana, "waiting for the credit note", due, false); err != nil {
		t.Fatalf("a reviewer postponing until the due time: %v", err)
	}
}
