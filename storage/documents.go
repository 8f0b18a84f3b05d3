package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// Document returns what was learnt of a blob; found is false until
// PutDocument has been called for it.
func (s *Store) Document(ctx context.Context, blob string) (doc review.Document, found bool, err error) {
	var raw []byte
	err = s.r.QueryRowContext(ctx, `SELECT kind, pages, error FROM documents WHERE blob = ?`, blob).Scan(&doc.Kind, &raw, &doc.Error)
	if isNoRows(err) {
		return doc, false, nil
	}
	if err != nil {
		return doc, false, fmt.Errorf("document: %w", err)
	}
	var pages [][2]float64
	if err := json.Unmarshal(raw, &pages); err != nil {
		return doc, false, fmt.Errorf("document %s: %w", blob, err)
	}
	for _, p := range pages {
		doc.Pages = append(doc.Pages, review.PageSize{Width: p[0], Height: p[1]})
	}
	return doc, true, nil
}

// PutDocument records a blob's kind and page sizes, or why it could not be
// measured, and takes it off the unmeasured queue.
func (s *Store) PutDocument(ctx context.Context, blob string, doc review.Document) error {
	pages := make([][2]float64, len(doc.Pages))
	for i, p := range doc.Pages {
		pages[i] = [2]float64{p.Width, p.Height}
	}
	raw, _ := json.Marshal(pages)
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (blob, kind, pages, error, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (blob) DO NOTHING`,
			blob, doc.Kind, raw, doc.Error, ms(s.now())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM unmeasured WHERE blob = ?`, blob); err != nil {
			return err
		}
		tx.after = append(tx.after, s.notify) // at the commit, later within Atomically
		return s.tellShowing(ctx, tx, review.FeedDocument, blob, "")
	})
	if err != nil {
		return fmt.Errorf("put document: %w", err)
	}
	return nil
}

// stored puts a blob just stored for a file on the unmeasured queue, unless
// it is measured already (the same bytes stored before).
func stored(ctx context.Context, tx *txn, blob string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO unmeasured (blob) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM documents WHERE blob = ?) ON CONFLICT (blob) DO NOTHING`, blob, blob)
	return err
}

// Unmeasured returns up to limit stored document blobs (fetched, or
// uploaded for a run) that nothing has measured yet.
func (s *Store) Unmeasured(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT blob FROM unmeasured LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("unmeasured: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("unmeasured: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BlobPath returns where a blob's bytes are on disk, for the renderer.
func (s *Store) BlobPath(hash string) (string, error) {
	if !validHash(hash) {
		return "", review.Errorf(review.ENOTFOUND, "no document %q", hash)
	}
	return s.Blobs.local(hash)
}
