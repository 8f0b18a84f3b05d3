package storage

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// DueFiles returns up to limit documents whose next fetch attempt is due.
func (s *Store) DueFiles(ctx context.Context, limit int) ([]review.FileTask, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.attempts, coalesce((SELECT r.api_version FROM run_files rf JOIN runs r ON r.id = rf.run_id WHERE rf.file_id = f.id LIMIT 1), '')
		FROM files f WHERE f.state = 'pending' AND f.next_attempt_at <= ? ORDER BY f.next_attempt_at LIMIT ?`, ms(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("due files: %w", err)
	}
	defer rows.Close()
	var out []review.FileTask
	for rows.Next() {
		var t review.FileTask
		if err := rows.Scan(&t.ID, &t.Attempts, &t.APIVersion); err != nil {
			return nil, fmt.Errorf("due files: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PutFile stores a document's bytes (at most limit) and marks it fetched,
// in a write of its own (the benchmarks and tests); the runs showing it
// are keyed by it by desk (KeyRuns).
func (s *Store) PutFile(ctx context.Context, id string, r io.Reader, limit int64) (hash string, err error) {
	hash, size, err := s.PutBlob(r, limit)
	if err != nil {
		return "", err
	}
	if err := s.KeepFile(ctx, id, hash, size); err != nil {
		return "", err
	}
	return hash, nil
}

// PutBlob stores a document's bytes (at most limit), holding no writer,
// and answers their hash and size. Nothing refers to them until KeepFile:
// bytes stored by a process that stops before are fetched again.
func (s *Store) PutBlob(r io.Reader, limit int64) (hash string, size int64, err error) {
	return s.Blobs.Put(r, limit)
}

// KeepFile marks a file fetched as the blob PutBlob stored, and puts the
// blob on the unmeasured queue unless it is measured. Within Atomically,
// several files are kept in one write.
func (s *Store) KeepFile(ctx context.Context, id, hash string, size int64) error {
	err := s.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO files (id, blob, size, state, error, updated_at) VALUES (?, ?, ?, 'fetched', '', ?)
			ON CONFLICT (id) DO UPDATE SET blob = excluded.blob, size = excluded.size, state = 'fetched', error = '', updated_at = excluded.updated_at`,
			id, hash, size, ms(s.now()))
		if err != nil {
			return err
		}
		tx.after = append(tx.after, s.notify) // at the commit, later within Atomically
		return stored(ctx, tx, hash)
	})
	if err != nil {
		return fmt.Errorf("put file: %w", err)
	}
	return nil
}

// PutRunFile stores a document uploaded for one run's file, for that run
// only, and records who did it in the run's audit trail. A decided run
// keeps the document it was decided on.
func (s *Store) PutRunFile(ctx context.Context, runID, fileID, actor string, r io.Reader, limit int64) (string, error) {
	hash, _, err := s.Blobs.Put(r, limit)
	if err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx *txn) error {
		var decision, status string
		err := tx.QueryRowContext(ctx, `SELECT decision, status FROM runs WHERE id = ?`, runID).Scan(&decision, &status)
		if isNoRows(err) {
			return review.Errorf(review.ENOTFOUND, "no run %q", runID)
		}
		if err != nil {
			return err
		}
		if decision != "" || review.Status(status).Decided() {
			return review.Errorf(review.ECONFLICT, "This run is decided: it keeps the document it was decided on.")
		}
		res, err := tx.ExecContext(ctx, `UPDATE run_files SET blob = ? WHERE run_id = ? AND file_id = ?`, hash, runID, fileID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ENOTFOUND, "run %s has no file %q", runID, fileID)
		}
		if err := stored(ctx, tx, hash); err != nil {
			return err
		}
		now := ms(s.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)`,
			runID, now, actor, review.ActionReplaceDocument, fileID+": sha256 "+hash[:16]); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedEdit, runID, actor)
	})
	if err != nil {
		return "", fmt.Errorf("put run file: %w", err)
	}
	s.notify()
	return hash, nil
}

// FileFailed records a failed fetch. With retryAt zero the file is given up
// on (state failed); otherwise it is tried again then. A file fetched
// meanwhile (uploaded, or fetched by another instance) stays fetched.
func (s *Store) FileFailed(ctx context.Context, id string, reason string, retryAt time.Time) error {
	state, next := review.FileFailed, int64(0)
	if !retryAt.IsZero() {
		state, next = review.FilePending, ms(retryAt)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE files SET state = ?, attempts = attempts + 1, next_attempt_at = ?, error = ?, updated_at = ? WHERE id = ? AND state <> ?`,
		state, next, reason, ms(s.now()), id, review.FileFetched)
	if err != nil {
		return fmt.Errorf("file failed: %w", err)
	}
	return nil
}

// File returns a document's record.
func (s *Store) File(ctx context.Context, id string) (review.File, error) {
	f := review.File{ID: id}
	err := s.r.QueryRowContext(ctx, `SELECT name, type, blob, state, error FROM files WHERE id = ?`, id).Scan(&f.Name, &f.Type, &f.Blob, &f.FetchState, &f.FetchError)
	if isNoRows(err) {
		return f, review.Errorf(review.ENOTFOUND, "no file %q", id)
	}
	if err != nil {
		return f, fmt.Errorf("file: %w", err)
	}
	return f, nil
}

// FileCounts returns how many documents are in each fetch state.
func (s *Store) FileCounts(ctx context.Context) (map[string]int64, error) {
	return s.countBy(ctx, `SELECT state, count(*) FROM files GROUP BY state`)
}
