package outbound_test

import (
	"os"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
)

// The storage and application tests run on SQLite and on PostgreSQL
// (pgtest.Each), on one server for the package.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
