package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// queueRuns ingests n waiting runs, one second apart, oldest first.
func queueRuns(t *testing.T, s *storage.Store, n int) {
	t.Helper()
	for i := range n {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%03d","status":"NEEDS_REVIEW","workflow":{"id":"wf_%d","name":"W"},
			"files":[{"id":"file_%d","name":"doc %03d.pdf","type":"PDF"}],
			"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":0.%02d}}}]}`, i, i%2, i, i, i, 10+i%90)
		send(t, s, fmt.Sprint("e", i), review.EventRunNeedsReview, json.RawMessage(p))
		apply(t, s)
	}
}

// clock is a test's time: each reading a step later than the last. It is
// read from concurrent writes (PostgreSQL runs them at once).
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func clockStore(t *testing.T) (*storage.Store, *clock) {
	c := &clock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), step: time.Millisecond}
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

// TestNextUnderConcurrency: 50 reviewers ask for the next run of 20 at
// once; 20 get distinct runs, 30 are told the queue is empty.
func TestNextUnderConcurrency(t *testing.T) { pgtest.Each(t, testNextUnderConcurrency) }

func testNextUnderConcurrency(t *testing.T) {
	s, _ := clockStore(t)
	queueRuns(t, s, 20)
	fiftyAskForTwenty(t, s)
}

// fiftyAskForTwenty has 50 reviewers ask for the next of 20 waiting runs at
// once, spread over the stores (instances) given: 20 must get distinct
// runs, 30 be told the queue is empty.
func fiftyAskForTwenty(t *testing.T, stores ...*storage.Store) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]string{}
	empty := 0
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			who := fmt.Sprintf("r%02d@example.com", i)
			id, err := stores[i%len(stores)].Next(context.Background(), who, review.QueueFilter{}, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case review.ErrorCode(err) == review.ENOTFOUND:
				empty++
			case err != nil:
				t.Error(err)
			default:
				if prev, dup := got[id]; dup {
					t.Errorf("%s given to %s and %s", id, prev, who)
				}
				got[id] = who
			}
		})
	}
	wg.Wait()
	if len(got) != 20 || empty != 30 {
		t.Fatalf("%d claims, %d empty; want 20 and 30", len(got), empty)
	}
}

func TestClaims(t *testing.T) { pgtest.Each(t, testClaims) }

func testClaims(t *testing.T) {
	s, now := clockStore(t)
	ctx := context.Background()
	queueRuns(t, s, 2)
	const run = "workflow_run_000"
	if _, err := s.ClaimRun(ctx, run, "ana@example.com", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimRun(ctx, run, "bo@example.com", time.Minute); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("second claim: %v", err)
	}
	// Bo cannot edit what Ana holds.
	if _, err := s.SaveEdit(ctx, run, 0, "bo@example.com", review.Edit{OutputID: "dpr_0", Path: "a", Value: json.RawMessage(`"y"`)}, nil); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("edit by a non-holder: %v", err)
	}
	// Next skips held runs.
	if id, err := s.Next(ctx, "bo@example.com", review.QueueFilter{}, time.Minute); err != nil || id != "workflow_run_001" {
		t.Fatalf("next for bo: %s %v", id, err)
	}
	// The lease ends: Bo may take it.
	now.Advance(2 * time.Minute)
	if _, err := s.ClaimRun(ctx, run, "bo@example.com", time.Minute); err != nil {
		t.Fatalf("claim after the lease: %v", err)
	}
	if err := s.Release(ctx, run, "ana@example.com", false); err != nil {
		t.Fatal(err)
	}
	// Bo's claim on run 001 lapsed with the clock; run 000 is still his.
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Assignee: "bo@example.com"}); len(q) != 1 || q[0].ID != run {
		t.Fatalf("ana released bo's claim: %+v", q)
	}
	if err := s.Reassign(ctx, run, review.User{ID: 404, Email: "nobody@example.com"}, "sup@example.com", time.Minute); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("reassigned to somebody without an account: %v", err)
	}
	cy, err := s.CreateUser(ctx, "cy@example.com", "", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reassign(ctx, run, cy, "sup@example.com", time.Minute); err != nil {
		t.Fatal(err)
	}
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Assignee: "cy@example.com"}); len(q) != 1 || q[0].ClaimedBy != "cy@example.com" {
		t.Fatalf("reassigned: %+v", q)
	}
	if err := s.Release(ctx, run, "sup@example.com", true); err != nil {
		t.Fatal(err)
	}
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Assignee: "-"}); len(q) != 2 || q[0].ID != run {
		t.Fatalf("unheld after a forced release (and a lapsed lease): %+v", q)
	}
	changes, _ := s.ChangesSince(ctx, 0, 100)
	claims := 0
	for _, c := range changes {
		if c.Kind == review.FeedClaim {
			claims++
		}
	}
	// ana, bo's next, bo after the lease, (ana's release of what she does
	// not hold changes nothing), the reassignment, the forced release.
	if claims != 5 {
		t.Fatalf("claim changes in the feed: %d, want 5", claims)
	}
}

func TestQueueFiltersAndPaging(t *testing.T) { pgtest.Each(t, testQueueFiltersAndPaging) }

func testQueueFiltersAndPaging(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	queueRuns(t, s, 25)
	walk := func(f review.QueueFilter) []string {
		var ids []string
		f.Limit = 7
		for range 10 {
			page, next, err := s.Queue(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				ids = append(ids, r.ID)
			}
			if next == "" {
				return ids
			}
			f.After = next
		}
		t.Fatal("paging does not end")
		return nil
	}
	oldest := walk(review.QueueFilter{})
	if len(oldest) != 25 || oldest[0] != "workflow_run_000" || oldest[24] != "workflow_run_024" {
		t.Fatalf("oldest first: %v", oldest)
	}
	newest := walk(review.QueueFilter{Sort: "newest"})
	if newest[0] != "workflow_run_024" || len(newest) != 25 {
		t.Fatalf("newest first: %v", newest)
	}
	conf := walk(review.QueueFilter{Sort: "confidence"})
	if len(conf) != 25 || conf[0] != "workflow_run_000" || conf[1] != "workflow_run_001" {
		t.Fatalf("lowest confidence first: %v", conf)
	}
	if w := walk(review.QueueFilter{WorkflowID: "wf_1"}); len(w) != 12 {
		t.Fatalf("workflow filter: %d", len(w))
	}
	low := 0.15
	if w := walk(review.QueueFilter{MaxConfidence: &low}); len(w) != 5 {
		t.Fatalf("below 15%%: %v", w)
	}
	if w := walk(review.QueueFilter{Search: "doc 017"}); len(w) != 1 || w[0] != "workflow_run_017" {
		t.Fatalf("search by file name: %v", w)
	}
	if w := walk(review.QueueFilter{Search: "workflow_run_003"}); len(w) != 1 {
		t.Fatalf("search by id: %v", w)
	}
	if w := walk(review.QueueFilter{Search: "100%_"}); len(w) != 0 {
		t.Fatalf("LIKE wildcards are literal: %v", w)
	}
}

// TestQueueRunIDIsExact: one row's live update finds that run, even when
// another run's file name contains its id.
func TestQueueRunIDIsExact(t *testing.T) { pgtest.Each(t, testQueueRunIDIsExact) }

func testQueueRunIDIsExact(t *testing.T) {
	s, _ := clockStore(t)
	ctx := context.Background()
	for i, p := range []string{
		`{"object":"workflow_run","id":"workflow_run_b","status":"NEEDS_REVIEW","files":[{"id":"f1","name":"copy of workflow_run_a.pdf"}]}`,
		`{"object":"workflow_run","id":"workflow_run_a","status":"NEEDS_REVIEW"}`,
	} {
		send(t, s, fmt.Sprint("e", i), review.EventRunNeedsReview, json.RawMessage(p))
		apply(t, s)
	}
	q, _, err := s.Queue(ctx, review.QueueFilter{RunIDs: []string{"workflow_run_a"}, Limit: 1})
	if err != nil || len(q) != 1 || q[0].ID != "workflow_run_a" {
		t.Fatalf("queue row = %+v %v", q, err)
	}
}
