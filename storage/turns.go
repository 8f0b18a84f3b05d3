package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/reviewer-app/reviewer/review"
)

// showing selects the runs whose files show a document (a replacement a
// supervisor uploaded for one run, else the file as fetched).
// Each half reads an index on the hash (files_blob, run_files_blob).
const showing = `SELECT run_id FROM run_files WHERE blob = ? AND blob != ''
	UNION SELECT rf.run_id FROM files f JOIN run_files rf ON rf.file_id = f.id WHERE f.blob = ? AND f.blob != '' AND rf.blob = ''`

// TurnPage turns a page of a document by quarters (clockwise; 3 is a
// quarter back) for everyone who views it, adding to its turn in one
// statement, so two turns at once both count. It notes the turn in the
// audit trail of the run it was made on, tells the pages of every run
// that shows the document, and answers the page's turn in degrees. It
// turns nothing (review.ErrRefused) once the run is decided or someone
// else holds it.
func (s *Store) TurnPage(ctx context.Context, runID, blob string, page, quarters int, actor string) (int, error) {
	var now int
	err := s.write(ctx, func(tx *txn) error {
		// The desk let actor turn the run's pages (review.MayTurn): the
		// run must still be undecided and held by nobody else at the
		// write, and stays so to the commit (PostgreSQL's row lock;
		// SQLite's one writer).
		q := `SELECT id FROM runs WHERE id = ? AND decision = '' AND status NOT IN (` + decidedStatuses + `) AND (claimed_by IN ('', ?) OR claim_expires <= ?)`
		if tx.pg {
			q += ` FOR UPDATE`
		}
		var id string
		err := tx.QueryRowContext(ctx, q, runID, actor, ms(s.now())).Scan(&id)
		if isNoRows(err) {
			return review.ErrRefused
		}
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO page_turns (blob, page, quarters) VALUES (?, ?, ?)
			ON CONFLICT (blob, page) DO UPDATE SET quarters = (page_turns.quarters + excluded.quarters) % 4 RETURNING quarters`, blob, page, quarters).Scan(&now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)`,
			runID, ms(s.now()), actor, review.ActionTurnPage, "page "+strconv.Itoa(page)+" of sha256 "+blob[:min(len(blob), 16)]+": "+strconv.Itoa(now*90)+"°"); err != nil {
			return err
		}
		return s.tellShowing(ctx, tx, review.FeedPage, blob, actor)
	})
	if err != nil {
		return 0, fmt.Errorf("turn page: %w", err)
	}
	s.notify()
	return now * 90, nil
}

// tellShowing adds a change of kind to the feed for every run that shows
// a document.
func (s *Store) tellShowing(ctx context.Context, tx *txn, kind, blob, actor string) error {
	var runs []string
	err := queryRows(ctx, tx, showing, []any{blob, blob}, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		runs = append(runs, id)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range runs {
		if err := s.logChange(ctx, tx, kind, id, actor); err != nil {
			return err
		}
	}
	return nil
}

// PageTurns returns how each page of a document is turned for viewing, in
// degrees clockwise, by page number; pages not turned are left out.
func (s *Store) PageTurns(ctx context.Context, blob string) (map[int]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT page, quarters FROM page_turns WHERE blob = ? AND quarters != 0`, blob)
	if err != nil {
		return nil, fmt.Errorf("page turns: %w", err)
	}
	defer rows.Close()
	turns := map[int]int{}
	for rows.Next() {
		var page, quarters int
		if err := rows.Scan(&page, &quarters); err != nil {
			return nil, fmt.Errorf("page turns: %w", err)
		}
		turns[page] = quarters * 90
	}
	return turns, rows.Err()
}
