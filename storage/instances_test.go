package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// instances opens n stores on one fresh PostgreSQL database at once, as n
// instances started together do: one migrates, the others wait for it and
// then work. These tests need PostgreSQL whichever backend the others use.
func instances(t *testing.T, n int) []*storage.Store {
	t.Helper()
	s, _ := instancesOn(t, n)
	return s
}

// instancesOn is instances, with the database's URL.
func instancesOn(t *testing.T, n int) ([]*storage.Store, string) {
	t.Helper()
	db := pgtest.URL(t)
	stores := make([]*storage.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = storage.Open(context.Background(), t.TempDir(), storage.Options{DB: db})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d started beside the others: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	return stores, db
}

// TestInstancesStartTogether: three instances migrating one database at
// once all start, and each sees what another writes.
func TestInstancesStartTogether(t *testing.T) {
	t.Parallel()
	s := instances(t, 3)
	ctx := context.Background()
	if _, err := s[0].CreateUser(ctx, "Ana@Example.com", "Ana", review.RoleAdmin, passwordtest.Hash(t, "a long enough password")); err != nil {
		t.Fatal(err)
	}
	if _, err := s[1].CreateUser(ctx, "ana@example.com", "Ana again", review.RoleReviewer, passwordtest.Hash(t, "a long enough password")); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("the same email in other case on another instance: %v, want a conflict", err)
	}
	u, err := s[2].Account(ctx, "ANA@example.com")
	if err != nil || u.ID == 0 || u.Name != "Ana" || !passwords.New(true).Matches(u.PasswordHash, "a long enough password") {
		t.Fatalf("signing in on a third instance: %+v %v", u, err)
	}
}

// TestNextAcrossInstances: 50 reviewers on three instances ask for the next
// run of 20 at once; 20 get distinct runs, 30 are told the queue is empty.
func TestNextAcrossInstances(t *testing.T) {
	t.Parallel()
	s := instances(t, 3)
	queueRuns(t, s[0], 20)
	fiftyAskForTwenty(t, s...)
}

// TestFeedHasNoGapsAcrossInstances: while 16 writers on two instances claim
// and release runs, a reader on a third follows the feed by sequence. Every
// entry the feed ends with was seen by the reader: none became visible
// behind one the reader had already passed.
func TestFeedHasNoGapsAcrossInstances(t *testing.T) {
	t.Parallel()
	s := instances(t, 3)
	ctx := context.Background()
	queueRuns(t, s[0], 16)
	seen := map[int64]bool{}
	var end atomic.Int64 // set when the writers are done: the reader stops there
	reader := make(chan error, 1)
	go func() {
		var last int64
		for {
			cs, err := s[2].ChangesSince(ctx, last, 1000)
			if err != nil {
				reader <- err
				return
			}
			for _, c := range cs {
				seen[c.Seq] = true
				last = c.Seq
			}
			if e := end.Load(); e > 0 && last >= e {
				reader <- nil
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			run, who := fmt.Sprintf("workflow_run_%03d", w), fmt.Sprintf("w%d@example.com", w)
			for range 40 {
				if _, err := s[w%2].ClaimRun(ctx, run, who, time.Minute); err != nil {
					t.Error(err)
					return
				}
				if err := s[w%2].Release(ctx, run, who, false); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	last, err := s[2].LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end.Store(last)
	select {
	case err := <-reader:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a ceiling
		t.Fatal("the reader did not reach the end of the feed")
	}
	all, err := s[0].ChangesSince(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var missed []int64
	for _, c := range all {
		if !seen[c.Seq] {
			missed = append(missed, c.Seq)
		}
	}
	if len(all) < 16*40*2 || len(missed) > 0 {
		t.Fatalf("the feed has %d entries; the reader missed %d of them: %v", len(all), len(missed), missed[:min(len(missed), 20)])
	}
}

// TestCopyToPostgres: a SQLite installation with runs, a decision, users,
// deliveries and a document is copied into an empty PostgreSQL database;
// every table has the same count, the copy serves what the original
// served, new rows get new ids, and a second copy into it is refused.
func TestCopyToPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src, err := storage.Open(ctx, dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	queueRuns(t, src, 5)
	if _, err := src.CreateUser(ctx, "ana@example.com", "Ana", review.RoleAdmin, passwordtest.Hash(t, "a long enough password")); err != nil {
		t.Fatal(err)
	}
	erp, err := src.AddDestination(ctx, review.Destination{URL: "https://erp.example/hook", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := src.Destinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Decide(ctx, "workflow_run_001", 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, []byte(`{}`),
		map[string]review.Outcome{"a": {Edited: true}}, review.Outbound{EventID: "evt_rvw_1", EventType: review.EventRunCompleted, Body: []byte(`{}`), To: []int64{erp}, Seen: ds}); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(doc, []byte("%PDF-1.4 a document"), 0o600)
	f, _ := os.Open(doc)
	hash, err := src.PutFile(ctx, "file_1", f, 1<<20)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}

	dst, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	c, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rows["runs"] != 5 || c.Rows["users"] != 1 || c.Rows["outbox"] != 1 || c.Rows["audit"] != 1 || c.Blobs != 1 {
		t.Fatalf("copied %+v", c)
	}
	if n, err := dst.QueueDepth(ctx); err != nil || n != 4 {
		t.Fatalf("the queue on PostgreSQL holds %d runs (%v), want 4", n, err)
	}
	run, err := dst.Run(ctx, "workflow_run_001")
	if err != nil || run.Status != review.StatusProcessed {
		t.Fatalf("the decided run on PostgreSQL: %v %v", run, err)
	}
	if a, err := dst.Account(ctx, "ana@example.com"); err != nil || !passwords.New(true).Matches(a.PasswordHash, "a long enough password") {
		t.Fatalf("Ana's account on PostgreSQL: %v", err)
	}
	p, err := dst.BlobPath(hash) // a fresh data directory: read from the database
	if b, _ := os.ReadFile(p); err != nil || string(b) != "%PDF-1.4 a document" {
		t.Fatalf("the document on PostgreSQL: %q %v", b, err)
	}
	if _, err := dst.CreateUser(ctx, "bo@example.com", "Bo", review.RoleReviewer, passwordtest.Hash(t, "a long enough password")); err != nil {
		t.Fatalf("a new user after the copy (ids continue past the copied ones): %v", err)
	}
	if _, err := src.CopyTo(ctx, dst); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("copying into a database that is not empty: %v", err)
	}
}

// TestListenerReconnects: an instance whose LISTEN connection is cut
// reconnects, and wakes its readers then, so a change another instance
// commits meanwhile is not missed (they read the feed by sequence).
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	s, url := instancesOn(t, 2)
	ctx := context.Background()
	queueRuns(t, s[1], 1)
	wake := s[0].Changed()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Both instances' listeners, once each is listening.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN reviewer'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("found %d listeners, want 2", n)
		}
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN reviewer'`); err != nil {
		t.Fatal(err)
	}
	before, _ := s[0].LastChange(ctx)
	if _, err := s[1].ClaimRun(ctx, "workflow_run_000", "ana@example.com", time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(time.Minute): // a ceiling
		t.Fatal("the instance whose listener was cut was never woken")
	}
	cs, err := s[0].ChangesSince(ctx, before, 10)
	if err != nil || len(cs) != 1 || cs[0].Kind != review.FeedClaim {
		t.Fatalf("after the reconnect the feed has %+v (%v), want the claim", cs, err)
	}
}

// TestDestinationAddedAfterDeliveries: on PostgreSQL, where instances
// write at once, a destination another instance adds does not commit
// between a delivering write's check of the destinations (against those
// desk read) and its commit: the adding waits for that commit, so the
// event is neither missed by it nor written against a list gone stale.
func TestDestinationAddedAfterDeliveries(t *testing.T) {
	t.Parallel()
	s, url := instancesOn(t, 2)
	ctx := context.Background()
	queueRuns(t, s[0], 1)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	added := make(chan error, 1)
	err = s[0].Atomically(ctx, func(ctx context.Context) error {
		out := review.Outbound{EventID: "evt_rvw_1", EventType: review.EventRunCompleted, Body: []byte(`{}`)} // no destinations yet: none chosen
		if err := s[0].Decide(ctx, "workflow_run_000", 0, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, []byte(`{}`), nil, out); err != nil {
			return err
		}
		go func() {
			_, err := s[1].AddDestination(context.Background(), review.Destination{URL: "https://erp.example/hook", Secret: "0123456789abcdef"})
			added <- err
		}()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			var waiting int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
				WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted`).Scan(&waiting); err != nil {
				return err
			}
			if waiting == 1 {
				return nil
			}
			select {
			case err := <-added:
				return fmt.Errorf("the destination was added (%v) before the decision's write committed", err)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the adding of a destination never waited for the decision's write")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if ds, err := s[0].Destinations(ctx); err != nil || len(ds) != 1 {
		t.Fatalf("destinations %v (%v), want the one added once the decision committed", ds, err)
	}
}
