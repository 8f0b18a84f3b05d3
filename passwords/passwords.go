// Package passwords keeps passwords as bcrypt hashes and checks one against
// its hash: the one place that knows the hash and its cost, for the store
// that keeps the hashes and the desk that decides a sign-in.
package passwords

import "golang.org/x/crypto/bcrypt"

// Cost is deliberately slow: a stolen database must not give up
// passwords cheaply.
const Cost = 12

// Bcrypt hashes passwords at a cost and checks them.
type Bcrypt struct{ Cost int }

// New returns the hasher at Cost, or at bcrypt's minimum when fast (tests
// that are not about sign-in).
func New(fast bool) Bcrypt {
	if fast {
		return Bcrypt{Cost: bcrypt.MinCost}
	}
	return Bcrypt{Cost: Cost}
}

// Hash returns the hash a password is kept as.
func (b Bcrypt) Hash(password string) ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte(password), b.Cost)
}

// Matches reports whether password is the one hash was made from. It
// takes as long as the hash's cost says, whatever the answer.
func (b Bcrypt) Matches(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}
