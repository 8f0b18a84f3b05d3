package desk_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
)

// hashing is the desk's password hashing, noting each password it hashed.
type hashing struct {
	passwords.Bcrypt
	mu    sync.Mutex
	plain []string
}

func (h *hashing) Hash(password string) ([]byte, error) {
	h.mu.Lock()
	h.plain = append(h.plain, password)
	h.mu.Unlock()
	return h.Bcrypt.Hash(password)
}

// TestDeskHashesPasswords: every password kept is hashed by the desk, and
// the store keeps the hash it is given: the first admin's at setup, a new
// account's, and one an admin resets; each then matches its account. A
// desk with no way to hash keeps no account.
func TestDeskHashesPasswords(t *testing.T) { pgtest.Each(t, testDeskHashesPasswords) }

func testDeskHashesPasswords(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	h := &hashing{Bcrypt: passwords.New(true)}
	d := desk.New(s, nil, nil, nil)
	d.Passwords = h
	root, err := d.SetUp(ctx, "root@example.com", "Root", "the first admin's password")
	if err != nil {
		t.Fatal(err)
	}
	bo, err := d.CreateUser(ctx, root.Email, "bo@example.com", "Bo", review.RoleReviewer, "Bo's first password")
	if err != nil {
		t.Fatal(err)
	}
	reset := "Bo's password, reset"
	if err := d.UpdateUser(ctx, &root, bo.ID, review.UserChange{Password: &reset}, "reset password of user"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"the first admin's password", "Bo's first password", reset}; !slices.Equal(h.plain, want) {
		t.Fatalf("the desk hashed %q, want %q", h.plain, want)
	}
	for email, password := range map[string]string{root.Email: "the first admin's password", bo.Email: reset} {
		a, err := s.Account(ctx, email)
		if err != nil || !h.Matches(a.PasswordHash, password) {
			t.Fatalf("%s's account does not match the password the desk hashed: %v", email, err)
		}
	}
	if _, err := desk.New(s, nil, nil, nil).CreateUser(ctx, root.Email, "cy@example.com", "Cy", review.RoleReviewer, "Cy's first password"); err == nil {
		t.Fatal("a desk with no password hashing created an account")
	}
	if _, err := s.Account(ctx, "cy@example.com"); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("a desk with no password hashing kept an account: %v", err)
	}
}
