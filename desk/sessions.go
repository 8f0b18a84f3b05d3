package desk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// Passwords hashes a password to keep, and checks one against the hash it
// is kept as (package passwords: bcrypt). The desk takes it injected so
// that it imports only review; the store keeps only the hash.
type Passwords interface {
	Hash(password string) ([]byte, error)
	Matches(hash []byte, password string) bool
}

// unknownEmail is the password of the hash an unknown email's password is
// compared against.
const unknownEmail = "no such user, no such password"

// SignIn signs a person in with their email and password and starts their
// session in place of previous (the one the browser held), as review.SignIn
// decides. An unknown email's password is compared against a hash of the
// same cost as every account's, so it takes as long as a wrong password
// and the time tells nobody who has an account (it took 4 ms against
// 345 ms while the costs differed). It returns the user and the new
// session's id.
func (d *Desk) SignIn(ctx context.Context, email, password, previous string) (review.User, string, error) {
	if d.Passwords == nil {
		return review.User{}, "", errors.New("sign in: the desk has no password check")
	}
	a, err := d.store.Account(ctx, strings.TrimSpace(email))
	known := err == nil
	if err != nil && review.ErrorCode(err) != review.ENOTFOUND {
		return review.User{}, "", err
	}
	hash := a.PasswordHash
	if !known {
		if hash, err = d.unknownHash(); err != nil {
			return review.User{}, "", fmt.Errorf("sign in: %w", err)
		}
	}
	u, err := review.SignIn(a, known, d.Passwords.Matches(hash, password))
	if err != nil {
		return review.User{}, "", err
	}
	id, err := d.StartSession(ctx, u.ID, previous)
	return u, id, err
}

// StartSession starts a session for a user who just proved who they are
// (signed in, or set the installation up), and ends the session the
// browser held before (an id planted before sign-in is worthless after
// it), in one transaction. It returns the new session's id.
func (d *Desk) StartSession(ctx context.Context, userID int64, previous string) (string, error) {
	var id string
	err := d.store.Atomically(ctx, func(ctx context.Context) (err error) {
		if previous != "" {
			if err := d.store.DeleteSession(ctx, previous); err != nil {
				return err
			}
		}
		id, err = d.store.CreateSession(ctx, userID)
		return err
	})
	return id, err
}

// SignOut ends a session: its holder signed out, or it was idle or lived
// too long.
func (d *Desk) SignOut(ctx context.Context, id string) error {
	return d.store.DeleteSession(ctx, id)
}

// Receive makes a webhook event durable before it is answered; desk.Arrive
// applies it. fresh is false for an event received before.
func (d *Desk) Receive(ctx context.Context, ev review.Event, body []byte) (fresh bool, err error) {
	return d.store.AppendEvent(ctx, ev, body)
}

// Session cookie key sizes: an HMAC-SHA256 key of a full block, and an
// AES-256 key (what gorilla/securecookie recommends).
const (
	sessionHashKeyBytes  = 64
	sessionBlockKeyBytes = 32
)

// SessionKeys returns the session cookie keys, newest pair first, making
// the first pair on first use. Instances starting together agree on one
// pair: the store keeps a first pair only where there is none.
func (d *Desk) SessionKeys(ctx context.Context) ([][]byte, error) {
	keys, err := d.store.SessionKeys(ctx)
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	keys = review.RotateSessionKeys(nil, randomKey(sessionHashKeyBytes), randomKey(sessionBlockKeyBytes))
	err = d.store.SetSessionKeys(ctx, keys, nil)
	if errors.Is(err, review.ErrRefused) { // another instance made them first
		return d.store.SessionKeys(ctx)
	}
	return keys, err
}

// RotateSessionKeys makes a new pair of session cookie keys to sign new
// cookies with, keeping the pair before so that nobody is signed out
// (review.RotateSessionKeys), and notes it, without the keys, in the
// admin's log. Running servers take the new keys when they restart.
func (d *Desk) RotateSessionKeys(ctx context.Context, actor string) error {
	was, err := d.SessionKeys(ctx)
	if err != nil {
		return err
	}
	keys := review.RotateSessionKeys(was, randomKey(sessionHashKeyBytes), randomKey(sessionBlockKeyBytes))
	err = d.logged(ctx, actor, "session keys rotated", "", func(ctx context.Context) error {
		return d.store.SetSessionKeys(ctx, keys, was)
	})
	if errors.Is(err, review.ErrRefused) {
		return review.Errorf(review.ECONFLICT, "The session keys were rotated by someone else at the same time; rotate again if you still want a new pair.")
	}
	return err
}

func randomKey(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
