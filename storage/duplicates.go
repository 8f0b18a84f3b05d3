package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// rekeyBatch is how many runs a change of a workflow's key fields re-keys
// per write transaction: each is decoded, and the one writer must not be
// held while thousands are.
const rekeyBatch = 200

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

// SetDuplicateKeys sets a workflow's duplicate key fields (none: the
// file's checksum), recorded in the admin log, and keys its runs again, a
// batch at a time: a run arriving meanwhile is keyed by the new fields.
func (s *Store) SetDuplicateKeys(ctx context.Context, workflowID string, fields []string, actor string) error {
	if err := review.CheckDuplicateFields(fields); err != nil {
		return err
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	now := ms(s.now())
	err = s.write(ctx, func(tx *txn) error {
		if len(fields) == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM duplicate_keys WHERE workflow_id = ?`, workflowID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO duplicate_keys (workflow_id, fields, updated_at, updated_by) VALUES (?, ?, ?, ?)
				ON CONFLICT (workflow_id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				workflowID, string(b), now, actor)
		}
		if err != nil {
			return err
		}
		if len(fields) == 0 { // the checksum is worked out in SQL, all at once
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET dup_key = `+checksumKey+` WHERE workflow_id = ?`, workflowID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO admin_log (at, actor, action, target) VALUES (?, ?, ?, ?)`,
			now, actor, fmt.Sprintf("set the duplicate key to %s", keyWords(fields)), workflowID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set duplicate keys: %w", err)
	}
	if len(fields) == 0 {
		return nil
	}
	for after := ""; ; {
		last, err := s.rekey(ctx, workflowID, fields, after)
		if err != nil || last == "" {
			return err
		}
		after = last
	}
}

func keyWords(fields []string) string {
	if len(fields) == 0 {
		return "the file's checksum"
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

// rekey keys the next batch of a workflow's runs after the id after by
// fields, and returns the last id it keyed ("" when none was left).
func (s *Store) rekey(ctx context.Context, workflowID string, fields []string, after string) (string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, payload FROM runs WHERE workflow_id = ? AND id > ? ORDER BY id LIMIT ?`, workflowID, after, rekeyBatch)
	if err != nil {
		return "", fmt.Errorf("rekey: %w", err)
	}
	var args []any
	last := ""
	for rows.Next() {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			rows.Close()
			return "", fmt.Errorf("rekey: %w", err)
		}
		last = id
		key := ""
		if run, err := review.DecodeRun(payload); err == nil {
			key = review.DuplicateKey(run, fields)
		}
		args = append(args, key, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("rekey: %w", err)
	}
	if last == "" {
		return "", nil
	}
	err = s.write(ctx, func(tx *txn) error {
		st, err := tx.prepare(ctx, `UPDATE runs SET dup_key = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := 0; i < len(args); i += 2 {
			if _, err := st.exec(ctx, args[i], args[i+1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("rekey: %w", err)
	}
	return last, nil
}

// checksumKey is a run's key by its first document: the one uploaded for
// the run if any, else the one fetched; empty until one is stored.
const checksumKey = `coalesce((SELECT '` + review.ChecksumKeyPrefix + `' || CASE WHEN rf.blob != '' THEN rf.blob ELSE f.blob END
	FROM run_files rf JOIN files f ON f.id = rf.file_id
	WHERE rf.run_id = runs.id AND (rf.blob != '' OR f.blob != '') ORDER BY rf.position LIMIT 1), '')`

// byChecksum selects the runs of workflows keyed by their documents.
const byChecksum = `NOT EXISTS (SELECT 1 FROM duplicate_keys k WHERE k.workflow_id = runs.workflow_id)`

// keyByChecksum keys the runs of ids that their workflows key by their
// documents.
func keyByChecksum(ctx context.Context, tx *txn, runIDs []any) error {
	for len(runIDs) > 0 {
		n := min(len(runIDs), maxRowsPerStatement)
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET dup_key = `+checksumKey+` WHERE id IN `+ids(tx.pg, 1, n)+` AND `+byChecksum, runIDs[:n]...); err != nil {
			return err
		}
		runIDs = runIDs[n:]
	}
	return nil
}

// keyFileRuns keys again, by checksum, the runs of a document just stored,
// and adds to the feed those that now share their key, with the earliest
// other run of it: the document arrives after its run, so this is when a
// run keyed by its file becomes a duplicate.
func (s *Store) keyFileRuns(ctx context.Context, tx *txn, fileID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET dup_key = `+checksumKey+` WHERE id IN (SELECT run_id FROM run_files WHERE file_id = ?) AND `+byChecksum, fileID); err != nil {
		return err
	}
	var shared []string
	err := queryRows(ctx, tx, `SELECT r.id FROM runs r WHERE r.id IN (SELECT run_id FROM run_files WHERE file_id = ?) AND r.dup_key != ''
		AND EXISTS (SELECT 1 FROM runs x WHERE x.workflow_id = r.workflow_id AND x.dup_key = r.dup_key AND x.id != r.id)`, []any{fileID}, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		shared = append(shared, id)
		return s.logChange(ctx, tx, review.FeedRun, id, "")
	})
	if err != nil {
		return err
	}
	return s.logDuplicated(ctx, tx, shared)
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
