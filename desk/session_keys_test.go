package desk_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestSessionKeys: the desk makes the cookie keys on first use, one pair
// however many ask at once; a rotation puts a new pair first, keeps the
// one before (cookies it signed still open) and retires the oldest, and
// is in the admin's log without the keys.
func TestSessionKeys(t *testing.T) { pgtest.Each(t, testSessionKeys) }

func testSessionKeys(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	const asking = 4
	got := make([][][]byte, asking)
	var wg sync.WaitGroup
	for i := range asking {
		// Each as its own instance would: a desk of its own.
		d := desk.New(s, nil, nil, nil)
		wg.Go(func() {
			var err error
			if got[i], err = d.SessionKeys(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	first := got[0]
	if len(first) != 2 || len(first[0]) != 64 || len(first[1]) != 32 {
		t.Fatalf("the first keys: %d keys", len(first))
	}
	for i, k := range got {
		if !same(k, first) {
			t.Fatalf("first use %d got other keys than first use 0", i)
		}
	}
	if again, err := d.SessionKeys(ctx); err != nil || !same(again, first) {
		t.Fatalf("the keys read again: %v", err)
	}
	if log, _ := s.AdminLog(ctx, 10); len(log) != 0 {
		t.Fatalf("making the first keys was logged: %+v", log)
	}

	if err := d.RotateSessionKeys(ctx, "cli"); err != nil {
		t.Fatal(err)
	}
	once, err := d.SessionKeys(ctx)
	if err != nil || len(once) != 2*review.KeptSessionKeyPairs || same(once[:2], first) || !same(once[2:], first) {
		t.Fatalf("after a rotation: %d keys, %v; want a new pair before the first", len(once), err)
	}
	if err := d.RotateSessionKeys(ctx, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	twice, _ := d.SessionKeys(ctx)
	if len(twice) != 2*review.KeptSessionKeyPairs || !same(twice[2:], once[:2]) {
		t.Fatalf("after two rotations: %d keys; want the second pair kept and the first retired", len(twice))
	}
	log, err := s.AdminLog(ctx, 10)
	if err != nil || len(log) != 2 || log[1].Actor != "cli" || log[0].Actor != "ana@example.com" || log[0].Action != "session keys rotated" {
		t.Fatalf("the admin's log: %+v %v", log, err)
	}
	for _, e := range log {
		for _, k := range append(twice, first...) {
			if bytes.Contains([]byte(e.Target+e.Action), k) {
				t.Fatal("a key in the admin's log")
			}
		}
	}
}

func same(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
