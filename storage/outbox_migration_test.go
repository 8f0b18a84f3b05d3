package storage

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// TestOneOutboxMigration: a database with pending, delivered and dead
// deliveries and Extend calls in the two old outboxes is migrated into the
// one outbox without losing any, attempts following their delivery, and
// the pending ones are due in their order.
func TestOneOutboxMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, "reviewer.db"), false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrations, "migrations/sqlite/*.sql")
	sort.Strings(names)
	for _, name := range names {
		v, _ := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if v >= 11 {
			break
		}
		if err := applyMigration(ctx, &pool{DB: db}, v, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO destinations (id, url, secret, created_at) VALUES (1, 'https://example.com/hook', 's', 1)`,
		`INSERT INTO deliveries (id, destination_id, run_id, event_id, event_type, body, state, attempts, created_at) VALUES
			(1, 1, 'workflow_run_a', 'evt_1', 'workflow_run.completed', X'7B7D', 'delivered', 1, 1),
			(2, 1, 'workflow_run_a', 'evt_2', 'workflow_run.rejected', X'7B7D', 'dead', 40, 2),
			(3, 1, 'workflow_run_b', 'evt_3', 'workflow_run.completed', X'7B7D', 'pending', 2, 3)`,
		`INSERT INTO delivery_attempts (delivery_id, at, status, snippet) VALUES (3, 10, 503, 'busy'), (3, 11, 503, 'still busy')`,
		`INSERT INTO extend_calls (id, run_id, api_version, path, body, state, created_at) VALUES
			(1, 'workflow_run_a', '2026-02-09', '/evaluation_sets/es_1/items', X'7B7D', 'pending', 4),
			(2, 'workflow_run_a', '2026-02-09', '/workflow_runs/workflow_run_a', X'7B7D', 'pending', 5)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, _ := s.RecentDeliveries(ctx, 10)
	cs, _ := s.RecentCalls(ctx, 10)
	if len(ds) != 3 || len(cs) != 2 {
		t.Fatalf("%d deliveries and %d calls after the migration, want 3 and 2", len(ds), len(cs))
	}
	if ds[0].ID != 3 || ds[0].State != review.DeliveryPending || ds[0].LastSnippet != "still busy" || ds[0].URL != "https://example.com/hook" {
		t.Fatalf("the pending delivery: %+v", ds[0])
	}
	due, err := s.Due(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range due {
		got = append(got, d.Kind+" "+d.EventID+d.Path)
	}
	// One call per run at a time, in order; the pending delivery is due.
	if strings.Join(got, ", ") != "delivery evt_3, extend_call /evaluation_sets/es_1/items" {
		t.Fatalf("due: %v", got)
	}
}
