package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
	"github.com/reviewer-app/reviewer/views"
)

// placeholder is the page size assumed for a document not fetched yet (US
// Letter): its pages are drawn as blank sheets of that shape.
var placeholder = review.PageSize{Width: 612, Height: 792}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) error {
	run, err := s.store.Run(r.Context(), r.PathValue("runID"))
	if err != nil {
		return err
	}
	docs := s.documents(r.Context(), run)
	vm := buildRunPage(run, docs)
	vm.Page = s.page(r, vm.Name, "queue")
	vm.CanUpload = userFrom(r.Context()).Role.AtLeast(review.RoleSupervisor)
	return s.render(w, r, http.StatusOK, views.RunPage(vm))
}

// fileDoc is a run's file with what is known of its pages.
type fileDoc struct {
	file    review.File
	sizes   []review.PageSize // known sizes; nil when the document is missing
	missing string
}

// documents finds each file's page sizes, inspecting a document the first
// time it is shown.
func (s *Server) documents(ctx context.Context, run *review.Run) []fileDoc {
	out := make([]fileDoc, 0, len(run.Files))
	for _, f := range run.Files {
		d := fileDoc{file: f}
		switch {
		case f.Blob != "":
			doc, err := s.document(ctx, f.Blob)
			if err != nil {
				d.missing = "This document cannot be shown: " + review.ErrorMessage(err)
				s.log.Warn("inspect document", "file", f.ID, "err", err)
				break
			}
			d.sizes = doc.Pages
		case f.FetchState == review.FileFailed:
			d.missing = "The document could not be fetched from Extend: " + f.FetchError
		default:
			d.missing = "Fetching the document from Extend…"
		}
		out = append(out, d)
	}
	return out
}

func (s *Server) document(ctx context.Context, blob string) (storage.Document, error) {
	doc, found, err := s.store.Document(ctx, blob)
	if err != nil || found {
		return doc, err
	}
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return doc, err
	}
	if _, err := os.Stat(path); err != nil {
		return doc, review.Errorf(review.ENOTFOUND, "no document %q", blob)
	}
	kind, sizes, err := s.renderer.Inspect(ctx, blob, path)
	if err != nil {
		return doc, err
	}
	doc = storage.Document{Kind: kind, Pages: sizes}
	return doc, s.store.PutDocument(ctx, blob, doc)
}

// buildRunPage lays out a run for the review page: every page of every file
// with the boxes of the fields read from it, and the outputs' fields.
func buildRunPage(run *review.Run, docs []fileDoc) views.RunPageVM {
	vm := views.RunPageVM{Run: run.Summary(), Name: firstNonEmpty(run.Name, runFileName(run), run.ID)}
	vm.Run.Status = run.Status
	// Pages by file id, and the highest page each output references, so a
	// missing document still shows as many blank pages as it has.
	refPages := map[string]int{}
	for _, o := range run.Outputs {
		for _, f := range o.Fields {
			for _, ref := range f.Refs {
				refPages[ref.FileID] = max(refPages[ref.FileID], ref.Page)
			}
		}
	}
	pageOf := map[string][]*views.DocPageVM{}
	sizeOf := map[string][]review.PageSize{}
	index := 0
	for _, d := range docs {
		fv := views.DocFileVM{ID: d.file.ID, Name: d.file.Name, Missing: d.missing}
		sizes := d.sizes
		if sizes == nil {
			n := max(d.file.PageCount, refPages[d.file.ID], 1)
			for range n {
				sizes = append(sizes, review.PageSize{})
			}
		}
		for i, sz := range sizes {
			index++
			shown := sz
			if shown.Width == 0 {
				shown = placeholder
			}
			p := views.DocPageVM{N: i + 1, Index: index, Width: shown.Width, Height: shown.Height}
			if d.sizes != nil {
				p.Image = "/pages/" + d.file.Blob + "/" + strconv.Itoa(i+1)
			}
			fv.Pages = append(fv.Pages, p)
		}
		vm.Files = append(vm.Files, fv)
		sizeOf[d.file.ID] = sizes
	}
	for i := range vm.Files {
		for j := range vm.Files[i].Pages {
			pageOf[vm.Files[i].ID] = append(pageOf[vm.Files[i].ID], &vm.Files[i].Pages[j])
		}
	}
	vm.Pages = index
	place := func(ref review.Ref) (*views.DocPageVM, review.Rect, bool) {
		ps := pageOf[ref.FileID]
		if ref.Page < 1 || ref.Page > len(ps) {
			return nil, review.Rect{}, false
		}
		rect, ok := ref.Fraction(sizeOf[ref.FileID][ref.Page-1])
		return ps[ref.Page-1], rect, ok
	}
	for _, o := range run.Outputs {
		ov := views.OutputVM{ID: o.ID, Type: o.Type, Name: firstNonEmpty(o.Name, string(o.Type)), Class: o.Class, Classes: o.Classes, Splits: o.Splits}
		for _, f := range o.Fields {
			fv := fieldVM(f)
			var where []int
			for _, ref := range f.Refs {
				page, rect, ok := place(ref)
				if !slices.Contains(where, ref.Page) && ref.Page > 0 {
					where = append(where, ref.Page)
				}
				if !ok {
					continue
				}
				fv.Located = true
				page.Boxes = append(page.Boxes, views.BoxVM{Field: f.Path, Rect: rect, Band: fv.Band, Title: boxTitle(f, ref), Container: f.Type.Container() || f.Depth > 0 && strings.HasSuffix(f.Path, "]")})
			}
			fv.Where = whereText(where, fv.Located)
			ov.Fields = append(ov.Fields, fv)
		}
		vm.Outputs = append(vm.Outputs, ov)
	}
	for _, p := range run.Parses {
		for _, b := range p.Blocks {
			if page, rect, ok := place(b.Ref); ok && b.Content != "" {
				page.Blocks = append(page.Blocks, views.BlockVM{ID: b.ID, Text: b.Content, Rect: rect})
			}
		}
	}
	return vm
}

func fieldVM(f review.Field) views.FieldVM {
	fv := views.FieldVM{Field: f, Container: f.Type.Container(), Null: string(f.Value) == "null"}
	fv.Text = valueText(f.Value)
	if c, ok := f.Confidence.Value(); ok {
		fv.Band = band(c)
		fv.Score = strconv.Itoa(int(math.Floor(c*100))) + "%"
	}
	return fv
}

// band names the colour band of a 0..1 confidence.
func band(c float64) string {
	switch {
	case c >= 0.9:
		return "high"
	case c >= 0.7:
		return "mid"
	}
	return "low"
}

func boxTitle(f review.Field, ref review.Ref) string {
	if ref.Text != "" {
		return f.Path + ": " + ref.Text
	}
	return f.Path
}

func whereText(pages []int, located bool) string {
	if len(pages) == 0 {
		return ""
	}
	parts := make([]string, len(pages))
	for i, p := range pages {
		parts[i] = strconv.Itoa(p)
	}
	s := "p. " + strings.Join(parts, ", ")
	if !located {
		s += " (no box)"
	}
	return s
}

// valueText is how a value reads on screen: a string without its quotes,
// numbers exactly as Extend sent them, composite values as compact JSON.
func valueText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // amounts print exactly as sent
	if d.Decode(&v) != nil {
		return string(raw)
	}
	if m, ok := v.(map[string]any); ok {
		if amt, ok := m["amount"]; ok {
			if cur, ok := m["iso_4217_currency_code"].(string); ok {
				return fmt.Sprintf("%v %s", amt, cur)
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func runFileName(run *review.Run) string {
	if len(run.Files) > 0 {
		return run.Files[0].Name
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
