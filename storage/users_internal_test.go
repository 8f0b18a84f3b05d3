package storage

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUnknownEmailCostsTheSame: the hash compared against for an unknown
// email has the cost of every account's, so timing tells nobody which
// emails have accounts.
func TestUnknownEmailCostsTheSame(t *testing.T) {
	for _, fast := range []bool{false, true} {
		s, err := Open(context.Background(), t.TempDir(), Options{FastPasswordHash: fast})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(context.Background(), "a@example.com", "", "reviewer", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		var hash []byte
		s.r.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash)
		real, _ := bcrypt.Cost(hash)
		dummy, _ := bcrypt.Cost(s.dummy())
		if real != dummy {
			t.Errorf("fast=%v: accounts' cost %d, unknown emails' %d", fast, real, dummy)
		}
		s.Close()
	}
}
