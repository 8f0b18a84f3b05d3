package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// DuplicateKeys returns a workflow's duplicate key fields; none means the
// file's checksum.
func (s *Store) DuplicateKeys(ctx context.Context, workflowID string) ([]string, error) {
	var b string
	err := s.r.QueryRowContext(ctx, `SELECT fields FROM duplicate_keys WHERE workflow_id = ?`, workflowID).Scan(&b)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("duplicate keys: %w", err)
	}
	var fields []string
	if err := json.Unmarshal([]byte(b), &fields); err != nil {
		return nil, fmt.Errorf("duplicate keys of %s: %w", workflowID, err)
	}
	return fields, nil
}

// AllDuplicateKeys returns every workflow's key fields that are not the
// checksum, by workflow id.
func (s *Store) AllDuplicateKeys(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, fields FROM duplicate_keys`)
	if err != nil {
		return nil, fmt.Errorf("duplicate keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var wf, b string
		var fields []string
		if err := rows.Scan(&wf, &b); err != nil {
			return nil, fmt.Errorf("duplicate keys: %w", err)
		}
		if err := json.Unmarshal([]byte(b), &fields); err != nil {
			return nil, fmt.Errorf("duplicate keys of %s: %w", wf, err)
		}
		out[wf] = fields
	}
	return out, rows.Err()
}

// SetKeyFields sets a workflow's duplicate key fields (none: its runs are
// keyed by their documents). Its runs keep their keys until desk keys them
// again (KeyRuns); an arrival decided on the old fields is refused
// (ArrivalRules are read again where it is written).
func (s *Store) SetKeyFields(ctx context.Context, workflowID string, fields []string, actor string) error {
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	if len(fields) == 0 {
		_, err = s.exec(ctx, `DELETE FROM duplicate_keys WHERE workflow_id = ?`, workflowID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO duplicate_keys (workflow_id, fields, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			workflowID, string(b), ms(s.now()), actor)
	}
	if err != nil {
		return fmt.Errorf("set key fields: %w", err)
	}
	return nil
}

// KeyedRuns reads up to limit runs of a workflow after the id after, in id
// order, as their keys are decided again: each with its payload and its
// documents.
func (s *Store) KeyedRuns(ctx context.Context, workflowID, after string, limit int) ([]review.KeyedRun, error) {
	var out []review.KeyedRun
	err := queryRows(ctx, s.r, `SELECT id, workflow_id, dup_key, payload FROM runs WHERE workflow_id = ? AND id > ? ORDER BY id LIMIT ?`, []any{workflowID, after, limit}, func(rows *sql.Rows) error {
		var k review.KeyedRun
		if err := rows.Scan(&k.ID, &k.WorkflowID, &k.Key, &k.Payload); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	if err == nil {
		err = withDocuments(ctx, s.r, s.r.pg, out)
	}
	if err != nil {
		return nil, fmt.Errorf("keyed runs: %w", err)
	}
	return out, nil
}

// KeyedRunsOf reads the runs of ids, in id order, as their keys are
// decided again: each with its payload and its documents.
func (s *Store) KeyedRunsOf(ctx context.Context, runIDs []string) ([]review.KeyedRun, error) {
	out, err := keyedRuns(ctx, s.r, s.r.pg, anys(runIDs))
	if err != nil {
		return nil, fmt.Errorf("keyed runs: %w", err)
	}
	return out, nil
}

func keyedRuns(ctx context.Context, q querier, pg bool, runIDs []any) ([]review.KeyedRun, error) {
	var out []review.KeyedRun
	for rest := runIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		err := queryRows(ctx, q, `SELECT id, workflow_id, dup_key, payload FROM runs WHERE id IN `+ids(pg, 1, n)+` ORDER BY id`, rest[:n], func(rows *sql.Rows) error {
			var k review.KeyedRun
			if err := rows.Scan(&k.ID, &k.WorkflowID, &k.Key, &k.Payload); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, withDocuments(ctx, q, pg, out)
}

// FileRuns returns the runs that show a file.
func (s *Store) FileRuns(ctx context.Context, fileID string) ([]string, error) {
	var out []string
	err := queryRows(ctx, s.r, `SELECT run_id FROM run_files WHERE file_id = ? ORDER BY run_id`, []any{fileID}, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("file runs: %w", err)
	}
	return out, nil
}

// withDocuments reads the documents of runs.
func withDocuments(ctx context.Context, q querier, pg bool, runs []review.KeyedRun) error {
	runIDs := make([]any, len(runs))
	for i, k := range runs {
		runIDs[i] = k.ID
	}
	docs, err := storedDocuments(ctx, q, pg, runIDs)
	for i := range runs {
		runs[i].Documents = docs[runs[i].ID]
	}
	return err
}

// storedDocuments reads the documents of the runs of ids, by run id, in the
// order review.DocumentKey reads them.
func storedDocuments(ctx context.Context, q querier, pg bool, runIDs []any) (map[string][]review.StoredDocument, error) {
	out := map[string][]review.StoredDocument{}
	for rest := runIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		err := queryRows(ctx, q, `SELECT rf.run_id, rf.file_id, rf.position, rf.blob, coalesce(f.blob, '') FROM run_files rf LEFT JOIN files f ON f.id = rf.file_id
			WHERE rf.run_id IN `+ids(pg, 1, n)+` ORDER BY rf.run_id, rf.position, rf.file_id`, rest[:n], func(rows *sql.Rows) error {
			var runID string
			var d review.StoredDocument
			if err := rows.Scan(&runID, &d.FileID, &d.Position, &d.Uploaded, &d.Fetched); err != nil {
				return err
			}
			out[runID] = append(out[runID], d)
			return nil
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// FetchedFiles reads the document fetched for each file of ids, by id: ""
// for one not fetched yet or not known.
func (s *Store) FetchedFiles(ctx context.Context, fileIDs []string) (map[string]string, error) {
	out, err := fetchedFiles(ctx, s.r, s.r.pg, anys(fileIDs))
	if err != nil {
		return nil, fmt.Errorf("fetched files: %w", err)
	}
	return out, nil
}

func fetchedFiles(ctx context.Context, q querier, pg bool, fileIDs []any) (map[string]string, error) {
	out := make(map[string]string, len(fileIDs))
	for _, id := range fileIDs {
		out[id.(string)] = ""
	}
	for rest := fileIDs; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		err := queryRows(ctx, q, `SELECT id, blob FROM files WHERE id IN `+ids(pg, 1, n), rest[:n], func(rows *sql.Rows) error {
			var id, blob string
			err := rows.Scan(&id, &blob)
			out[id] = blob
			return err
		})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// KeyRuns writes the keys desk decided for runs of a workflow, while the
// workflow is keyed by fields (none: by documents) and each run is as it
// was read (review.Rekey); a run changed since is left as it is, for
// whatever changed it keyed it. With other fields now, nothing is written
// (review.ErrRefused): a later change of the fields keys the runs again.
// Every run whose duplicate flag this changes goes on the feed (tellKeyed).
func (s *Store) KeyRuns(ctx context.Context, workflowID string, fields []string, keys []review.Rekey) error {
	err := s.write(ctx, func(tx *txn) error {
		rules, err := arrivalRules(ctx, tx, tx.pg, []any{workflowID})
		if err != nil {
			return err
		}
		if !slices.Equal(rules[workflowID].KeyFields, fields) {
			return fmt.Errorf("the key fields of workflow %s changed since its runs were keyed: %w", workflowID, review.ErrRefused)
		}
		runIDs := make([]any, len(keys))
		for i, k := range keys {
			runIDs[i] = k.Read.ID
		}
		read, err := keyedRuns(ctx, tx, tx.pg, runIDs)
		if err != nil {
			return err
		}
		now := make(map[string]review.KeyedRun, len(read))
		for _, k := range read {
			now[k.ID] = k
		}
		var moved []keyMove
		for _, k := range keys {
			have, ok := now[k.Read.ID]
			if !ok || have.Key != k.Read.Key || have.Key == k.Key || have.WorkflowID != workflowID {
				continue
			}
			if len(fields) > 0 && !bytes.Equal(have.Payload, k.Read.Payload) || len(fields) == 0 && !slices.Equal(have.Documents, k.Read.Documents) {
				continue
			}
			moved = append(moved, keyMove{k.Read.ID, have.Key, k.Key})
		}
		tx.after = append(tx.after, s.notify) // at the commit, later within Atomically
		return s.tellKeyed(ctx, tx, workflowID, moved, func() error {
			for _, m := range moved {
				if _, err := tx.ExecContext(ctx, `UPDATE runs SET dup_key = ? WHERE id = ?`, m.to, m.runID); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("key runs: %w", err)
	}
	return nil
}

// keyMove is a run's key changing.
type keyMove struct{ runID, from, to string }

// tellKeyed makes the moves of keys with write and adds to the feed every
// run whose duplicate flag they change: a run's flag names the earliest
// other run of its key, so besides the runs that moved, every run of a
// key whose earliest run changed, and the earliest of a key whose second
// changed (the one it names).
func (s *Store) tellKeyed(ctx context.Context, tx *txn, workflowID string, moved []keyMove, write func() error) error {
	if len(moved) == 0 {
		return nil
	}
	var keys []any
	seen := map[string]bool{"": true}
	for _, m := range moved {
		for _, k := range []string{m.from, m.to} {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	before, err := keyGroups(ctx, tx, workflowID, keys)
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	after, err := keyGroups(ctx, tx, workflowID, keys)
	if err != nil {
		return err
	}
	told := map[string]bool{}
	tell := func(ids ...string) error {
		for _, id := range ids {
			if !told[id] {
				told[id] = true
				if err := s.logChange(ctx, tx, review.FeedRun, id, ""); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, m := range moved {
		if err := tell(m.runID); err != nil {
			return err
		}
	}
	for _, k := range keys {
		was, is := before[k.(string)], after[k.(string)]
		switch {
		case len(is) == 0:
		case nth(was, 0) != nth(is, 0):
			err = tell(is...)
		case nth(was, 1) != nth(is, 1):
			err = tell(is[0])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func nth(ids []string, i int) string {
	if i < len(ids) {
		return ids[i]
	}
	return ""
}

// keyGroups reads the runs of a workflow holding each of keys, by key, the
// earliest first (as Duplicates orders them).
func keyGroups(ctx context.Context, tx *txn, workflowID string, keys []any) (map[string][]string, error) {
	out := map[string][]string{}
	for rest := keys; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		at := "?"
		if tx.pg {
			at = "$1"
		}
		err := queryRows(ctx, tx, `SELECT dup_key, id FROM runs WHERE workflow_id = `+at+` AND dup_key != '' AND dup_key IN `+ids(tx.pg, 2, n)+` ORDER BY created_at, id`,
			append([]any{workflowID}, rest[:n]...), func(rows *sql.Rows) error {
				var key, id string
				err := rows.Scan(&key, &id)
				out[key] = append(out[key], id)
				return err
			})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// logDuplicated adds to the feed, for the runs of runIDs just keyed, the
// earliest other run of each key they hold: a run whose key a later run
// now shares has a duplicate, and its open page and queue row redraw to
// say so. The runs of runIDs are the caller's to log.
func (s *Store) logDuplicated(ctx context.Context, tx *txn, runIDs []string) error {
	keyed := make(map[string]bool, len(runIDs))
	args := make([]any, len(runIDs))
	for i, id := range runIDs {
		keyed[id], args[i] = true, id
	}
	var others []string
	for len(args) > 0 {
		n := min(len(args), maxRowsPerStatement)
		err := queryRows(ctx, tx, `SELECT DISTINCT `+firstOther+` FROM runs r WHERE r.dup_key != '' AND r.id IN `+ids(tx.pg, 1, n), args[:n], func(rows *sql.Rows) error {
			var id sql.NullString
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if id.Valid && !keyed[id.String] {
				keyed[id.String] = true
				others = append(others, id.String)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("duplicated: %w", err)
		}
		args = args[n:]
	}
	for _, id := range others {
		if err := s.logChange(ctx, tx, review.FeedRun, id, ""); err != nil {
			return err
		}
	}
	return nil
}

// Duplicates finds, for each run of ids that has a key, the earliest other
// run of its workflow with the same key, and how that run was decided.
func (s *Store) Duplicates(ctx context.Context, runIDs []string) (map[string]review.Duplicate, error) {
	out := map[string]review.Duplicate{}
	args := make([]any, len(runIDs))
	for i, id := range runIDs {
		args[i] = id
	}
	for len(args) > 0 {
		n := min(len(args), maxRowsPerStatement)
		rows, err := s.r.QueryContext(ctx, duplicatesOf(s.r.pg, n), args[:n]...)
		if err != nil {
			return nil, fmt.Errorf("duplicates: %w", err)
		}
		err = scanDuplicates(rows, out)
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("duplicates: %w", err)
		}
		args = args[n:]
	}
	return out, nil
}

// firstOther is the first other run of run r's workflow with r's key. It
// says the key is not empty, which is what lets the partial index of keys
// answer: without it, every run of the workflow is read, payloads and all.
const firstOther = `(SELECT x.id FROM runs x WHERE x.workflow_id = r.workflow_id AND x.dup_key = r.dup_key AND x.id != r.id AND x.dup_key != ''
	ORDER BY x.created_at, x.id LIMIT 1)`

// duplicatesOf is the query of the first other run with the same key as
// each of n runs.
func duplicatesOf(pg bool, n int) string {
	return `SELECT r.id, r.dup_key, coalesce(k.fields, '[]'), o.id, o.file_name, o.status, o.decision, o.decided_by, o.decided_at,
			CASE WHEN o.created_at < r.created_at OR (o.created_at = r.created_at AND o.id < r.id) THEN 1 ELSE 0 END
		FROM runs r JOIN runs o ON o.id = ` + firstOther + `
		LEFT JOIN duplicate_keys k ON k.workflow_id = r.workflow_id
		WHERE r.dup_key != '' AND r.id IN ` + ids(pg, 1, n)
}

func scanDuplicates(rows *sql.Rows, out map[string]review.Duplicate) error {
	for rows.Next() {
		var id, fields string
		var d review.Duplicate
		var status string
		var decided sql.NullInt64
		var earlier int
		if err := rows.Scan(&id, &d.Key, &fields, &d.RunID, &d.FileName, &status, &d.Decision, &d.DecidedBy, &decided, &earlier); err != nil {
			return err
		}
		if strings.HasPrefix(d.Key, review.ChecksumKeyPrefix) {
			fields = "[]" // keyed by the document before the fields were set
		}
		if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
			return err
		}
		d.Status, d.DecidedAt, d.Earlier = review.Status(status), timeOrNil(decided), earlier == 1
		if d.Fields == nil {
			d.Fields = []string{}
		}
		out[id] = d
	}
	return rows.Err()
}

// withDuplicates sets the Duplicate of each run of a list.
func (s *Store) withDuplicates(ctx context.Context, runs []review.RunSummary) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	dups, err := s.Duplicates(ctx, ids)
	if err != nil {
		return err
	}
	for i := range runs {
		if d, ok := dups[runs[i].ID]; ok {
			runs[i].Duplicate = &d
		}
	}
	return nil
}
