// Package passwordtest hashes passwords for tests that put accounts in a
// store directly: the store keeps the hash the desk makes, and tests that
// need a person rather than the making of one make the hash here, at
// bcrypt's least cost.
package passwordtest

import (
	"testing"

	"github.com/reviewer-app/reviewer/passwords"
)

// Hash is password's bcrypt hash at the least cost, as package passwords
// makes it for tests (passwords.New(true)).
func Hash(t testing.TB, password string) []byte {
	t.Helper()
	h, err := passwords.New(true).Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
