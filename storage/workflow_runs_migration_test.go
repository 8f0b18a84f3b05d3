package storage

import (
	"context"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestExtendAPIMigration: runs stored before batch ids and list heads were
// kept are found by their batch id after the migration, and listed with
// their payload's members; a payload the database cannot read as JSON keeps
// no batch id and fails nothing.
func TestExtendAPIMigration(t *testing.T) { pgtest.Each(t, testExtendAPIMigration) }

func testExtendAPIMigration(t *testing.T) {
	ctx := context.Background()
	p, dir, url := migratedBefore(t, 18, 7)
	db := p.DB
	for i, payload := range []string{
		`{"object":"workflow_run","id":"workflow_run_a","batchId":"batch_1","files":[{"object":"file","id":"file_a","name":"a.pdf"}],"stepRuns":[]}`,
		`{"object":"workflow_run","id":"workflow_run_b","batchId":null,"stepRuns":[]}`,
		`{"object":"workflow_run","id":"workflow_run_c","batchId":"batch_1","note":"\u0000"}`,
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
	runs, more, err := s.WorkflowRuns(ctx, review.WorkflowRunFilter{BatchID: "batch_1", Limit: 10})
	if err != nil || more {
		t.Fatal(err, more)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	// PostgreSQL cannot read the NUL escape, so that run keeps no batch id
	// until Extend sends it again; SQLite reads it.
	want := "workflow_run_c,workflow_run_a"
	if url != "" {
		want = "workflow_run_a"
	}
	if got := strings.Join(ids, ","); got != want {
		t.Fatalf("batch_1: %s, want %s", got, want)
	}
	if head := string(runs[len(runs)-1].Head); !strings.Contains(head, `"files":[{"object":"file","id":"file_a","name":"a.pdf"}]`) || strings.Contains(head, "stepRuns") {
		t.Fatalf("head of a run stored before heads: %s", head)
	}
}
