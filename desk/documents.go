package desk

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/reviewer-app/reviewer/review"
)

// Measure measures a stored document once, when it arrives, and keeps what
// was learnt, or the sentence saying why it cannot be shown: pages that
// show it then only read. A failure that may pass (an internal error) is
// returned and kept nowhere, so a later call tries again.
func (d *Desk) Measure(ctx context.Context, blob string) (review.Document, error) {
	if doc, found, err := d.store.Document(ctx, blob); err != nil || found {
		return doc, err
	}
	doc, err := d.inspect(ctx, blob)
	if err != nil {
		return review.Document{}, err
	}
	return doc, d.store.PutDocument(ctx, blob, doc)
}

// inspect measures a stored document: what it is and its pages, or the
// sentence saying why it cannot be shown. A failure that may pass (an
// internal error) is returned.
func (d *Desk) inspect(ctx context.Context, blob string) (review.Document, error) {
	path, err := d.store.BlobPath(blob)
	if err != nil {
		return review.Document{}, err
	}
	if d.measure == nil {
		return review.Document{}, review.Errorf(review.EUNAVAILABLE, "nothing here measures documents")
	}
	kind, pages, err := d.measure.Inspect(ctx, blob, path)
	doc := review.Document{Kind: kind, Pages: pages}
	switch code := review.ErrorCode(err); {
	case err == nil:
	case code == review.EINTERNAL || ctx.Err() != nil:
		return review.Document{}, err
	case code == review.EUNPROCESSABLE:
		doc = review.Document{Error: review.ErrorMessage(err)}
	default:
		doc = review.Document{Error: "This document cannot be shown: " + review.ErrorMessage(err)}
	}
	return doc, nil
}

// DrawFirst draws page one of a measured document that can be shown, so
// that the first look at it is a read of a file, not a wait for PDFium. It
// is apart from Measure, for drawing costs ten times measuring: whoever
// measures many documents draws when there is time. A page that cannot be
// drawn says so when it is asked for; only a stop is returned.
func (d *Desk) DrawFirst(ctx context.Context, blob string) error {
	doc, found, err := d.store.Document(ctx, blob)
	if err != nil || !found || len(doc.Pages) == 0 || doc.Error != "" || d.measure == nil {
		return err
	}
	path, err := d.store.BlobPath(blob)
	if err != nil {
		return err
	}
	if err := d.measure.DrawFirst(ctx, blob, path, doc.Kind); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// Sizer tells the displayed size of a page of a run's file, from what was
// learnt of the document; zero when unknown.
func (d *Desk) Sizer(ctx context.Context, run *review.Run) review.PageSizer {
	blobs := map[string]string{}
	for _, f := range run.Files {
		blobs[f.ID] = f.Blob
	}
	return func(fileID string, page int) review.PageSize {
		doc, found, err := d.store.Document(ctx, blobs[fileID])
		if err != nil || !found || page < 1 || page > len(doc.Pages) {
			return review.PageSize{}
		}
		return doc.Pages[page-1]
	}
}

// pages counts the pages of a run's documents: as measured where known,
// as Extend said otherwise.
func (d *Desk) pages(ctx context.Context, run *review.Run) int {
	n := 0
	for _, f := range run.Files {
		if doc, found, err := d.store.Document(ctx, f.Blob); err == nil && found {
			n += len(doc.Pages)
		} else {
			n += f.PageCount
		}
	}
	return n
}

// ReplaceFile keeps a document a supervisor uploaded for one run's file,
// for that run only, with who did it in the run's audit trail (a decided
// run keeps the document it was decided on), keys the run by it if its
// workflow keys runs by their documents, and measures it.
func (d *Desk) ReplaceFile(ctx context.Context, runID, fileID, actor string, r io.Reader, limit int64) error {
	hash, err := d.store.PutRunFile(ctx, runID, fileID, actor, r, limit)
	if err != nil {
		return err
	}
	if err := d.keyByDocuments(ctx, []string{runID}); err != nil {
		return err
	}
	if _, err := d.Measure(ctx, hash); err != nil {
		return err
	}
	// One upload at a time: page one is drawn before the answer.
	return d.DrawFirst(ctx, hash)
}

// TurnPage turns a page of a run's document a quarter for everyone who
// views it (clockwise, or back), as a view: no output changes. Whoever may
// edit the run may turn its pages (review.MayTurn); the turn adds to the
// page's turn, so two at once both count, and is audited and told to the
// run's other viewers. It answers the page's turn in degrees.
func (d *Desk) TurnPage(ctx context.Context, runID string, by *review.User, blob string, page int, clockwise bool) (int, error) {
	run, err := d.store.Run(ctx, runID)
	if err != nil {
		return 0, err
	}
	if !slices.ContainsFunc(run.Files, func(f review.File) bool { return f.Blob == blob }) {
		return 0, review.Errorf(review.ENOTFOUND, "run %s does not show the document %q", runID, blob)
	}
	doc, found, err := d.store.Document(ctx, blob)
	switch {
	case err != nil:
		return 0, err
	case !found || doc.Error != "":
		return 0, review.Errorf(review.ECONFLICT, "The document is not measured yet: its pages turn once they are shown.")
	case page < 1 || page > len(doc.Pages):
		return 0, review.Errorf(review.ENOTFOUND, "the document has %d pages, not %d", len(doc.Pages), page)
	}
	rv, err := d.store.Review(ctx, runID)
	if err != nil {
		return 0, err
	}
	if err := review.MayTurn(run.Status, rv, by.Email, d.now()); err != nil {
		return 0, err
	}
	quarters := 1
	if !clockwise {
		quarters = 3
	}
	turn, err := d.store.TurnPage(ctx, runID, blob, page, quarters, by.Email)
	if errors.Is(err, review.ErrRefused) {
		// Decided or claimed by someone else since: say which.
		run, rerr := d.store.Run(ctx, runID)
		if rerr == nil {
			rv, rerr = d.store.Review(ctx, runID)
		}
		if rerr == nil {
			if why := review.MayTurn(run.Status, rv, by.Email, d.now()); why != nil {
				return 0, why
			}
		}
	}
	return turn, err
}
