package web_test

import (
	"os"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
)

// The storage and application tests run on SQLite, and on PostgreSQL with
// REVIEWER_TEST_DB=postgres (make test runs both).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
