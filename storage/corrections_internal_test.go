package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

func TestFieldCorrectionsKept(t *testing.T) { pgtest.Each(t, testFieldCorrectionsKept) }

// testFieldCorrectionsKept: the dashboard's "Fields corrected most", kept
// with each decision, is what grouping the field outcomes says, after
// decisions, an undo and a reopen (each deleting a decision's outcomes).
func testFieldCorrectionsKept(t *testing.T) {
	s := openInternal(t, t.TempDir())
	ctx := context.Background()
	arriveRuns(t, s, 6)
	half := 0.5
	for i := range 6 {
		outcomes := map[string]review.Outcome{"a": {Edited: i%3 == 0, Confidence: &half}, "b": {Edited: i%2 == 0}, "c": {}}
		if err := s.Decide(ctx, fmt.Sprint("workflow_run_", i), 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, []byte(`{}`), outcomes, review.Outbound{}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		grouped := map[[2]string][2]int{}
		err := queryRows(ctx, s.r, `SELECT workflow_id, path, sum(edited), count(*) FROM field_outcomes GROUP BY workflow_id, path HAVING sum(edited) > 0`, nil, func(rows *sql.Rows) error {
			var wf, path string
			var edited, decided int
			err := rows.Scan(&wf, &path, &edited, &decided)
			grouped[[2]string{wf, path}] = [2]int{edited, decided}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.Dashboard(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		kept := map[[2]string][2]int{}
		for _, c := range d.Corrections {
			kept[[2]string{c.WorkflowID, c.Path}] = [2]int{int(c.Edited), int(c.Decided)}
			if c.WorkflowName != "W"+c.WorkflowID[len(c.WorkflowID)-1:] {
				t.Errorf("%s: %s is named %q", when, c.WorkflowID, c.WorkflowName)
			}
		}
		if !maps.Equal(kept, grouped) || len(kept) == 0 {
			t.Errorf("%s: the dashboard keeps %v, the field outcomes say %v", when, kept, grouped)
		}
	}
	check("after decisions")

	var at int64
	if err := s.r.QueryRowContext(ctx, `SELECT decided_at FROM runs WHERE id = 'workflow_run_0'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if err := s.UndoDecision(ctx, "workflow_run_0", "ana@example.com", fromMS(at)); err != nil {
		t.Fatal(err)
	}
	check("after an undo")
	if err := desk.New(s, nil, nil, nil).Reopen(ctx, "workflow_run_3", "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	check("after a reopen")
	var version int
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM runs WHERE id = 'workflow_run_3'`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "workflow_run_3", version, review.Decision{Approved: false, By: "bo@example.com", At: time.Now()}, []byte(`{}`),
		map[string]review.Outcome{"c": {Edited: true}}, review.Outbound{}); err != nil {
		t.Fatal(err)
	}
	check("after deciding again")
}

// arriveRuns queues n runs of one field each, workflow_run_0 to _n-1, in
// two workflows, through the desk as events arrive.
func arriveRuns(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%d","status":"NEEDS_REVIEW","workflow":{"id":"wf_%d","name":"W%d"},
			"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":0.5}}}]}`, i, i%2, i%2, i)
		body := demo.Event(fmt.Sprint("e", i), review.EventRunNeedsReview, json.RawMessage(p))
		ev, _ := review.DecodeEvent(body)
		if _, err := s.AppendEvent(ctx, ev, body); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.PendingEvents(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var outs []review.EventOutcome
	for _, e := range evs {
		ev, _ := review.DecodeEvent(e.Body)
		c, err := review.Interpret(ev)
		outs = append(outs, review.EventOutcome{Seq: e.Seq, Change: c, Err: err})
	}
	// Arrivals are the desk's to decide; storage only keeps them.
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, outs); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionWithoutFieldsTakenBack(t *testing.T) {
	pgtest.Each(t, testDecisionWithoutFieldsTakenBack)
}

// testDecisionWithoutFieldsTakenBack: a decision on a run with no field
// outcomes (a classification, a run whose fields were all removed) counts
// in the day's and the reviewer's sums, and an undo and a reopen take it
// back out of them.
func testDecisionWithoutFieldsTakenBack(t *testing.T) {
	s := openInternal(t, t.TempDir())
	ctx := context.Background()
	arriveRuns(t, s, 2)
	for i := range 2 {
		if err := s.Decide(ctx, fmt.Sprint("workflow_run_", i), 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, []byte(`{}`), nil, review.Outbound{}); err != nil {
			t.Fatal(err)
		}
	}
	sums := func() (runs, decided int) {
		t.Helper()
		if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(runs), 0) FROM decided_daily`).Scan(&runs); err != nil {
			t.Fatal(err)
		}
		if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(decided), 0) FROM reviewer_daily`).Scan(&decided); err != nil {
			t.Fatal(err)
		}
		return runs, decided
	}
	if runs, decided := sums(); runs != 2 || decided != 2 {
		t.Fatalf("after two decisions the sums count %d runs and %d decided by reviewers, want 2 and 2", runs, decided)
	}
	var at int64
	if err := s.r.QueryRowContext(ctx, `SELECT decided_at FROM runs WHERE id = 'workflow_run_0'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if err := s.UndoDecision(ctx, "workflow_run_0", "ana@example.com", fromMS(at)); err != nil {
		t.Fatal(err)
	}
	if err := desk.New(s, nil, nil, nil).Reopen(ctx, "workflow_run_1", "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	if runs, decided := sums(); runs != 0 || decided != 0 {
		t.Errorf("after an undo and a reopen the sums count %d runs and %d decided by reviewers, want none", runs, decided)
	}
}
