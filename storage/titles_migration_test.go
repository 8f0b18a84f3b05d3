package storage

import (
	"context"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestTitlesMigration: runs stored before titles were kept are listed by
// their payload's name after the migration; a payload without one, or one
// the database cannot read as JSON, keeps no title and fails nothing.
func TestTitlesMigration(t *testing.T) { pgtest.Each(t, testTitlesMigration) }

func testTitlesMigration(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 20, 9)
	db := p.DB
	for i, payload := range []string{
		`{"object":"workflow_run","id":"workflow_run_a","name":"Free fibre invoice, June 2015","stepRuns":[]}`,
		`{"object":"workflow_run","id":"workflow_run_b","name":null,"stepRuns":[]}`,
		`{"object":"workflow_run","id":"workflow_run_c","name":"x","note":"\u0000"}`,
	} {
		id := "workflow_run_" + string(rune('a'+i))
		if _, err := p.ExecContext(ctx, `INSERT INTO runs (id, api_version, status, payload, created_at, updated_at) VALUES (?, '2026-02-09', 'NEEDS_REVIEW', ?, ?, ?)`,
			id, []byte(payload), i, i); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, dir, Options{DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, _, err := s.Runs(ctx, review.RunFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, r := range runs {
		titles[r.ID] = r.Title
	}
	if titles["workflow_run_a"] != "Free fibre invoice, June 2015" || titles["workflow_run_b"] != "" || len(titles) != 3 {
		t.Fatalf("titles after the migration: %v", titles)
	}
}
