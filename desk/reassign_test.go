package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// disablingStore disables an account between the desk's read of it and
// the write that hands it a run: another admin's change landing in between.
type disablingStore struct {
	*storage.Store
	id int64
}

func (s disablingStore) Reassign(ctx context.Context, runID string, to review.User, actor string, lease time.Duration) error {
	off := true
	if err := s.UpdateUser(ctx, s.id, nil, &off, nil); err != nil {
		return err
	}
	return s.Store.Reassign(ctx, runID, to, actor, lease)
}

// TestReassign: the desk decides who may be given a run. A supervisor
// hands it to a person with an enabled account, named by their email in
// any case (the claim is the account's own email, so the person holds it);
// nobody, a disabled account, a reviewer's request and a decided run are
// refused with a sentence. An account disabled after the desk read it and
// before the write is refused too: the store hands the run over only while
// the account the desk read is still enabled.
func TestReassign(t *testing.T) { pgtest.Each(t, testReassign) }

func testReassign(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	bo := createUser(t, s, "bo@example.com", review.RoleReviewer)
	cy := createUser(t, s, "cy@example.com", review.RoleReviewer)
	off := true
	if err := s.UpdateUser(ctx, cy.ID, nil, &off, nil); err != nil {
		t.Fatal(err)
	}
	holder := func() string {
		t.Helper()
		rv, err := s.Review(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		return rv.Claim.By
	}
	for _, tt := range []struct {
		name, to string
		by       *review.User
		code     string
	}{
		{"nobody", "nobody@example.com", sup, review.EINVALID},
		{"a disabled account", "cy@example.com", sup, review.EINVALID},
		{"a reviewer's request", "bo@example.com", &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, review.EFORBIDDEN},
	} {
		if err := d.Release(ctx, run, tt.by, false, tt.to); review.ErrorCode(err) != tt.code {
			t.Fatalf("%s: %v, want %s", tt.name, err, tt.code)
		}
		if h := holder(); h != "" {
			t.Fatalf("%s: the run is held by %q", tt.name, h)
		}
	}
	if err := d.Release(ctx, run, sup, false, "BO@Example.com"); err != nil {
		t.Fatal(err)
	}
	if h := holder(); h != bo.Email {
		t.Fatalf("handed to BO@Example.com, the run is held by %q, want %q", h, bo.Email)
	}
	if _, err := d.Claim(ctx, run, bo.Email); err != nil {
		t.Fatalf("bo renewing the claim he was given: %v", err)
	}

	racing := desk.New(disablingStore{Store: s, id: cy.ID}, nil, nil, nil)
	if err := s.UpdateUser(ctx, cy.ID, nil, new(bool), nil); err != nil {
		t.Fatal(err)
	}
	err := racing.Release(ctx, run, sup, false, cy.Email)
	if review.ErrorCode(err) != review.EINVALID || !strings.Contains(review.ErrorMessage(err), cy.Email) {
		t.Fatalf("an account disabled between the read and the write: %v", err)
	}
	if h := holder(); h != bo.Email {
		t.Fatalf("an account disabled between the read and the write was given the run: held by %q", h)
	}

	if err := d.Decide(ctx, run, &bo, desk.Verdict{Version: 0, Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.Release(ctx, run, sup, false, bo.Email); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("handing over a decided run: %v", err)
	}
}
