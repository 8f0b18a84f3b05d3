package storage

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// tables lists every table of the schema in an order that satisfies its
// references, with the column PostgreSQL numbers by itself ("" for none).
var tables = []struct{ name, identity string }{
	{"events", "seq"}, {"event_bodies", ""}, {"workflows", ""}, {"runs", ""}, {"run_outputs", ""}, {"step_runs", ""},
	{"files", ""}, {"run_files", ""}, {"users", "id"}, {"sessions", ""}, {"tokens", "id"},
	{"settings", ""}, {"documents", ""}, {"unmeasured", ""}, {"drafts", ""}, {"audit", "id"}, {"changes", "seq"},
	{"field_outcomes", ""}, {"destinations", "id"}, {"outbox", "id"}, {"outbox_attempts", "id"},
	{"admin_log", "id"}, {"routing_rules", ""}, {"feedback_rules", ""}, {"sign_in_failures", ""}, {"viewers", ""},
	{"validation_rules", ""}, {"rule_failures", ""}, {"page_turns", ""}, {"duplicate_keys", ""}, {"service_levels", ""},
	{"qa_rules", ""}, {"qa_samples", ""}, {"qa_fields", ""}, {"activity", ""}, {"field_daily", ""}, {"field_corrections", ""}, {"reviewer_daily", ""}, {"qa_daily", ""}, {"field_bins", ""}, {"field_bins_daily", ""},
	{"decided_daily", ""}, {"decided_hours", ""}, {"handling_days", ""},
}

// derived lists the tables a copy leaves out: the target makes them itself
// (its triggers count the queue, its hours and the routing outcomes as the
// runs arrive; it indexes the runs
// for search at its start). SQLite's search index is run_search and the
// run_text tables of FTS5.
var derived = []string{"queue_depth", "waiting_hours", "routing_counts", "run_search", "run_text", "run_text_data", "run_text_idx", "run_text_content", "run_text_docsize", "run_text_config"}

// Copied is how many rows of each table a copy wrote, and how many
// documents.
type Copied struct {
	Rows  map[string]int64
	Blobs int
}

// CopyTo copies everything of this SQLite store into dst, an empty
// PostgreSQL store: every table from one snapshot, ids kept (and their
// sequences moved past them), and every document into the database. It
// then counts both sides, table by table, and fails on any difference.
// The source should not be serving meanwhile: what it commits after the
// snapshot is not copied.
func (s *Store) CopyTo(ctx context.Context, dst *Store) (Copied, error) {
	if s.pg != nil || dst.pg == nil {
		return Copied{}, review.Errorf(review.EINVALID, "a copy goes from SQLite to PostgreSQL")
	}
	for _, t := range []string{"events", "runs", "users"} {
		var n int64
		if err := dst.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return Copied{}, fmt.Errorf("copy: %w", err)
		}
		if n > 0 {
			return Copied{}, review.Errorf(review.ECONFLICT, "the PostgreSQL database is not empty (%d rows in %s): copy into a new one", n, t)
		}
	}
	src, err := s.r.begin(ctx) // one snapshot of the whole source
	if err != nil {
		return Copied{}, fmt.Errorf("copy: %w", err)
	}
	defer src.Rollback()
	out, err := dst.w.begin(ctx)
	if err != nil {
		return Copied{}, fmt.Errorf("copy: %w", err)
	}
	defer out.Rollback()
	c := Copied{Rows: map[string]int64{}}
	for _, t := range tables {
		n, err := copyTable(ctx, src, out, t.name)
		if err != nil {
			return c, fmt.Errorf("copy %s: %w", t.name, err)
		}
		c.Rows[t.name] = n
		if t.identity != "" {
			if _, err := out.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', '`+t.identity+`'), coalesce(max(`+t.identity+`), 0) + 1, false) FROM `+t.name); err != nil {
				return c, fmt.Errorf("copy %s: %w", t.name, err)
			}
		}
	}
	if err := out.Commit(); err != nil {
		return c, fmt.Errorf("copy: %w", err)
	}
	if c.Blobs, err = s.copyBlobs(ctx, src, dst); err != nil {
		return c, err
	}
	for _, t := range tables {
		var n int64
		if err := dst.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return c, fmt.Errorf("copy: verify %s: %w", t.name, err)
		}
		if n != c.Rows[t.name] {
			return c, fmt.Errorf("copy: %s has %d rows in PostgreSQL, %d in SQLite", t.name, n, c.Rows[t.name])
		}
	}
	return c, nil
}

func copyTable(ctx context.Context, src, dst *txn, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ins, err := dst.prepare(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+placeholders(len(cols))+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := ins.exec(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// copyBlobs puts every document the source refers to into the database.
func (s *Store) copyBlobs(ctx context.Context, src *txn, dst *Store) (int, error) {
	rows, err := src.QueryContext(ctx, `SELECT blob FROM files WHERE blob != '' UNION SELECT blob FROM run_files WHERE blob != ''`)
	if err != nil {
		return 0, fmt.Errorf("copy documents: %w", err)
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return 0, fmt.Errorf("copy documents: %w", err)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	n := 0
	for _, h := range hashes {
		if !validHash(h) {
			continue
		}
		f, err := os.Open(s.Blobs.path(h))
		if os.IsNotExist(err) {
			continue // referred to but never stored here: nothing to copy
		}
		if err != nil {
			return n, fmt.Errorf("copy documents: %w", err)
		}
		err = dst.Blobs.share(f, h)
		f.Close()
		if err != nil {
			return n, fmt.Errorf("copy document %s: %w", h, err)
		}
		n++
	}
	return n, nil
}
