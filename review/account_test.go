package review

import (
	"strings"
	"testing"
	"time"
)

// TestCheckPassword: the one password rule counts characters as a person
// does (five accented letters are five, not ten) and refuses what bcrypt
// would cut short.
func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		name, pw string
		ok       bool
	}{
		{"ten letters", "abcdefghij", true},
		{"nine letters", "abcdefghi", false},
		{"five accented letters of two bytes each", "ééééé", false},
		{"ten accented letters", "éééééééééé", true},
		{"72 bytes", strings.Repeat("a", 72), true},
		{"73 bytes", strings.Repeat("a", 73), false},
		{"40 letters of two bytes", strings.Repeat("é", 40), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw)
			if (err == nil) != tt.ok || err != nil && ErrorCode(err) != EINVALID {
				t.Fatalf("CheckPassword(%q) = %v, want ok %v", tt.pw, err, tt.ok)
			}
		})
	}
}

// TestNewUser: an account as written is checked whole (address, role,
// password) and kept trimmed.
func TestNewUser(t *testing.T) {
	u, err := NewUser(" ana@example.com ", " Ana ", RoleReviewer, "long enough pw")
	if err != nil || u.Email != "ana@example.com" || u.Name != "Ana" {
		t.Fatalf("NewUser = %+v, %v", u, err)
	}
	for _, bad := range []struct{ email, role, pw string }{
		{"not an email", "reviewer", "long enough pw"},
		{"Ana <b@example.com>", "reviewer", "long enough pw"},
		{"b@example.com", "boss", "long enough pw"},
		{"b@example.com", "reviewer", "short"},
	} {
		if _, err := NewUser(bad.email, "", Role(bad.role), bad.pw); ErrorCode(err) != EINVALID {
			t.Errorf("NewUser(%+v): %v", bad, err)
		}
	}
}

// TestUserChange: a reset password follows the same rule as a new one,
// and an admin cannot lock themselves out.
func TestUserChange(t *testing.T) {
	admin := &User{ID: 1, Role: RoleAdmin}
	short, off, demoted := "ééééé", true, RoleReviewer
	for _, tt := range []struct {
		name string
		id   int64
		c    UserChange
		ok   bool
	}{
		{"short reset", 2, UserChange{Password: &short}, false},
		{"disable another", 2, UserChange{Disabled: &off}, true},
		{"disable oneself", 1, UserChange{Disabled: &off}, false},
		{"demote oneself", 1, UserChange{Role: &demoted}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Check(admin, tt.id); (err == nil) != tt.ok {
				t.Fatalf("Check = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestSignIn: an unknown email and a wrong password get the same answer;
// a disabled account is told so only with its right password.
func TestSignIn(t *testing.T) {
	ana := Account{User: User{ID: 7, Email: "ana@example.com"}}
	off := Account{User: User{ID: 8, Email: "bo@example.com", Disabled: true}}
	for _, tt := range []struct {
		name           string
		a              Account
		known, matches bool
		code           string
		msg            string
	}{
		{"right password", ana, true, true, "", ""},
		{"wrong password", ana, true, false, EUNAUTHORIZED, "Wrong email or password."},
		{"unknown email", Account{}, false, false, EUNAUTHORIZED, "Wrong email or password."},
		{"disabled, right password", off, true, true, EFORBIDDEN, "This account is disabled."},
		{"disabled, wrong password", off, true, false, EUNAUTHORIZED, "Wrong email or password."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := SignIn(tt.a, tt.known, tt.matches)
			switch {
			case tt.code == "" && (err != nil || u.ID != tt.a.ID):
				t.Fatalf("signed in as %+v, %v", u, err)
			case tt.code != "" && (ErrorCode(err) != tt.code || ErrorMessage(err) != tt.msg):
				t.Fatalf("got %v, want %s %q", err, tt.code, tt.msg)
			}
		})
	}
}

// TestSessionEnded: a session signs its holder in until it has been idle
// for SessionIdle, or lived SessionLifetime however busy, or its user is
// disabled.
func TestSessionEnded(t *testing.T) {
	signedIn := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	se := Session{ID: "s", User: User{ID: 1}, CreatedAt: signedIn, LastSeen: signedIn}
	busy := func(at time.Time) Session { s := se; s.LastSeen = at; return s }
	off := se
	off.User.Disabled = true
	for _, tt := range []struct {
		name string
		se   Session
		now  time.Time
		msg  string
	}{
		{"just signed in", se, signedIn, ""},
		{"idle to the limit", se, signedIn.Add(SessionIdle), ""},
		{"idle past it", se, signedIn.Add(SessionIdle + time.Second), "Please sign in."},
		{"busy to the lifetime", busy(signedIn.Add(SessionLifetime - time.Hour)), signedIn.Add(SessionLifetime), ""},
		{"busy past the lifetime", busy(signedIn.Add(SessionLifetime)), signedIn.Add(SessionLifetime + time.Second), "Please sign in."},
		{"disabled", off, signedIn, "This account is disabled."},
	} {
		err := tt.se.Ended(tt.now)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%s: ended: %v", tt.name, err)
		case tt.msg != "" && (ErrorCode(err) != EUNAUTHORIZED || ErrorMessage(err) != tt.msg):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.msg)
		}
	}
}
