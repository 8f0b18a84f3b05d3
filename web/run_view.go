package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// placeholder is the page size assumed for a document not fetched yet (US
// Letter): its pages are drawn as blank sheets of that shape.
var placeholder = review.PageSize{Width: 612, Height: 792}

// buildRunPage lays out a run for the review page: every page of every file
// with the boxes of the fields read from it, and the outputs' fields. Of a
// top-level list longer than pageRows, only the window of rows chosen in
// windows is laid out.
func buildRunPage(orig, run *review.Run, docs []fileDoc, windows map[string]int) views.RunPageVM {
	vm := views.RunPageVM{Run: run.Summary(), Name: firstNonEmpty(run.Name, runFileName(run), run.ID)}
	vm.Run.Status = run.Status
	refPages := referencedPages(run)
	vm.Files, vm.Pages = layoutFiles(docs, refPages)
	sheets := newSheets(vm.Files, docs, refPages)
	for _, o := range run.Outputs {
		model := orig.Output(o.ID)
		ov := outputVM(o, model, vm.Pages)
		ov.Fields = foldGrids(outputFields(run.ID, o, model, windows, sheets))
		vm.Outputs = append(vm.Outputs, ov)
	}
	for _, o := range run.Outputs {
		if o.Type == review.OutputSplitter {
			markSplits(vm.Files, o.Splits)
		}
	}
	textLayer(run.Parses, sheets)
	return vm
}

// referencedPages is the highest page the outputs reference in each file,
// so a missing document still shows as many blank pages as it has.
func referencedPages(run *review.Run) map[string]int {
	refPages := map[string]int{}
	for _, o := range run.Outputs {
		for _, f := range o.Fields {
			for _, ref := range f.Refs {
				refPages[ref.FileID] = max(refPages[ref.FileID], ref.Page)
			}
		}
	}
	return refPages
}

// layoutFiles lays out every file's pages, numbered across the run, and
// says how many there are.
func layoutFiles(docs []fileDoc, refPages map[string]int) ([]views.DocFileVM, int) {
	var files []views.DocFileVM
	index := 0
	for _, d := range docs {
		fv := views.DocFileVM{ID: d.file.ID, Name: d.file.Name, Missing: d.missing}
		if d.content != nil {
			index++
			fv.Pages = append(fv.Pages, views.DocPageVM{N: 1, Index: index, Content: contentVM(*d.content, d.asText)})
			files = append(files, fv)
			continue
		}
		for i, sz := range pageSizes(d, refPages) {
			index++
			fv.Pages = append(fv.Pages, pageVM(d, i+1, index, sz))
		}
		files = append(files, fv)
	}
	return files, index
}

// pageSizes is a file's page sizes: as measured, or blank pages of no size
// as many as it is known to have.
func pageSizes(d fileDoc, refPages map[string]int) []review.PageSize {
	if d.sizes != nil {
		return d.sizes
	}
	return make([]review.PageSize, max(d.file.PageCount, refPages[d.file.ID], 1))
}

// pageVM is page n of a file as shown: its size turned as it is viewed, and
// its image if the document is here.
func pageVM(d fileDoc, n, index int, size review.PageSize) views.DocPageVM {
	shown := size
	if shown.Width == 0 {
		shown = placeholder
	}
	p := views.DocPageVM{N: n, Index: index, Width: shown.Width, Height: shown.Height, Turn: d.turns[n]}
	if p.Turn%180 == 90 {
		p.Width, p.Height = p.Height, p.Width
	}
	if d.sizes != nil {
		p.Image = string(views.Path("pages", d.file.Blob, strconv.Itoa(n)))
	}
	return p
}

// sheets finds the laid-out page a reference points at, and where on it.
type sheets struct {
	pageOf map[string][]*views.DocPageVM // by file id
	sizeOf map[string][]review.PageSize  // by file id, as measured (unturned)
}

func newSheets(files []views.DocFileVM, docs []fileDoc, refPages map[string]int) sheets {
	s := sheets{pageOf: map[string][]*views.DocPageVM{}, sizeOf: map[string][]review.PageSize{}}
	for i := range files {
		for j := range files[i].Pages {
			s.pageOf[files[i].ID] = append(s.pageOf[files[i].ID], &files[i].Pages[j])
		}
	}
	for _, d := range docs {
		if d.content != nil {
			s.sizeOf[d.file.ID] = []review.PageSize{{}}
		} else {
			s.sizeOf[d.file.ID] = pageSizes(d, refPages)
		}
	}
	return s
}

// place is the page ref lies on and its box there as a fraction of the
// page as turned; ok is false where the box is not known.
func (s sheets) place(ref review.Ref) (*views.DocPageVM, review.Rect, bool) {
	ps := s.pageOf[ref.FileID]
	if len(ps) == 1 && ps[0].Content != nil {
		return ps[0], review.Rect{}, false // no positions in a sheet or a text: its text is looked for
	}
	if ref.Page < 1 || ref.Page > len(ps) {
		return nil, review.Rect{}, false
	}
	rect, ok := ref.Fraction(s.sizeOf[ref.FileID][ref.Page-1])
	page := ps[ref.Page-1]
	return page, rect.Turned(page.Turn), ok
}

// outputVM is an output's header: its class or its sub-documents, and how
// they differ from the model's (model is nil for an output the model did
// not give).
func outputVM(o review.Output, model *review.Output, pages int) views.OutputVM {
	ov := views.OutputVM{ID: o.ID, Type: o.Type, Name: firstNonEmpty(o.Name, string(o.Type)), Class: o.Class, Classes: o.Classes, Splits: o.Splits,
		Editable: o.Location != nil}
	switch o.Type {
	case review.OutputClassify:
		ov.ClassChoices = classChoices(o)
		if model != nil && model.Class != nil && (o.Class == nil || o.Class.ID != model.Class.ID || o.Class.Type != model.Class.Type) {
			ov.ClassWas = model.Class.Type
		}
	case review.OutputSplitter:
		ov.SplitTypes, ov.Pages = o.Classes, pages
		ov.KnownTypes, ov.SplitNotes = review.SplitTypes(&o, model), review.SplitNotes(&o, model, pages)
		if model != nil {
			a, _ := json.Marshal(o.Splits)
			b, _ := json.Marshal(model.Splits)
			ov.SplitsEdited = !review.SameValue(a, b)
		}
	}
	return ov
}

// outputFields lays out an output's fields, each compared with the model's
// and boxed on its pages. Of a long top-level list only the window of rows
// chosen in windows is laid out.
func outputFields(runID string, o review.Output, model *review.Output, windows map[string]int, at sheets) []views.FieldVM {
	var out []views.FieldVM
	var list string               // the top-level list being laid out, if paged
	var shown *views.RowWindow    // its rows shown
	origins := map[string][]int{} // per top-level list, the model's row each row came from
	for _, f := range o.Fields {
		if f.Depth == 0 {
			list = ""
		} else if list != "" {
			if row := rowIndex(list, f.Path); row < shown.From-1 || row >= shown.To {
				continue
			}
		}
		fv := fieldVM(f)
		fv.OutputID = o.ID
		fv.Original = fv.Text
		if model != nil {
			compareWithModel(&fv, f, model, origins)
		}
		if f.Depth == 0 && f.Type.IsList() {
			if n := review.Len(f.Value); n > pageRows {
				fv.Window = window(runID, f.Path, windows[f.Path], n)
				list, shown = f.Path, fv.Window
			}
		}
		boxFields(&fv, f, at)
		// Attention: what the model was unsure of (a low or middling
		// score, an issue it raised, a scored value it could not place),
		// not every cell it gave no score.
		fv.Attention = fv.Band == "low" || fv.Band == "mid" || (!fv.Located && !fv.Container && fv.Band != "") || hasIssue(f) || f.Unreadable != ""
		out = append(out, fv)
	}
	return out
}

// compareWithModel marks a field edited where it differs from the model's.
// Compared only for the rows shown: the model's value of every cell of a
// long list is not. A row is compared with the model's row it came from, so
// a row inserted or moved leaves the rows after it unmarked.
func compareWithModel(fv *views.FieldVM, f review.Field, model *review.Output, origins map[string][]int) {
	if f.Depth == 0 && f.Type.IsList() {
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

// boxFields draws a field's boxes on the pages it was read from, and says
// on which pages it is.
func boxFields(fv *views.FieldVM, f review.Field, at sheets) {
	var where []int
	for _, ref := range f.Refs {
		page, rect, ok := at.place(ref)
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
}

// textLayer lays the parsed text over the pages: a page's OCR words where
// Extend returned them (a scan, word by word), its parsed blocks otherwise.
// A workbook's parsed cells are marked in its grid.
func textLayer(parses []review.Parse, at sheets) {
	worded := map[*views.DocPageVM]bool{}
	for _, p := range parses {
		for _, w := range p.Words {
			if page, rect, ok := at.place(w.Ref); ok && w.Content != "" {
				worded[page] = true
				title := ""
				if w.Confidence > 0 {
					title = fmt.Sprintf("%s: read with %.0f%% confidence", w.Content, w.Confidence*100)
				}
				page.Blocks = append(page.Blocks, views.BlockVM{ID: p.ID + "-" + w.ID, Text: w.Content, Rect: rect, Title: title})
			}
		}
	}
	for _, p := range parses {
		for _, b := range p.Blocks {
			if page, rect, ok := at.place(b.Ref); ok && b.Content != "" && !worded[page] {
				page.Blocks = append(page.Blocks, views.BlockVM{ID: b.ID, Text: b.Content, Rect: rect})
			}
			if ps := at.pageOf[b.Ref.FileID]; b.Cell != "" && len(ps) == 1 && ps[0].Content != nil {
				ps[0].Content.MarkParsed(b.Sheet, b.Cell, b.Formula)
			}
		}
	}
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
