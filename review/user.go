package review

import "time"

// Role is what a signed-in person (or an API token) may do. Each role can do
// everything the roles before it can.
type Role string

// Roles, least to most privileged.
const (
	RoleReviewer   Role = "reviewer"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

var roleRank = map[Role]int{RoleReviewer: 1, RoleSupervisor: 2, RoleAdmin: 3}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if _, ok := roleRank[Role(s)]; !ok {
		return "", Errorf(EINVALID, "unknown role %q (want reviewer, supervisor or admin)", s)
	}
	return Role(s), nil
}

// AtLeast reports whether r includes the powers of min.
func (r Role) AtLeast(min Role) bool { return roleRank[r] >= roleRank[min] && roleRank[r] > 0 }

// User is a person who signs in.
type User struct {
	ID        int64
	Email     string
	Name      string
	Role      Role
	Disabled  bool
	CreatedAt time.Time
	Token     bool // an API token acting, not a person signed in
}

// DisplayName is the name to show: the name, else the email.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Token is an API token's record; the token itself is shown once and only
// its hash is kept.
type Token struct {
	ID         int64
	Name       string
	Role       Role
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Session is a signed-in session with its user.
type Session struct {
	ID        string
	User      User
	CreatedAt time.Time
	LastSeen  time.Time
}

// A session ends after SessionIdle without a request, and in any case
// SessionLifetime after sign-in: a browser left signed in on a shared
// machine does not stay so for good.
const (
	SessionIdle     = 8 * time.Hour
	SessionLifetime = 7 * 24 * time.Hour
)

// Ended says why a session no longer signs its holder in at now, nil while
// it does: its user is disabled, or it was idle or lived too long.
func (se Session) Ended(now time.Time) error {
	switch {
	case se.User.Disabled:
		return Errorf(EUNAUTHORIZED, "This account is disabled.")
	case now.Sub(se.LastSeen) > SessionIdle || now.Sub(se.CreatedAt) > SessionLifetime:
		return Errorf(EUNAUTHORIZED, "Please sign in.")
	}
	return nil
}

// KeptSessionKeyPairs is how many session cookie key pairs are kept: the
// newest signs new cookies and the one before still opens the cookies it
// signed, so a rotation signs nobody out; the next retires it.
const KeptSessionKeyPairs = 2

// RotateSessionKeys puts a new pair (hash key, block key) before the kept
// keys and retires the pairs past KeptSessionKeyPairs.
func RotateSessionKeys(kept [][]byte, hash, block []byte) [][]byte {
	return append([][]byte{hash, block}, kept[:min(len(kept), 2*(KeptSessionKeyPairs-1))]...)
}
