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
