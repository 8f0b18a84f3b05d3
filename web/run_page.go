package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// placeholder is the page size assumed for a document not fetched yet (US
// Letter): its pages are drawn as blank sheets of that shape.
var placeholder = review.PageSize{Width: 612, Height: 792}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) error {
	if blind, err := s.awaitsBlindCheck(r); err != nil {
		return err
	} else if blind {
		http.Redirect(w, r, string(views.Path("qa", r.PathValue("runID"))), http.StatusSeeOther)
		return nil
	}
	vm, err := s.runView(r, true)
	var broken brokenDraft
	if errors.As(err, &broken) {
		return s.showBrokenDraft(w, r, broken.run, broken.err)
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, views.RunPage(vm))
}

// runFragments answers the parts of the review page a change touches, as
// the page renders them: the page swaps them in place when the run changed
// (a watcher seeing the holder's edits, a claim released). It only reads.
func (s *Server) runFragments(w http.ResponseWriter, r *http.Request) error {
	blind, err := s.awaitsBlindCheck(r)
	if err != nil {
		return err
	}
	vm, err := s.runView(r, false)
	if errors.As(err, new(brokenDraft)) {
		return review.Errorf(review.ECONFLICT, "This run's saved changes no longer apply: reload the page.")
	}
	if err != nil {
		return err
	}
	f, err := fragmentsOf(r.Context(), vm)
	if err != nil {
		return err
	}
	if blind {
		// Decided and drawn for a blind QA check while someone watched:
		// the header follows the decision, the reviewed values stay away
		// from whoever may check them.
		var b strings.Builder
		if err := views.BlindNotice(vm.Run.ID, f.Locked).Render(r.Context(), &b); err != nil {
			return err
		}
		f = fragments{Version: f.Version, Decision: f.Decision, Status: f.Status, Notices: b.String(), Locked: f.Locked,
			Outputs: map[string]string{}, Pages: map[string]string{}}
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// runView lays out a run as the signed-in person sees it. With claim (the
// page opened), the run is claimed for them if they may work on it;
// otherwise it is editable only if they hold it.
func (s *Server) runView(r *http.Request, claim bool) (views.RunPageVM, error) {
	ctx := r.Context()
	opened, err := s.desk.Open(ctx, r.PathValue("runID"))
	if errors.Is(err, desk.ErrBrokenDraft) {
		return views.RunPageVM{}, brokenDraft{opened.Run, err}
	}
	if err != nil {
		return views.RunPageVM{}, err
	}
	run, rv, current := opened.Run, opened.Review, opened.Current
	docs := s.documents(ctx, run)
	audit, err := s.store.Audit(ctx, run.ID)
	if err != nil {
		return views.RunPageVM{}, err
	}
	vm := buildRunPage(run, current, docs, rowWindows(r.URL.Query()["rows"]))
	vm.Page = s.page(r, vm.Name, "queue")
	user := userFrom(ctx)
	vm.CanUpload = user.Role.AtLeast(review.RoleSupervisor)
	vm.CanReopen = user.Role.AtLeast(review.RoleAdmin)
	vm.Review, vm.Audit = rv, audit
	vm.Metadata = views.Metadata(run.Raw)
	if vm.Sent, err = s.store.RunCalls(ctx, run.ID); err != nil {
		return views.RunPageVM{}, err
	}
	if rv.Decision != "" {
		vm.Checks = decidedChecks(audit)
	} else if vm.Checks, err = s.desk.Check(ctx, current); err != nil {
		return views.RunPageVM{}, err
	}
	vm.CanOverride = user.Role.AtLeast(review.RoleSupervisor)
	markRules(vm.Outputs, vm.Checks)
	switch {
	case rv.Decision != "":
		vm.Locked = fmt.Sprintf("%s by %s on %s.", strings.ToUpper(rv.Decision[:1])+rv.Decision[1:], vm.People.Name(rv.DecidedBy), rv.DecidedAt.Format("2 Jan 2006 15:04 UTC"))
		// The header's pill has room for the start of a note only.
		if rv.Note != "" {
			vm.Locked = strings.TrimSuffix(vm.Locked, ".") + ": " + rv.Note
		}
	case run.Status != review.StatusNeedsReview:
		vm.Locked = "Extend reports this run " + string(run.Status) + ": it is not waiting for review, so it is shown read-only."
	case rv.Hold.Kind == review.HoldEscalated && !user.Role.AtLeast(review.RoleSupervisor):
		vm.Locked = "A supervisor decides this run now; you can read it but not change it."
	case claim:
		// Opening a run for editing claims it; the page keeps the claim alive.
		if c, err := s.desk.ClaimFor(ctx, run.ID, user); err != nil {
			if review.ErrorCode(err) != review.ECONFLICT {
				return views.RunPageVM{}, err
			}
			vm.Locked, vm.HeldBy = review.ErrorMessage(err), c.By
			if c.By != "" {
				vm.Locked = vm.People.Name(c.By) + " is working on this run; you can read it but not change it."
			}
		} else {
			vm.Editable = true
		}
	case rv.Claim.HeldByOther(user.Email, s.now()):
		vm.Locked, vm.HeldBy = vm.People.Name(rv.Claim.By)+" is working on this run now; you can read it but not change it.", rv.Claim.By
	case rv.Claim.By != user.Email || !rv.Claim.Expires.After(s.now()):
		vm.Locked = "You no longer hold this run: it was released. Open it again to go on working on it."
	default:
		vm.Editable = true
	}
	vm.CanTakeOver = vm.HeldBy != "" && user.Role.AtLeast(review.RoleSupervisor)
	if rv.Decision == "" && rv.Hold.Active(s.now()) {
		vm.Hold = rv.Hold
		vm.CanResume = rv.Hold.Kind == review.HoldPostponed || user.Role.AtLeast(review.RoleSupervisor)
	}
	vm.Frame = views.Frame{
		Scripts: []string{"js/viewer.js", "js/editor.js", "js/run.js", "js/active.js"}, BodyClass: "review", MainClass: "review-main",
		Body: templ.Attributes{"data-me": user.DisplayName(), "data-me-email": user.Email, "data-run-id": run.ID,
			"data-version": strconv.Itoa(rv.Version), "data-editable": strconv.FormatBool(vm.Editable)},
		SkipTo: "#fields", SkipLabel: "Skip to the first field",
	}
	for i := range vm.Outputs {
		vm.Outputs[i].Editable = vm.Editable && vm.Outputs[i].Editable
	}
	vm.Edited = changes(run, rv.Edits)
	return vm, nil
}

// changes counts the reviewer's changes that stand: saved edits whose value
// is not the model's. Moving a row is one change (of the list), not one for
// every cell that now reads differently at its index.
func changes(run *review.Run, edits []review.Edit) int {
	n := 0
	for _, e := range edits {
		o := run.Output(e.OutputID)
		if o == nil {
			continue
		}
		if m, ok := o.Model(e.Path); !ok || !review.SameValue(m, e.Value) {
			n++
		}
	}
	return n
}

// fragments are the parts of the review page that follow the run: each
// output's section, the marks over each page, the header's status, the
// notices and the history.
type fragments struct {
	Version  int               `json:"version"`
	Editable bool              `json:"editable"`
	Locked   string            `json:"locked,omitempty"`
	Edited   int               `json:"edited"`             // fields changed from the model's values
	Outputs  map[string]string `json:"outputs"`            // output id → its section
	Pages    map[string]string `json:"pages"`              // page element id → its marks
	Status   string            `json:"status"`             // the header's status and decision
	Notices  string            `json:"notices"`            // why it is locked, cross-field checks
	Thumbs   string            `json:"thumbs"`             // the pages in small, with their sub-documents
	Audit    string            `json:"audit"`              // the history
	Decision string            `json:"decision,omitempty"` // approved or rejected, when decided
}

func fragmentsOf(ctx context.Context, vm views.RunPageVM) (fragments, error) {
	f := fragments{Version: vm.Review.Version, Editable: vm.Editable, Locked: vm.Locked, Edited: vm.Edited, Decision: vm.Review.Decision,
		Outputs: map[string]string{}, Pages: map[string]string{}}
	var b strings.Builder
	render := func(c templ.Component) (string, error) {
		b.Reset()
		err := c.Render(ctx, &b)
		return b.String(), err
	}
	var err error
	for _, o := range vm.Outputs {
		if f.Outputs[o.ID], err = render(views.OutputSection(o)); err != nil {
			return f, err
		}
	}
	for _, file := range vm.Files {
		for _, p := range file.Pages {
			if f.Pages[views.PageID(file.ID, p.N)], err = render(views.PageMarks(p)); err != nil {
				return f, err
			}
		}
	}
	if f.Status, err = render(views.RunStatus(vm)); err != nil {
		return f, err
	}
	if f.Notices, err = render(views.RunNotices(vm)); err != nil {
		return f, err
	}
	if f.Thumbs, err = render(views.Thumbs(vm.Files)); err != nil {
		return f, err
	}
	f.Audit, err = render(views.AuditTrail(vm.Audit, vm.People))
	return f, err
}

// brokenDraft is a run whose saved changes no longer apply.
type brokenDraft struct {
	run *review.Run
	err error
}

func (b brokenDraft) Error() string { return b.err.Error() }
func (b brokenDraft) Unwrap() error { return b.err }

// brokenDraft says why a run cannot be shown when its saved changes no
// longer apply, and offers an admin the way back.
func (s *Server) showBrokenDraft(w http.ResponseWriter, r *http.Request, run *review.Run, err error) error {
	s.log.Error("draft does not apply", "run", run.ID, "err", err)
	vm := views.ErrorPageVM{Page: s.page(r, "This run cannot be shown", "queue"), Status: http.StatusConflict,
		Message: "Its saved changes no longer apply to the run Extend sent (" + review.ErrorMessage(err) + "). An admin can discard the changes to show the model's values again."}
	if userFrom(r.Context()).Role.AtLeast(review.RoleAdmin) {
		vm.Action, vm.ActionLabel = views.Path("runs", run.ID, "discard"), "Discard the saved changes"
	}
	return s.render(w, r, http.StatusConflict, views.ErrorPage(vm))
}

// window is the rows of a long list shown from first (0-based), with the
// links to the rows before and after.
func window(runID, list string, first, total int) *views.RowWindow {
	first = min(first, (total-1)/pageRows*pageRows)
	w := &views.RowWindow{From: first + 1, To: min(first+pageRows, total), Total: total}
	link := func(from int) templ.SafeURL {
		return views.Path("runs", runID) + templ.SafeURL("?rows="+url.QueryEscape(list+"@"+strconv.Itoa(from)))
	}
	if first > 0 {
		w.Prev = link(first - pageRows)
	}
	if first+pageRows < total {
		w.Next = link(first + pageRows)
	}
	return w
}

// fileDoc is a run's file with what is known of its pages.
type fileDoc struct {
	file    review.File
	sizes   []review.PageSize // known sizes; nil when the document is missing
	turns   map[int]int       // how pages are turned for viewing, by number
	content *content.Doc      // a document without pages: its sheets or text
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
				case content.Is(doc.Kind) && len(doc.Pages) == 0:
					d.content, d.missing = s.content(ctx, f.Blob, doc.Kind)
					if doc.Kind == content.KindDOCX {
						d.asText = s.renderer.AsText(f.Blob)
					}
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
func (s *Server) content(ctx context.Context, blob, kind string) (*content.Doc, string) {
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return nil, "This document cannot be shown: " + review.ErrorMessage(err)
	}
	d, err := s.renderer.Content(ctx, blob, path, kind)
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

// pageRows is how many rows of a list the review page shows at once: a
// table of 20,000 rows is shown a hundred rows at a time, so the page stays
// small whatever the run holds.
const pageRows = 100

// rowWindows reads the page's "rows" parameters, each "PATH@FIRST": which
// rows of which list are shown (the first hundred by default).
func rowWindows(params []string) map[string]int {
	out := map[string]int{}
	for _, p := range params {
		if i := strings.LastIndexByte(p, '@'); i > 0 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil && n >= 0 {
				out[p[:i]] = n - n%pageRows
			}
		}
	}
	return out
}

// rowIndex returns the row of list that path lies in, or -1.
func rowIndex(list, path string) int {
	rest, ok := strings.CutPrefix(path, list+"[")
	if !ok {
		return -1
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

// buildRunPage lays out a run for the review page: every page of every file
// with the boxes of the fields read from it, and the outputs' fields. Of a
// top-level list longer than pageRows, only the window of rows chosen in
// windows is laid out.
func buildRunPage(orig, run *review.Run, docs []fileDoc, windows map[string]int) views.RunPageVM {
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
		if d.content != nil {
			index++
			fv.Pages = append(fv.Pages, views.DocPageVM{N: 1, Index: index, Content: views.Content(*d.content, d.asText)})
			vm.Files = append(vm.Files, fv)
			sizeOf[d.file.ID] = []review.PageSize{{}}
			continue
		}
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
			p := views.DocPageVM{N: i + 1, Index: index, Width: shown.Width, Height: shown.Height, Turn: d.turns[i+1]}
			if p.Turn%180 == 90 {
				p.Width, p.Height = p.Height, p.Width
			}
			if d.sizes != nil {
				p.Image = string(views.Path("pages", d.file.Blob, strconv.Itoa(i+1)))
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
		if len(ps) == 1 && ps[0].Content != nil {
			return ps[0], review.Rect{}, false // no positions in a sheet or a text: its text is looked for
		}
		if ref.Page < 1 || ref.Page > len(ps) {
			return nil, review.Rect{}, false
		}
		rect, ok := ref.Fraction(sizeOf[ref.FileID][ref.Page-1])
		page := ps[ref.Page-1]
		return page, rect.Turned(page.Turn), ok
	}
	for _, o := range run.Outputs {
		ov := views.OutputVM{ID: o.ID, Type: o.Type, Name: firstNonEmpty(o.Name, string(o.Type)), Class: o.Class, Classes: o.Classes, Splits: o.Splits,
			Editable: o.Location != nil}
		model := orig.Output(o.ID)
		switch o.Type {
		case review.OutputClassify:
			ov.ClassChoices = classChoices(o)
			if model != nil && model.Class != nil && (o.Class == nil || o.Class.ID != model.Class.ID || o.Class.Type != model.Class.Type) {
				ov.ClassWas = model.Class.Type
			}
		case review.OutputSplitter:
			ov.SplitTypes, ov.Pages = o.Classes, vm.Pages
			ov.KnownTypes, ov.SplitNotes = review.SplitTypes(&o, model), review.SplitNotes(&o, model, vm.Pages)
			if model != nil {
				a, _ := json.Marshal(o.Splits)
				b, _ := json.Marshal(model.Splits)
				ov.SplitsEdited = !review.SameValue(a, b)
			}
		}
		var list *views.FieldVM       // the top-level list being laid out, if paged
		origins := map[string][]int{} // per top-level list, the model's row each row came from
		for _, f := range o.Fields {
			if f.Depth == 0 {
				list = nil
			} else if list != nil {
				if row := rowIndex(list.Path, f.Path); row < list.Window.From-1 || row >= list.Window.To {
					continue
				}
			}
			fv := fieldVM(f)
			fv.OutputID = o.ID
			fv.Original = fv.Text
			if model != nil {
				// Compared only for the rows shown: the model's value of
				// every cell of a long list is not. A row is compared with
				// the model's row it came from, so a row inserted or moved
				// leaves the rows after it unmarked.
				if f.Depth == 0 && f.Type == review.TypeArray {
					if ml, ok := model.Field(f.Path); ok {
						origins[f.Path] = review.RowOrigins(f.Value, ml.Value)
					}
				}
				top, _, _ := strings.Cut(f.Path, "[")
				var mf *review.Field
				p, inModel := review.RowPath(origins[top], top, f.Path)
				if inModel {
					mf, inModel = model.Field(p)
				}
				switch {
				case inModel:
					fv.Original, fv.Edited = review.Text(mf.Value), !review.SameValue(mf.Value, f.Value)
				default:
					// A cell of a row added is changed once it holds something.
					fv.Original, fv.Edited = "(not there)", len(f.Value) > 0 && !review.SameValue(f.Value, []byte("null"))
				}
			}
			if f.Depth == 0 && f.Type == review.TypeArray {
				if n := review.Len(f.Value); n > pageRows {
					fv.Window = window(run.ID, f.Path, windows[f.Path], n)
					list = &fv
				}
			}
			var where []int
			for _, ref := range f.Refs {
				page, rect, ok := place(ref)
				if !slices.Contains(where, ref.Page) && ref.Page > 0 {
					where = append(where, ref.Page)
				}
				box := views.BoxVM{Field: f.Path, Rect: rect, Band: fv.Band, Title: boxTitle(f, ref), Container: f.Type.Container() || f.Depth > 0 && strings.HasSuffix(f.Path, "]")}
				switch {
				case ok:
					fv.Located = true
				case page != nil && ref.Text != "":
					box.Find = ref.Text // the viewer looks for it on the page
				default:
					continue
				}
				page.Boxes = append(page.Boxes, box)
			}
			fv.Where = whereText(where, fv.Located)
			// Attention: what the model was unsure of (a low or middling
			// score, an issue it raised, a scored value it could not place),
			// not every cell it gave no score.
			fv.Attention = fv.Band == "low" || fv.Band == "mid" || (!fv.Located && !fv.Container && fv.Band != "") || hasIssue(f) || f.Unreadable != ""
			ov.Fields = append(ov.Fields, fv)
			if list != nil && list.Path == f.Path {
				list = &ov.Fields[len(ov.Fields)-1]
			}
		}
		ov.Fields = foldGrids(ov.Fields)
		vm.Outputs = append(vm.Outputs, ov)
		vm.Warnings = append(vm.Warnings, sumWarnings(o)...)
	}
	for _, o := range run.Outputs {
		if o.Type == review.OutputSplitter {
			markSplits(vm.Files, o.Splits)
		}
	}
	// The text layer: a page's OCR words where Extend returned them (a
	// scan, word by word), its parsed blocks otherwise.
	worded := map[*views.DocPageVM]bool{}
	for _, p := range run.Parses {
		for _, w := range p.Words {
			if page, rect, ok := place(w.Ref); ok && w.Content != "" {
				worded[page] = true
				title := ""
				if w.Confidence > 0 {
					title = fmt.Sprintf("%s: read with %.0f%% confidence", w.Content, w.Confidence*100)
				}
				page.Blocks = append(page.Blocks, views.BlockVM{ID: p.ID + "-" + w.ID, Text: w.Content, Rect: rect, Title: title})
			}
		}
	}
	for _, p := range run.Parses {
		for _, b := range p.Blocks {
			if page, rect, ok := place(b.Ref); ok && b.Content != "" && !worded[page] {
				page.Blocks = append(page.Blocks, views.BlockVM{ID: b.ID, Text: b.Content, Rect: rect})
			}
			// A workbook's parsed cells are marked in its grid.
			if ps := pageOf[b.Ref.FileID]; b.Cell != "" && len(ps) == 1 && ps[0].Content != nil {
				ps[0].Content.MarkParsed(b.Sheet, b.Cell, b.Formula)
			}
		}
	}
	return vm
}

// foldGrids lays out each top-level list of records as a grid: the list's
// field carries the rows and their cells, which leave the flat list. A list
// holding lists, or rows that are not records, stays flat.
func foldGrids(fields []views.FieldVM) []views.FieldVM {
	out := fields[:0:0]
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		out = append(out, f)
		if f.Depth != 0 || f.Type != review.TypeArray {
			continue
		}
		end := i + 1
		for end < len(fields) && fields[end].Depth > 0 && strings.HasPrefix(fields[end].Path, f.Path+"[") {
			end++
		}
		if g := grid(f.Path, fields[i+1:end]); g != nil {
			out[len(out)-1].Grid = g
			i = end - 1
		}
	}
	return out
}

// grid makes the table of list's rows, or nil if they are not records of
// plain fields.
func grid(list string, below []views.FieldVM) *views.GridVM {
	g := &views.GridVM{}
	column := map[string]int{}
	for _, f := range below {
		switch {
		case f.Depth == 1:
			if f.Type != review.TypeObject {
				return nil
			}
			row := f
			row.Label = "Row " + strconv.Itoa(f.Row+1)
			g.Rows = append(g.Rows, views.GridRowVM{Row: row})
		case f.Type == review.TypeArray || len(g.Rows) == 0:
			return nil
		case f.Container:
		default:
			r := &g.Rows[len(g.Rows)-1]
			key := f.Path[len(r.Row.Path):]
			c, ok := column[key]
			if !ok {
				c = len(g.Columns)
				column[key] = c
				g.Columns = append(g.Columns, views.ColumnVM{Key: key, Label: views.Label(strings.ReplaceAll(strings.TrimPrefix(key, "."), ".", " ")), Title: f.Description, Type: f.Type})
			}
			cell := f
			cell.AriaLabel = g.Columns[c].Label + ", " + strings.ToLower(r.Row.Label)
			for len(r.Cells) <= c {
				r.Cells = append(r.Cells, nil)
			}
			r.Cells[c] = &cell
			r.Attention = r.Attention || cell.Attention
		}
	}
	if len(g.Rows) == 0 || len(g.Columns) == 0 {
		return nil
	}
	for i := range g.Rows {
		for len(g.Rows[i].Cells) < len(g.Columns) {
			g.Rows[i].Cells = append(g.Rows[i].Cells, nil)
		}
	}
	return g
}

// markSplits marks each page with the sub-document it belongs to, and
// names the sub-document on its first page.
func markSplits(files []views.DocFileVM, splits []review.Split) {
	for i, sp := range splits {
		for f := range files {
			if sp.FileID != "" && files[f].ID != sp.FileID || sp.FileID == "" && f > 0 {
				continue
			}
			for p := range files[f].Pages {
				page := &files[f].Pages[p]
				if page.N < sp.StartPage || page.N > sp.EndPage {
					continue
				}
				page.Split = i + 1
				if page.N == sp.StartPage {
					page.SplitLabel = strconv.Itoa(i+1) + " · " + sp.Type
				}
			}
		}
	}
}

func fieldVM(f review.Field) views.FieldVM {
	fv := views.FieldVM{Field: f, Container: f.Type.Container(), Null: string(f.Value) == "null", Row: -1, Label: views.Label(f.Name)}
	fv.Text = review.Text(f.Value)
	if c, ok := f.Confidence.Value(); ok {
		fv.Band = views.Band(c)
		fv.Score = views.Percent(c)
	}
	if strings.HasSuffix(f.Path, "]") {
		i := strings.LastIndex(f.Path, "[")
		fv.List = f.Path[:i]
		fv.Row, _ = strconv.Atoi(f.Path[i+1 : len(f.Path)-1])
	}
	switch f.Type {
	case review.TypeBoolean:
		fv.Choices = []views.Choice{{Value: "", Label: "—", Selected: fv.Null}, {Value: "true", Label: "Yes", Selected: fv.Text == "true"}, {Value: "false", Label: "No", Selected: fv.Text == "false"}}
	case review.TypeEnum:
		fv.Choices = []views.Choice{{Value: "", Label: "— empty —", Selected: fv.Null}}
		found := fv.Null
		for _, o := range f.Enum {
			if o.Value == nil {
				continue
			}
			label := *o.Value
			if o.Description != "" {
				label += " — " + o.Description
			}
			fv.Choices = append(fv.Choices, views.Choice{Value: *o.Value, Label: label, Selected: *o.Value == fv.Text && !fv.Null})
			found = found || *o.Value == fv.Text
		}
		if !found { // a value outside the options is kept and shown, never dropped
			fv.Choices = append(fv.Choices, views.Choice{Value: fv.Text, Label: fv.Text + " (not an option)", Selected: true})
		}
	case review.TypeCurrency:
		c, _ := review.ReadMoney(f.Value)
		fv.Amount, fv.Code = c.Amount.String(), c.Code
		codes := review.Currencies
		if c.Code != "" && !slices.Contains(codes, c.Code) {
			codes = append([]string{c.Code}, codes...)
		}
		fv.Choices = []views.Choice{{Value: "", Label: "—", Selected: c.Code == ""}}
		for _, code := range codes {
			fv.Choices = append(fv.Choices, views.Choice{Value: code, Label: code, Selected: code == c.Code})
		}
	case review.TypeSignature:
		var sg struct {
			IsSigned *bool   `json:"is_signed"`
			Name     *string `json:"printed_name"`
			Title    *string `json:"title_or_role"`
			Date     *string `json:"signature_date"`
		}
		json.Unmarshal(f.Value, &sg)
		if sg.IsSigned != nil {
			fv.Sig.Signed = strconv.FormatBool(*sg.IsSigned)
		}
		deref := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		fv.Sig.Name, fv.Sig.Title, fv.Sig.Date = deref(sg.Name), deref(sg.Title), deref(sg.Date)
	}
	return fv
}

func classChoices(o review.Output) []views.Choice {
	var out []views.Choice
	found := false
	for _, c := range o.Classes {
		sel := o.Class != nil && c.ID == o.Class.ID
		found = found || sel
		label := c.Type
		if c.Description != "" {
			label += " — " + c.Description
		}
		out = append(out, views.Choice{Value: classChoice(c.ID, c.Type), Label: label, Selected: sel})
	}
	if o.Class != nil && !found {
		out = append(out, views.Choice{Value: classChoice(o.Class.ID, o.Class.Type), Label: o.Class.Type, Selected: true})
	}
	return out
}

func hasIssue(f review.Field) bool {
	for _, in := range f.Insights {
		if in.Type == "issue" {
			return true
		}
	}
	return false
}

// markRules puts each failed rule's message beside the fields it concerns,
// grid cells included.
// decidedChecks is what the rules said when the run was decided: a rule
// written since does not judge a decision made without it.
func decidedChecks(audit []review.AuditEntry) []review.RuleResult {
	for i := len(audit) - 1; i >= 0; i-- {
		if a := audit[i].Action; a == review.ActionApprove || a == review.ActionReject {
			return audit[i].Rules
		}
	}
	return nil
}

func markRules(outputs []views.OutputVM, checks []review.RuleResult) {
	concerns := map[string][]string{}
	for _, r := range review.Failed(checks) {
		for _, path := range r.Fields {
			concerns[path] = append(concerns[path], views.RuleNote(r))
		}
	}
	if len(concerns) == 0 {
		return
	}
	for i := range outputs {
		for j := range outputs[i].Fields {
			f := &outputs[i].Fields[j]
			f.Rules = concerns[f.Path]
			if f.Grid == nil {
				continue
			}
			for _, row := range f.Grid.Rows {
				for _, c := range row.Cells {
					if c != nil {
						c.Rules = concerns[c.Path]
					}
				}
			}
		}
	}
}

// sumWarnings checks, where the data allows it, that line amounts add up
// to the total: a top-level total (number or currency) against a list whose
// rows have an amount.
func sumWarnings(o review.Output) []string {
	var total *big.Float
	var totalPath string
	for _, f := range o.Fields {
		if f.Depth != 0 || !strings.Contains(strings.ToLower(f.Path), "total") {
			continue
		}
		if v := amountOf(f.Value); v != nil {
			total, totalPath = v, f.Path
			break
		}
	}
	if total == nil {
		return nil
	}
	var out []string
	for _, f := range o.Fields {
		if f.Type != review.TypeArray || f.Depth != 0 {
			continue
		}
		sum, n := new(big.Float), 0
		for _, g := range o.Fields {
			if g.Depth == 2 && strings.HasPrefix(g.Path, f.Path+"[") && (g.Name == "amount" || g.Name == "total" || g.Name == "line_total") {
				if v := amountOf(g.Value); v != nil {
					sum.Add(sum, v)
					n++
				}
			}
		}
		diff := new(big.Float).Sub(sum, total)
		switch {
		case n == 0 || diff.Abs(diff).Cmp(big.NewFloat(0.005)) <= 0:
		case n == 1:
			out = append(out, fmt.Sprintf("The only amount of %s is %s, but %s is %s.", f.Path, sum.Text('f', 2), totalPath, total.Text('f', 2)))
		default:
			out = append(out, fmt.Sprintf("The %d amounts of %s add up to %s, but %s is %s.", n, f.Path, sum.Text('f', 2), totalPath, total.Text('f', 2)))
		}
	}
	return out
}

func amountOf(raw json.RawMessage) *big.Float {
	s := string(raw)
	if m, ok := review.ReadMoney(raw); ok && m.Amount != "" {
		s = m.Amount.String()
	}
	if review.NumberBeyond(s) { // unreadable: a million digits take seconds to read
		return nil
	}
	v, ok := new(big.Float).SetString(s)
	if !ok {
		return nil
	}
	return v
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

// classChoice is the value a class option sends: {id, type}.
func classChoice(id, typ string) string {
	b, _ := json.Marshal(map[string]string{"id": id, "type": typ})
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
