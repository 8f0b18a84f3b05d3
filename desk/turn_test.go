package desk_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// TestTurnPage: a page's turn is the document's state: turns made at once
// both count, a turn goes either way, each is in the run's audit trail
// and on the change feed, as the document's arrival is; whoever may not
// edit the run may not turn its pages, and is told why.
func TestTurnPage(t *testing.T) { pgtest.Each(t, testTurnPage) }

func testTurnPage(t *testing.T) {
	_, s := open(t)
	d := desk.New(s, measurer{}, rules.New(nil), time.Now)
	ctx := context.Background()
	blob := demoDocument(t, s)
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if _, err := d.TurnPage(ctx, run, ana, blob, 1, true); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("a page of a document not measured yet: %v", err)
	}
	if _, err := d.Measure(ctx, blob); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := d.TurnPage(ctx, run, ana, blob, 1, true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if turns, err := s.PageTurns(ctx, blob); err != nil || turns[1] != 180 {
		t.Fatalf("two turns at once: %v %v, want page 1 at 180°", turns, err)
	}
	if turn, err := d.TurnPage(ctx, run, ana, blob, 1, false); err != nil || turn != 90 {
		t.Fatalf("a turn back: %d %v", turn, err)
	}
	if _, err := d.TurnPage(ctx, run, ana, blob, 2, true); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("a page the document does not have: %v", err)
	}
	audit, err := s.Audit(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	turned := 0
	for _, e := range audit {
		if e.Action == review.ActionTurnPage && e.Actor == ana.Email {
			turned++
		}
	}
	if turned != 3 {
		t.Fatalf("%d turns in the audit trail, want 3: %+v", turned, audit)
	}
	feed, err := s.ChangesSince(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range feed {
		if c.RunID == run {
			kinds[c.Kind]++
		}
	}
	if kinds[review.FeedDocument] != 1 || kinds[review.FeedPage] != 3 {
		t.Fatalf("the run's feed: %v, want the document's arrival and three turns", kinds)
	}
	if _, err := d.Claim(ctx, run, "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = d.TurnPage(ctx, run, ana, blob, 1, true)
	if review.ErrorCode(err) != review.EFORBIDDEN || !strings.Contains(review.ErrorMessage(err), "bo@example.com is working on this run") {
		t.Fatalf("a reader turning a page someone else holds: %v", err)
	}
	if turns, _ := s.PageTurns(ctx, blob); turns[1] != 90 {
		t.Fatalf("a refused turn turned the page: %v", turns)
	}
}

// demoDocument stores a document as the demo run's first file, and
// returns its blob.
func demoDocument(t *testing.T, s *storage.Store) string {
	t.Helper()
	ctx := context.Background()
	r, err := s.Run(ctx, run)
	if err != nil || len(r.Files) == 0 {
		t.Fatalf("the demo run's files: %v", err)
	}
	blob, err := s.PutFile(ctx, r.Files[0].ID, strings.NewReader("a document"), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// claimedMidTurn is a store where someone else claims the run between the
// desk's check of a turn and its write, once.
type claimedMidTurn struct {
	*storage.Store
	once sync.Once
	by   string
}

func (s *claimedMidTurn) TurnPage(ctx context.Context, runID, blob string, page, quarters int, actor string) (int, error) {
	var err error
	s.once.Do(func() { _, err = s.ClaimRun(ctx, runID, s.by, review.ClaimLease) })
	if err != nil {
		return 0, err
	}
	return s.Store.TurnPage(ctx, runID, blob, page, quarters, actor)
}

// TestTurnRefusedWhenClaimedMeanwhile: the permission to turn a page holds
// at the write: a run someone else claimed after the check is not turned,
// and the turner is told who holds it.
func TestTurnRefusedWhenClaimedMeanwhile(t *testing.T) {
	pgtest.Each(t, testTurnRefusedWhenClaimedMeanwhile)
}

func testTurnRefusedWhenClaimedMeanwhile(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	blob := demoDocument(t, s)
	d := desk.New(&claimedMidTurn{Store: s, by: "cy@example.com"}, measurer{}, rules.New(nil), time.Now)
	if _, err := d.Measure(ctx, blob); err != nil {
		t.Fatal(err)
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if _, err := d.TurnPage(ctx, run, ana, blob, 1, true); review.ErrorCode(err) != review.EFORBIDDEN || !strings.Contains(err.Error(), "cy@example.com") {
		t.Fatalf("a turn of a run claimed meanwhile: %v", err)
	}
	if turns, err := s.PageTurns(ctx, blob); err != nil || turns[1] != 0 {
		t.Fatalf("turns %v, %v: want none", turns, err)
	}
}
