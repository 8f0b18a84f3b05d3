package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// CreateUser adds a person who can sign in, as desk checked them
// (review.NewUser), with the hash desk made of their password.
func (s *Store) CreateUser(ctx context.Context, email, name string, role review.Role, hash []byte) (review.User, error) {
	return s.createUser(ctx, email, name, role, hash, false)
}

// CreateFirstAdmin adds the installation's first admin, only while nobody
// has an account: the check and the insert are one statement, so the
// one-time setup link makes one admin however many requests race for it.
func (s *Store) CreateFirstAdmin(ctx context.Context, email, name string, hash []byte) (review.User, error) {
	return s.createUser(ctx, email, name, review.RoleAdmin, hash, true)
}

func (s *Store) createUser(ctx context.Context, email, name string, role review.Role, hash []byte, first bool) (review.User, error) {
	u := review.User{Email: email, Name: name, Role: role, CreatedAt: s.now()}
	// The email is unique without regard to case (a conflict inserts
	// nothing, and returns no id).
	insert := `INSERT INTO users (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`
	if first {
		insert = `INSERT INTO users (email, name, role, password_hash, created_at) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users) ON CONFLICT DO NOTHING RETURNING id`
	}
	err := s.write(ctx, func(tx *txn) error {
		if first && tx.pg {
			// "No user yet" must hold until the commit: with PostgreSQL two
			// setups at once both see none, unless they take turns.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, lockFirstAdmin); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, insert, u.Email, u.Name, string(u.Role), string(hash), ms(u.CreatedAt)).Scan(&u.ID)
	})
	switch {
	case isNoRows(err) && first:
		return review.User{}, review.Errorf(review.EFORBIDDEN, "This installation is set up already. Sign in instead.")
	case isNoRows(err):
		return review.User{}, review.Errorf(review.ECONFLICT, "a user with email %s exists", u.Email)
	case err != nil:
		return review.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Account returns the account an email names, with the hash its password
// is kept as, for desk.SignIn to decide on. The email matches without
// regard to case, as it is unique.
func (s *Store) Account(ctx context.Context, email string) (review.Account, error) {
	var a review.Account
	var role string
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, email, name, role, password_hash, disabled, created_at FROM users WHERE lower(email) = lower(?)`, email).
		Scan(&a.ID, &a.Email, &a.Name, &role, &a.PasswordHash, &a.Disabled, &created)
	if isNoRows(err) {
		return a, review.Errorf(review.ENOTFOUND, "no account for %s", email)
	}
	if err != nil {
		return a, fmt.Errorf("account: %w", err)
	}
	a.Role, a.CreatedAt = review.Role(role), fromMS(created)
	return a, nil
}

// UserCount counts users, so a fresh install can tell the newcomer to add one.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("user count: %w", err)
	}
	return n, nil
}

// CreateSession starts a server-side session and returns its id.
func (s *Store) CreateSession(ctx context.Context, userID int64) (string, error) {
	id := randomToken(32)
	now := ms(s.now())
	if _, err := s.exec(ctx, `INSERT INTO sessions (id, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`, id, userID, now, now); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// Session returns a session with its user, as kept: whether it still
// signs anyone in is review.Session.Ended's to say.
func (s *Store) Session(ctx context.Context, id string) (review.Session, error) {
	var se review.Session
	var role string
	var created, seen, userCreated int64
	err := s.r.QueryRowContext(ctx, `SELECT s.id, s.created_at, s.last_seen_at, u.id, u.email, u.name, u.role, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id).
		Scan(&se.ID, &created, &seen, &se.User.ID, &se.User.Email, &se.User.Name, &role, &se.User.Disabled, &userCreated)
	if isNoRows(err) {
		return se, review.Errorf(review.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.User.Role, se.User.CreatedAt = review.Role(role), fromMS(userCreated)
	se.CreatedAt, se.LastSeen = fromMS(created), fromMS(seen)
	return se, nil
}

// TouchSession records activity on a session (for the idle timeout).
func (s *Store) TouchSession(ctx context.Context, id string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session server-side.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CreateToken makes an API token as desk checked it (review.NewToken) and
// returns it; only its hash is kept.
func (s *Store) CreateToken(ctx context.Context, name string, role review.Role) (string, error) {
	tok := review.TokenPrefix + randomToken(32)
	_, err := s.exec(ctx, `INSERT INTO tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)`, name, string(role), tokenHash(tok), ms(s.now()))
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	return tok, nil
}

// UseToken returns a live API token (its id, name and role) and records
// its use.
func (s *Store) UseToken(ctx context.Context, token string) (review.Token, error) {
	var t review.Token
	var role string
	err := s.r.QueryRowContext(ctx, `SELECT id, name, role FROM tokens WHERE hash = ? AND revoked_at IS NULL`, tokenHash(token)).Scan(&t.ID, &t.Name, &role)
	if isNoRows(err) {
		return t, review.Errorf(review.EUNAUTHORIZED, "unknown or revoked API token")
	}
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, ms(s.now()), t.ID); err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	t.Role = review.Role(role)
	return t, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// SessionKeys returns the session cookie keys as desk.SessionKeys kept
// them, newest pair first (hash key, block key, …); none before the first.
func (s *Store) SessionKeys(ctx context.Context) ([][]byte, error) {
	var raw []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'session-keys'`).Scan(&raw)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	var keys [][]byte
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	return keys, nil
}

// SetSessionKeys keeps keys as the session cookie keys in place of was,
// the keys read before (none: there were none). It is refused
// (review.ErrRefused) when the keys are no longer was, so two instances
// making the first keys at once agree on one set, and two rotations at
// once do not lose one.
func (s *Store) SetSessionKeys(ctx context.Context, keys, was [][]byte) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("set session keys: %w", err)
	}
	var res sql.Result
	if was == nil {
		res, err = s.exec(ctx, `INSERT INTO settings (key, value) VALUES ('session-keys', ?) ON CONFLICT (key) DO NOTHING`, b)
	} else {
		old, _ := json.Marshal(was) // as it was kept: the encoding is deterministic
		res, err = s.exec(ctx, `UPDATE settings SET value = ? WHERE key = 'session-keys' AND value = ?`, b, old)
	}
	if err != nil {
		return fmt.Errorf("set session keys: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("set session keys: the keys changed since they were read: %w", review.ErrRefused)
	}
	return nil
}

// Setting returns a stored setting, or def.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, "setting:"+key).Scan(&v)
	if isNoRows(err) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("setting %s: %w", key, err)
	}
	return string(v), nil
}

// SetSetting stores a setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "setting:"+key, []byte(value))
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}
