package storage

import (
	"context"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
)

// TestPageTurnsMigration: pages turned while turns were settings keep
// their turn as the document's state (a turn past a whole one, or back,
// read as the quarter it ends on), and the settings go.
func TestPageTurnsMigration(t *testing.T) { pgtest.Each(t, testPageTurnsMigration) }

func testPageTurnsMigration(t *testing.T) {
	ctx := context.Background()
	dir, url, p := migratedBefore(t, 22, 11)
	if _, err := p.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('setting:turn:abc', ?), ('setting:sla', ?)`, []byte(`{"1":90,"2":-90,"3":360,"4":450}`), []byte("8h0m0s")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	s, err := Open(ctx, dir, Options{DB: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	turns, err := s.PageTurns(ctx, "abc")
	if err != nil || len(turns) != 3 || turns[1] != 90 || turns[2] != 270 || turns[4] != 90 {
		t.Fatalf("turns after the migration: %v %v", turns, err)
	}
	if v, _ := s.Setting(ctx, "turn:abc", "gone"); v != "gone" {
		t.Fatalf("the turn is still a setting: %q", v)
	}
	if v, _ := s.Setting(ctx, "sla", ""); v != "8h0m0s" {
		t.Fatalf("another setting went with the turns: %q", v)
	}
}
