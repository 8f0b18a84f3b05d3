package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// The reads and writes of the Extend-compatible API (web/extend_api.go).

// withUpdates applies a run's stored review.RunUpdate to a payload.
func withUpdates(payload []byte, updates sql.NullString) ([]byte, error) {
	if !updates.Valid || updates.String == "" {
		return payload, nil
	}
	var u review.RunUpdate
	if err := json.Unmarshal([]byte(updates.String), &u); err != nil {
		return nil, fmt.Errorf("updates: %w", err)
	}
	return u.Apply(payload)
}

// WorkflowRuns lists a page of runs in the filter's order, after its key,
// and whether more follow. It walks (sort key, id) by an index and reads
// the summary columns and each run's head, never a payload (but for runs
// stored before heads were kept).
func (s *Store) WorkflowRuns(ctx context.Context, f review.WorkflowRunFilter) (runs []review.ListedRun, more bool, err error) {
	col := "updated_at"
	if f.SortBy == "createdAt" {
		col = "created_at"
	}
	dir, op := "DESC", "<"
	if f.Asc {
		dir, op = "ASC", ">"
	}
	where, args := []string{"1 = 1"}, []any{}
	for _, c := range []struct{ col, v string }{{"status", string(f.Status)}, {"workflow_id", f.WorkflowID}, {"batch_id", f.BatchID}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.FileNameContains != "" {
		like := "%" + likePrefix(strings.ToLower(f.FileNameContains)) + "%"
		where = append(where, `(lower(file_name) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM run_files rf JOIN files fl ON fl.id = rf.file_id
			WHERE rf.run_id = runs.id AND lower(fl.name) LIKE ? ESCAPE '\'))`)
		args = append(args, like, like)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "updated_at >= ?"), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "updated_at < ?"), append(args, ms(f.Until))
	}
	if f.After != nil {
		where, args = append(where, "("+col+", id) "+op+" (?, ?)"), append(args, ms(f.After.At), f.After.ID)
	}
	q := `SELECT ` + summaryColumns + `, batch_id, rejection_note, head, CASE WHEN head IS NULL THEN payload END FROM runs WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY ` + col + ` ` + dir + `, id ` + dir + ` LIMIT ?`
	rows, err := s.r.QueryContext(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("workflow runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r review.ListedRun
		var head, payload []byte
		if r.RunSummary, err = scanSummary(rows, &r.BatchID, &r.RejectionNote, &head, &payload); err != nil {
			return nil, false, fmt.Errorf("workflow runs: %w", err)
		}
		r.Head = head
		if head == nil {
			r.Head = review.SummaryHead(payload)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("workflow runs: %w", err)
	}
	if len(runs) > f.Limit {
		return runs[:f.Limit], true, nil
	}
	return runs, false, nil
}

// WorkflowRunBody returns a run as the Extend-compatible API shows it: the
// reviewed payload once decided (what its decision sent on), else the
// payload as Extend sent it, with the run's updates applied either way; and
// its status, which the column, not the payload, holds.
func (s *Store) WorkflowRunBody(ctx context.Context, id string) (body json.RawMessage, status review.Status, apiVersion string, err error) {
	var payload, reviewed []byte
	var updates sql.NullString
	err = s.r.QueryRowContext(ctx, `SELECT status, api_version, payload, reviewed_payload, updates FROM runs WHERE id = ?`, id).
		Scan(&status, &apiVersion, &payload, &reviewed, &updates)
	if isNoRows(err) {
		return nil, "", "", review.Errorf(review.ENOTFOUND, "There is no workflow run %s here.", id)
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("workflow run: %w", err)
	}
	if reviewed != nil {
		payload = reviewed
	}
	if body, err = withUpdates(payload, updates); err != nil {
		return nil, "", "", fmt.Errorf("workflow run %s: %w", id, err)
	}
	return body, status, apiVersion, nil
}

// UpdateRun changes what API callers changed of a run, in one
// transaction that holds the run: next is given the update kept so far and
// the payload as Extend sent it, and returns the update to keep, or an
// error that changes nothing. change goes into the run's audit trail, and
// the run's updatedAt moves.
func (s *Store) UpdateRun(ctx context.Context, runID, actor string, change review.RunUpdate, next func(prev review.RunUpdate, payload json.RawMessage) (review.RunUpdate, error)) error {
	err := s.write(ctx, func(tx *txn) error {
		q := `SELECT payload, updates FROM runs WHERE id = ?`
		if tx.pg {
			q += ` FOR UPDATE` // SQLite's one writer holds it already
		}
		var payload []byte
		var updates sql.NullString
		err := tx.QueryRowContext(ctx, q, runID).Scan(&payload, &updates)
		if isNoRows(err) {
			return review.Errorf(review.ENOTFOUND, "There is no workflow run %s here.", runID)
		}
		if err != nil {
			return err
		}
		var prev review.RunUpdate
		if updates.Valid && updates.String != "" {
			if err := json.Unmarshal([]byte(updates.String), &prev); err != nil {
				return fmt.Errorf("updates: %w", err)
			}
		}
		u, err := next(prev, payload)
		if err != nil {
			return err
		}
		kept, _ := json.Marshal(u)
		after, _ := json.Marshal(change)
		at := ms(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET updates = ?, updated_at = ? WHERE id = ?`, string(kept), at, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, after) VALUES (?, ?, ?, ?, ?)`,
			runID, at, actor, review.ActionAnnotate, after); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedRun, runID, actor)
	})
	if err != nil {
		return fmt.Errorf("update run: %w", err)
	}
	s.notify()
	return nil
}

// FileRecord returns a document's record and when it last changed.
func (s *Store) FileRecord(ctx context.Context, id string) (review.File, time.Time, error) {
	f := review.File{ID: id}
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT name, type, blob, state, error, updated_at FROM files WHERE id = ?`, id).
		Scan(&f.Name, &f.Type, &f.Blob, &f.FetchState, &f.FetchError, &updated)
	if isNoRows(err) {
		return f, time.Time{}, review.Errorf(review.ENOTFOUND, "There is no file %s here.", id)
	}
	if err != nil {
		return f, time.Time{}, fmt.Errorf("file: %w", err)
	}
	return f, fromMS(updated), nil
}

// URLKey returns the key that signs links to stored documents, made on
// first use and kept in the database, so every instance signs and checks
// the same links.
func (s *Store) URLKey(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	if _, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('url-key', ?) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return nil, fmt.Errorf("url key: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'url-key'`).Scan(&key); err != nil {
		return nil, fmt.Errorf("url key: %w", err)
	}
	return key, nil
}

// OutputRun returns the id of the run holding a processor output (exr_,
// clr_, splr_, dpr_), "" when no run here does.
func (s *Store) OutputRun(ctx context.Context, outputID string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT run_id FROM run_outputs WHERE output_id = ?`, outputID).Scan(&id)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("output run: %w", err)
	}
	return id, nil
}
