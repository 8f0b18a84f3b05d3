package review

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the fewest characters a password has: short ones
// fall to guessing even behind a slow hash.
const MinPasswordLength = 10

// MaxPasswordBytes is the most bytes a password has: bcrypt reads only the
// first 72, so a longer one would be accepted whatever followed them.
const MaxPasswordBytes = 72

// MinSecretLength is the fewest characters of a destination's signing
// secret: the receiver's check is only as strong as the secret.
const MinSecretLength = 16

// CheckPassword says whether a password may be kept: the one password
// rule, for new accounts, the first admin and resets alike. It counts
// characters as a person does, not bytes.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return Errorf(EINVALID, "The password must be at least %d characters.", MinPasswordLength)
	}
	if len(password) > MaxPasswordBytes {
		return Errorf(EINVALID, "The password must be at most %d bytes (letters with accents and other scripts take two or more).", MaxPasswordBytes)
	}
	return nil
}

// NewUser checks an account as an admin, the setup page or the command
// line writes it, and returns it as it is kept: the email as an address,
// the name trimmed.
func NewUser(email, name string, role Role, password string) (User, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return User{}, Errorf(EINVALID, "%q is not an email address", email)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	return User{Email: addr.Address, Name: strings.TrimSpace(name), Role: role}, nil
}

// UserChange is what an admin changes of an account; each part when set.
type UserChange struct {
	Role     *Role
	Disabled *bool
	Password *string
}

// Check says whether by may make the change to the account id: a valid
// role, a password by the password rule, and never an admin locking
// themselves out (another admin does that).
func (c UserChange) Check(by *User, id int64) error {
	if c.Role != nil {
		if _, err := ParseRole(string(*c.Role)); err != nil {
			return err
		}
	}
	if c.Password != nil {
		if err := CheckPassword(*c.Password); err != nil {
			return err
		}
	}
	if by.ID == id && (c.Disabled != nil && *c.Disabled || c.Role != nil && *c.Role != RoleAdmin) {
		return Errorf(EINVALID, "You cannot disable yourself or give up your own admin role: ask another admin.")
	}
	return nil
}

// Account is a user as kept for signing in: who they are and the hash
// their password is kept as.
type Account struct {
	User
	PasswordHash []byte
}

// SignIn decides a sign-in from the account the email names (known is
// false when it names none) and whether the password matched its hash.
// An unknown email gets the wrong password's answer, so the answer tells
// nobody who has an account; a disabled account says so only to whoever
// knows its password.
func SignIn(a Account, known, matches bool) (User, error) {
	if !known || !matches {
		return User{}, Errorf(EUNAUTHORIZED, "Wrong email or password.")
	}
	if a.Disabled {
		return User{}, Errorf(EFORBIDDEN, "This account is disabled.")
	}
	return a.User, nil
}

// EndsSessions says whether the change ends the account's sessions at
// once: disabling it does, and so does a new password (whoever knew the
// old one is signed out).
func (c UserChange) EndsSessions() bool {
	return c.Disabled != nil && *c.Disabled || c.Password != nil
}

// NewToken checks an API token's name and role and returns its record.
func NewToken(name string, role Role) (Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Token{}, Errorf(EINVALID, "a token needs a name")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, err
	}
	return Token{Name: name, Role: role}, nil
}

// Check says whether a destination may be kept: an http(s) URL with a
// host, and a signing secret of MinSecretLength characters or more.
func (d Destination) Check() error {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Errorf(EINVALID, "%q is not an http(s) URL", d.URL)
	}
	if utf8.RuneCountInString(d.Secret) < MinSecretLength {
		return Errorf(EINVALID, "the signing secret must be at least %d characters", MinSecretLength)
	}
	return nil
}
