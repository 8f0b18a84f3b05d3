package storage

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestDecidedFiguresMigration: the dashboard's figures of the work done,
// kept with each decision since, are counted from the runs decided before
// the migration, each handling time in the bucket review.HandlingBucket
// puts it in (the database's logarithm and Go's agree).
func TestDecidedFiguresMigration(t *testing.T) { pgtest.Each(t, testDecidedFiguresMigration) }

func testDecidedFiguresMigration(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 40, 30)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC).UnixMilli()
	handling := []sql.NullInt64{{Int64: 0, Valid: true}, {Int64: 1, Valid: true}, {Int64: 999, Valid: true}, {Int64: 1024, Valid: true},
		{Int64: 45_000, Valid: true}, {Int64: 10_800_000, Valid: true}, {}, {Int64: 1000, Valid: true}}
	hours, buckets := map[string]int{}, map[string]int{}
	for i, h := range handling {
		by, decision, decided := fmt.Sprint("r", i%3, "@example.com"), []string{review.DecisionApproved, review.DecisionRejected}[i%2], at-int64(i)*5_000_000
		if _, err := p.ExecContext(ctx, `INSERT INTO runs (id, api_version, status, payload, created_at, updated_at, decision, decided_by, decided_at, handling_ms)
			VALUES (?, '2026-02-09', 'PROCESSED', ?, 0, 0, ?, ?, ?, ?)`, fmt.Sprint("workflow_run_", i), []byte(`{}`), decision, by, decided, h); err != nil {
			t.Fatal(err)
		}
		hours[fmt.Sprint(decided/hourMS, by, decision)]++
		if h.Valid {
			buckets[fmt.Sprint(decided/dayMS, by, review.HandlingBucket(time.Duration(h.Int64)*time.Millisecond))]++
		}
	}
	if _, err := p.ExecContext(ctx, `INSERT INTO runs (id, api_version, status, payload, created_at, updated_at) VALUES ('workflow_run_waiting', '2026-02-09', 'NEEDS_REVIEW', ?, 0, 0)`, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	p.DB.Close()

	s, err := Open(ctx, dir, Options{DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := func(q string) map[string]int {
		got := map[string]int{}
		err := queryRows(ctx, s.r, q, nil, func(rows *sql.Rows) error {
			var a int64
			var by string
			var b any
			var n int
			err := rows.Scan(&a, &by, &b, &n)
			got[fmt.Sprint(a, by, b)] += n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read(`SELECT hour, decided_by, decision, n FROM decided_hours`); !maps.Equal(got, hours) {
		t.Errorf("decisions by hour after the migration: %v, want %v", got, hours)
	}
	if got := read(`SELECT day, decided_by, bucket, n FROM handling_days`); !maps.Equal(got, buckets) {
		t.Errorf("handling buckets after the migration: %v, want %v", got, buckets)
	}
}
