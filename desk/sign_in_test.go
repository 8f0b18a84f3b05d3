package desk_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// compared is the store's password check, noting every hash a password
// was compared against.
type compared struct {
	passwords.Bcrypt
	mu     sync.Mutex
	hashes [][]byte
}

func (c *compared) Matches(hash []byte, password string) bool {
	c.mu.Lock()
	c.hashes = append(c.hashes, hash)
	c.mu.Unlock()
	return c.Bcrypt.Matches(hash, password)
}

// took returns the hashes compared since it was last called.
func (c *compared) took() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hashes
	c.hashes = nil
	return h
}

// signInDesk opens a store and a desk hashing passwords at their real cost
// (or bcrypt's least, when fast), noting what it compares.
func signInDesk(t *testing.T, fast bool) (*desk.Desk, *storage.Store, *compared) {
	t.Helper()
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d := desk.New(s, nil, nil, nil)
	c := &compared{Bcrypt: passwords.New(fast)}
	d.Passwords = c
	return d, s, c
}

// TestSignIn: the desk decides a sign-in from the account the store
// reads: the right password starts a session (ending the one the browser
// held), an unknown email is answered as a wrong password is, after one
// comparison of the same kind, and a disabled account says so only to
// whoever knows its password.
func TestSignIn(t *testing.T) { pgtest.Each(t, testSignIn) }

func testSignIn(t *testing.T) {
	d, s, c := signInDesk(t, true)
	ctx := context.Background()
	ana, err := s.CreateUser(ctx, "ana@example.com", "Ana", review.RoleSupervisor, passwordtest.Hash(t, "correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	bo, err := s.CreateUser(ctx, "bo@example.com", "Bo", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	off := true
	if err := s.UpdateUser(ctx, bo.ID, nil, &off, nil); err != nil {
		t.Fatal(err)
	}

	u, first, err := d.SignIn(ctx, " Ana@Example.com ", "correct horse battery", "")
	if err != nil || u.ID != ana.ID || u.Role != review.RoleSupervisor {
		t.Fatalf("the right password: %+v %v", u, err)
	}
	if se, err := s.Session(ctx, first); err != nil || se.User.ID != ana.ID {
		t.Fatalf("the new session: %+v %v", se, err)
	}
	if _, next, err := d.SignIn(ctx, "ana@example.com", "correct horse battery", first); err != nil || next == first {
		t.Fatalf("signing in again: %q %v", next, err)
	}
	if _, err := s.Session(ctx, first); err == nil {
		t.Fatal("the previous session outlived a sign-in")
	}
	c.took()

	wrong := func(email, password, code, msg string) [][]byte {
		t.Helper()
		if u, id, err := d.SignIn(ctx, email, password, ""); review.ErrorCode(err) != code || review.ErrorMessage(err) != msg || id != "" || u.ID != 0 {
			t.Fatalf("%s with %q: %+v %q %v, want %s %q", email, password, u, id, err, code, msg)
		}
		return c.took()
	}
	anaHash, _ := s.Account(ctx, "ana@example.com")
	if h := wrong("ana@example.com", "a wrong password", review.EUNAUTHORIZED, "Wrong email or password."); len(h) != 1 || string(h[0]) != string(anaHash.PasswordHash) {
		t.Fatalf("a wrong password was compared against %d hashes, want Ana's", len(h))
	}
	for range 2 {
		h := wrong("nobody@example.com", "correct horse battery", review.EUNAUTHORIZED, "Wrong email or password.")
		if len(h) != 1 || cost(t, h[0]) != cost(t, anaHash.PasswordHash) {
			t.Fatalf("an unknown email compared %d hashes, want one of an account's cost", len(h))
		}
	}
	wrong("bo@example.com", "a wrong password", review.EUNAUTHORIZED, "Wrong email or password.")
	wrong("bo@example.com", "a long enough password", review.EFORBIDDEN, "This account is disabled.")

	if _, _, err := desk.New(s, nil, nil, nil).SignIn(ctx, "ana@example.com", "correct horse battery", ""); err == nil {
		t.Fatal("a desk with no password check signed someone in")
	}
}

// TestUnknownEmailCostsTheSame: at the real cost too, an unknown email's
// password is compared against a hash of every account's cost, so timing
// tells nobody which emails have accounts.
func TestUnknownEmailCostsTheSame(t *testing.T) {
	d, s, c := signInDesk(t, false)
	ctx := context.Background()
	if _, err := d.CreateUser(ctx, "root@example.com", "a@example.com", "", review.RoleReviewer, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account(ctx, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.SignIn(ctx, "b@example.com", "a long enough password", ""); review.ErrorCode(err) != review.EUNAUTHORIZED {
		t.Fatalf("an unknown email: %v", err)
	}
	h := c.took()
	if len(h) != 1 || cost(t, h[0]) != passwords.Cost || cost(t, a.PasswordHash) != passwords.Cost {
		t.Fatalf("an unknown email compared %d hashes; the account's cost is %d, want %d", len(h), cost(t, a.PasswordHash), passwords.Cost)
	}
}

func cost(t *testing.T, hash []byte) int {
	t.Helper()
	c, err := bcrypt.Cost(hash)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUserChangeEndsSessions: an admin's change of role, or enabling an
// account, leaves its sessions be; a new password ends them, and so does disabling
// it, in the same write.
func TestUserChangeEndsSessions(t *testing.T) { pgtest.Each(t, testUserChangeEndsSessions) }

func testUserChangeEndsSessions(t *testing.T) {
	d, s, _ := signInDesk(t, true)
	ctx := context.Background()
	bo, err := s.CreateUser(ctx, "bo@example.com", "Bo", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	root := &review.User{ID: 99, Email: "root@example.com", Role: review.RoleAdmin}
	role, password, off, on := review.RoleSupervisor, "another long password", true, false
	for _, tt := range []struct {
		action string
		c      review.UserChange
		ends   bool
	}{
		{"set role supervisor for user", review.UserChange{Role: &role}, false},
		{"reset password of user", review.UserChange{Password: &password}, true},
		{"disable user", review.UserChange{Disabled: &off}, true},
		{"enable user", review.UserChange{Disabled: &on}, false},
	} {
		id, err := d.StartSession(ctx, bo.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.UpdateUser(ctx, root, bo.ID, tt.c, tt.action); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, id); (err != nil) != tt.ends {
			t.Fatalf("%s: the session after it: %v, want ended %v", tt.action, err, tt.ends)
		}
	}
}
