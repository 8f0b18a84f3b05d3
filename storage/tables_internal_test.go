package storage

import (
	"context"
	"slices"
	"testing"
)

// TestCopyKnowsEveryTable: a table added to the schema and not to the
// copy's list would be left behind by migrate-to-postgres.
func TestCopyKnowsEveryTable(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.r.QueryContext(context.Background(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations') AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		rows.Scan(&name)
		if !slices.ContainsFunc(tables, func(tb struct{ name, identity string }) bool { return tb.name == name }) && !slices.Contains(derived, name) {
			t.Errorf("table %s is not copied by CopyTo", name)
		}
	}
}
