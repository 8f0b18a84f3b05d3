package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestQAMigration: decisions made before accuracy was measured count in it
// after the migration: their field outcomes in the daily sums (confidence
// unknown, so in no band) and their deciders' scorecards.
func TestQAMigration(t *testing.T) { pgtest.Each(t, testQAMigration) }

func testQAMigration(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 24, 13)
	db := p.DB
	at := time.Now().Add(-time.Hour).UnixMilli()
	if _, err := p.ExecContext(ctx, `INSERT INTO runs (id, workflow_id, api_version, status, payload, created_at, updated_at, decision, decided_by, decided_at) VALUES ('workflow_run_old', 'wf_old', '2026-02-09', 'PROCESSED', ?, ?, ?, 'approved', 'ana@example.com', ?)`,
		[]byte(`{}`), at, at, at); err != nil {
		t.Fatal(err)
	}
	for path, edited := range map[string]int{"total": 1, "invoice_number": 0} {
		if _, err := p.ExecContext(ctx, `INSERT INTO field_outcomes (run_id, workflow_id, path, edited, decided_at) VALUES ('workflow_run_old', 'wf_old', ?, ?, ?)`, path, edited, at); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, dir, Options{DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	a, err := s.Accuracy(ctx, review.AccuracyFilter{From: now.Add(-24 * time.Hour), To: now})
	if err != nil || len(a.Workflows) != 1 || a.Workflows[0].Corrections.Samples != 2 || a.Workflows[0].Corrections.Correct != 1 || len(a.Workflows[0].Fields[0].Bands) != 0 {
		t.Fatalf("accuracy after the migration: %+v %v", a, err)
	}
	cards, err := s.Scorecards(ctx, review.ScorecardFilter{From: now.Add(-48 * time.Hour), To: now})
	if err != nil || len(cards) != 1 || cards[0].Email != "ana@example.com" || cards[0].Decided != 1 || cards[0].FieldsChanged != 1 {
		t.Fatalf("scorecards after the migration: %+v %v", cards, err)
	}
}

// TestBandsMigration: decisions made while the sums by confidence were
// kept per week count in the bands of their own day after the migration.
func TestBandsMigration(t *testing.T) { pgtest.Each(t, testBandsMigration) }

func testBandsMigration(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 42, 32)
	d := time.Now().Unix() / 86400
	block := time.Unix((d-d%7)*86400, 0).UTC() // two days of one seven-day block
	for i, edited := range []int{0, 1} {
		at := block.Add(time.Duration(i)*24*time.Hour + 12*time.Hour).UnixMilli()
		id := fmt.Sprintf("workflow_run_old_%d", i)
		if _, err := p.ExecContext(ctx, `INSERT INTO runs (id, workflow_id, api_version, status, payload, created_at, updated_at, decision, decided_by, decided_at) VALUES (?, 'wf_old', '2026-02-09', 'PROCESSED', ?, ?, ?, 'approved', 'ana@example.com', ?)`,
			id, []byte(`{}`), at, at, at); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ExecContext(ctx, `INSERT INTO field_outcomes (run_id, workflow_id, path, edited, decided_at, confidence) VALUES (?, 'wf_old', 'total', ?, ?, 0.95)`, id, edited, at); err != nil {
			t.Fatal(err)
		}
	}
	p.DB.Close()

	s, err := Open(ctx, dir, Options{DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Accuracy(ctx, review.AccuracyFilter{From: block.Add(24 * time.Hour), To: block.Add(48 * time.Hour)})
	if err != nil || len(a.Workflows) != 1 || len(a.Workflows[0].Fields) != 1 {
		t.Fatalf("accuracy after the migration: %+v %v", a, err)
	}
	if b := a.Workflows[0].Fields[0].Bands; len(b) != 1 || b[0].Rate.Samples != 1 || b[0].Rate.Correct != 0 {
		t.Fatalf("the second day's bands after the migration: %+v, want its one corrected value", b)
	}
}
