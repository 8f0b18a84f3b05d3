package main

import (
	"os"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
)

// The tests of several instances share a throwaway PostgreSQL server.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
