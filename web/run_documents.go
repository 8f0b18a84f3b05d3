package web

import (
	"context"
	"os"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// fileDoc is a run's file with what is known of its pages.
type fileDoc struct {
	file    review.File
	sizes   []review.PageSize // known sizes; nil when the document is missing
	turns   map[int]int       // how pages are turned for viewing, by number
	content *Content          // a document without pages: its sheets or text
	asText  string            // why a Word document is shown as its text
	missing string
}

// documents finds each file's page sizes, as learnt when the document
// arrived: the page only reads.
func (s *Server) documents(ctx context.Context, run *review.Run) []fileDoc {
	out := make([]fileDoc, 0, len(run.Files))
	for _, f := range run.Files {
		d := fileDoc{file: f}
		switch {
		case f.Blob != "":
			doc, err := s.document(ctx, f.Blob)
			switch review.ErrorCode(err) {
			case review.EUNPROCESSABLE: // a sentence already
				d.missing = review.ErrorMessage(err)
			case review.EUNAVAILABLE:
				d.missing = "Measuring the document… this page says when it is here."
			default:
				switch {
				case err != nil:
					d.missing = "This document cannot be shown: " + review.ErrorMessage(err)
				case s.contents.Reads(doc.Kind) && len(doc.Pages) == 0:
					d.content, d.missing = s.content(ctx, f.Blob, doc.Kind)
					d.asText = s.contents.AsText(f.Blob, doc.Kind)
				default:
					d.sizes = doc.Pages
					d.turns, _ = s.store.PageTurns(ctx, f.Blob) // unturned if unreadable
				}
			}
		case f.FetchState == review.FileFailed:
			d.missing = "The document could not be fetched from Extend: " + f.FetchError
		default:
			d.missing = "Fetching the document from Extend…"
		}
		out = append(out, d)
	}
	return out
}

// content reads a document without pages, or says why it cannot (the
// server being busy decoding, say).
func (s *Server) content(ctx context.Context, blob, kind string) (*Content, string) {
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return nil, "This document cannot be shown: " + review.ErrorMessage(err)
	}
	d, err := s.contents.Content(ctx, blob, path, kind)
	if err != nil {
		return nil, review.ErrorMessage(err)
	}
	return &d, ""
}

// document is what was learnt of a stored document.
func (s *Server) document(ctx context.Context, blob string) (review.Document, error) {
	doc, found, err := s.store.Document(ctx, blob)
	switch {
	case err != nil:
		return doc, err
	case !found:
		if path, err := s.store.BlobPath(blob); err != nil || !exists(path) {
			return doc, review.Errorf(review.ENOTFOUND, "no document %q", blob)
		}
		return doc, review.Errorf(review.EUNAVAILABLE, "the document is being measured; reload in a moment")
	case doc.Error != "":
		return doc, review.Errorf(review.EUNPROCESSABLE, "%s", doc.Error)
	}
	return doc, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// contentVM lays out a document without pages, with what is to be said of
// how it is shown (asText: why a Word document has no pages).
func contentVM(d Content, asText string) *views.ContentVM {
	vm := &views.ContentVM{Kind: d.Kind, Text: d.Text, CellKiB: d.CellKept >> 10}
	for _, sh := range d.Sheets {
		vm.Sheets = append(vm.Sheets, views.SheetVM{Name: sh.Name, Rows: sh.Rows, Cut: sh.Cut})
	}
	for _, n := range []string{asText, d.Cut} {
		if n != "" {
			vm.Notes = append(vm.Notes, n)
		}
	}
	return vm
}
