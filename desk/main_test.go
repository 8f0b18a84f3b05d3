package desk_test

import (
	"os"
	"testing"

	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// The storage and application tests run on SQLite and on PostgreSQL
// (pgtest.Each), on one server for the package.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// createUser adds an account to s as the store is told to, for tests that
// need a person rather than the creating of one.
func createUser(t *testing.T, s *storage.Store, email string, role review.Role) review.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), email, "", role, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}
