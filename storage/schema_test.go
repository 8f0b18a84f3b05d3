package storage_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/storage"
)

// TestSchemaNewerThanKnown: a database a newer reviewer has migrated is
// refused with a sentence saying what to do, at start and with
// --migrate=false alike; while a server runs, readiness says so.
func TestSchemaNewerThanKnown(t *testing.T) { pgtest.Each(t, testSchemaNewerThanKnown) }

func testSchemaNewerThanKnown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("a store just migrated is not ready: %v", err)
	}
	have, head, err := s.Schema(ctx)
	if err != nil || have != head || head == 0 {
		t.Fatalf("schema %d of %d: %v", have, head, err)
	}
	// A newer reviewer, started beside this one, migrates further.
	db := rawDB(t, dir)
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "the schema is at version 9999") {
		t.Fatalf("ready on a newer schema: %v", err)
	}
	s.Close()
	for _, noMigrate := range []bool{false, true} {
		_, err := storage.Open(ctx, dir, storage.Options{DB: pgtest.DB(t), NoMigrate: noMigrate})
		if err == nil || !strings.Contains(err.Error(), "the database's schema is at version 9999, newer than this reviewer knows") {
			t.Fatalf("open a newer schema (no migrate %v): %v", noMigrate, err)
		}
	}
}

// TestMigrateOff: with --migrate=false a database behind this binary is
// refused with the command that brings it up to date; after it, it opens.
func TestMigrateOff(t *testing.T) { pgtest.Each(t, testMigrateOff) }

func testMigrateOff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := storage.Open(ctx, dir, storage.Options{DB: pgtest.DB(t), NoMigrate: true})
	if err == nil || !strings.Contains(err.Error(), "run `reviewer migrate` first") {
		t.Fatalf("open an empty database without migrating: %v", err)
	}
	open(t, dir).Close() // what `reviewer migrate` does
	s, err := storage.Open(ctx, dir, storage.Options{DB: pgtest.DB(t), NoMigrate: true})
	if err != nil {
		t.Fatalf("open a migrated database without migrating: %v", err)
	}
	s.Close()
}

// rawDB opens the test's database beside the store, as another process.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(dir, "reviewer.db")+"?_pragma=busy_timeout(10000)"
	if pgtest.Postgres(t) {
		driver, dsn = "pgx", pgtest.DB(t)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
