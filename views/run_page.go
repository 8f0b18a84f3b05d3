package views

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
)

// RunPageVM is the review page of one run: the documents with their pages
// and overlays, and the outputs with their fields.
type RunPageVM struct {
	Page
	Run         review.RunSummary
	Name        string
	Files       []DocFileVM
	Outputs     []OutputVM
	Pages       int // pages in all files
	CanUpload   bool
	CanReopen   bool
	Review      review.Review
	Editable    bool   // the run waits for review and nothing blocks editing
	Locked      string // why it cannot be edited, when it cannot
	Audit       []review.AuditEntry
	Checks      []review.RuleResult // what the workflow's rules say of the run as it reads now
	CanOverride bool                // a supervisor may approve over blocking rules
	Edited      int                 // the reviewer's changes that stand (saved edits that differ from the model)
	HeldBy      string              // who else holds the run
	CanTakeOver bool                // a supervisor may release or take the claim
	Hold        review.Hold         // why the run is out of the queue, while it is
	CanResume   bool                // the person may put it back in the queue
	Metadata    []MetaVM            // the run's metadata, from Extend and API callers
	Sent        []review.Delivery   // what its decisions sent to Extend: evaluation-set items, calls
}

// MetaVM is one key of a run's metadata: its value as text, cut to Short
// when long (the page shows the whole on hover).
type MetaVM struct {
	Key, Value, Short string
}

// metaCut is how much of a metadata value the page shows in its line.
const metaCut = 80

// Metadata lays out a run's metadata (the payload's "metadata" object) as
// key/value lines by key: a string as it reads, any other value as JSON.
func Metadata(run json.RawMessage) []MetaVM {
	raw, ok := review.At(run, []string{"metadata"})
	if !ok {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make([]MetaVM, 0, len(m))
	for k, v := range m {
		text := string(v)
		var str string
		if json.Unmarshal(v, &str) == nil {
			text = str
		}
		short := text
		if r := []rune(text); len(r) > metaCut {
			short = string(r[:metaCut-1]) + "…"
		}
		out = append(out, MetaVM{Key: k, Value: text, Short: short})
	}
	slices.SortFunc(out, func(a, b MetaVM) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// DocFileVM is one document of the run.
type DocFileVM struct {
	ID      string
	Name    string
	Missing string // why there is no image (not fetched yet, failed, …); empty when there is
	Pages   []DocPageVM
}

// DocPageVM is one page: its size as displayed (in points; images are taken
// at 150 dpi), the image URLs, and the overlays drawn on it.
type DocPageVM struct {
	N      int
	Index  int // position among all pages of the run, 1-based
	Width  float64
	Height float64
	Image  string // URL without the width parameter; empty when missing
	Turn   int    // degrees the page is turned clockwise for viewing; Width and Height are as turned
	Boxes  []BoxVM
	Blocks []BlockVM
	// Content is a document without pages (a sheet, a text), shown as one
	// page holding it; nil for a page with an image.
	Content *ContentVM
	// Split is the sub-document the page belongs to (1-based; 0: none), and
	// SplitLabel names it on its first page.
	Split      int
	SplitLabel string
}

// BoxVM is one reference of a field, in percent of its page.
type BoxVM struct {
	Field string
	Rect  review.Rect // fractions
	Band  string      // confidence band: high, mid, low, or none
	Title string
	// Container boxes (a whole table, a row) are drawn only while their
	// field is focused; otherwise they would bury the values' boxes.
	Container bool
	// Find is the text of a citation that came without a position: the
	// viewer looks for it on the page and draws the box where it is.
	Find string
}

// BlockVM is a piece of parsed text a reviewer can click.
type BlockVM struct {
	ID    string
	Text  string
	Rect  review.Rect
	Title string // an OCR word's confidence, said
}

// OutputVM is one processor output.
type OutputVM struct {
	ID           string
	Type         review.OutputType
	Name         string
	Editable     bool
	ClassChoices []Choice
	Fields       []FieldVM
	Class        *review.Classification
	Classes      []review.ClassOption
	Splits       []review.Split
	SplitTypes   []review.ClassOption // the splitter's configured types; free text when none
	SplitsEdited bool                 // the sub-documents differ from the model's
	SplitNotes   []string             // pages in no sub-document or in several, types not known
	KnownTypes   []string             // with no types configured: the types the splitter gave, offered to type
	Pages        int                  // pages of the run's documents, for sub-document ranges
	ClassWas     string               // the model's class, when the reviewer chose another
}

// RowWindow is the part of a long list the page shows (1-based, inclusive),
// with links to the rows before and after.
type RowWindow struct {
	From, To, Total int
	Prev, Next      templ.SafeURL
}

// FieldVM is one field as the outputs panel shows it, with its editor.
type FieldVM struct {
	review.Field
	review.Shown // the value as its type's editor shows it
	OutputID     string
	Band         string // high, mid, low, or "" when no confidence was given
	Score        string // "93%" or ""
	Where        string // "p. 2", "p. 1, 3", or "" when the model gave no location
	Located      bool   // at least one box can be drawn
	Container    bool
	Edited       bool       // differs from the model's value
	Original     string     // the model's value as text
	Attention    bool       // low confidence, an issue from the model, or no location
	Row          int        // for a row of a list: its index; -1 otherwise
	List         string     // for a row: the list's path
	Window       *RowWindow // for a long list: the rows shown
	Label        string     // the field's name for people: "Line items", "Unit price", "Row 2"
	AriaLabel    string     // the editor's accessible name where no label shows it (a grid cell)
	Grid         *GridVM    // a list of records, shown as a table
	Rules        []string   // the messages of the failed rules that concern it
}

// GridVM is a list whose rows are records, as a table: a column per field
// of the records, a row per record.
type GridVM struct {
	Columns []ColumnVM
	Rows    []GridRowVM
}

// ColumnVM is one column of a grid: the cells' path below their row
// (".description", ".unit.price").
type ColumnVM struct {
	Key   string
	Label string
	Title string           // the schema's description
	Type  review.FieldType // its cells' type, which sizes the column
}

// GridRowVM is one record: the row's own field, and its cells in the
// order of the columns (nil where the record lacks the field).
type GridRowVM struct {
	Row       FieldVM
	Cells     []*FieldVM
	Attention bool // a cell needs attention
}

// Choice is an option of a select, as the field-type table offers one.
type Choice = review.Choice

// splitTypeChoices are the options of a sub-document's type: the
// configured types, and the one it has if that is not among them.
func splitTypeChoices(types []review.ClassOption, have string) []Choice {
	var out []Choice
	found := have == ""
	if have == "" {
		out = append(out, Choice{Value: "", Label: "— choose —", Selected: true})
	}
	for _, t := range types {
		label := t.Type
		if t.Description != "" {
			label += " — " + t.Description
		}
		out = append(out, Choice{Value: t.Type, Label: label, Selected: t.Type == have})
		found = found || t.Type == have
	}
	if !found {
		out = append(out, Choice{Value: have, Label: have + " (not configured)", Selected: true})
	}
	return out
}

// pageValue is a page number as a page input shows it: blank when unset.
func pageValue(n int) string {
	if n < 1 {
		return ""
	}
	return strconv.Itoa(n)
}

// ImageSrc returns the URL of a page image w pixels wide.
func (p DocPageVM) ImageSrc(w int) string {
	if p.Turn != 0 {
		return p.Image + "?w=" + strconv.Itoa(w) + "&turn=" + strconv.Itoa(p.Turn)
	}
	return p.Image + "?w=" + strconv.Itoa(w)
}

// ImageSrcset lists the page image at every rendered width.
func (p DocPageVM) ImageSrcset(widths []int) string {
	s := ""
	for i, w := range widths {
		if i > 0 {
			s += ", "
		}
		s += p.ImageSrc(w) + " " + strconv.Itoa(w) + "w"
	}
	return s
}

// pageStyle sizes a page element: its width follows the viewer's zoom
// (--scale, set by the script) and its height follows from the aspect ratio,
// so the element's rectangle is exactly the image's. --h is that height for
// a page not laid out (off screen): an estimate instead would move every
// page below as pages are laid out, and a jump far into a long document
// would land beside its mark.
func pageStyle(p DocPageVM) templ.SafeCSS {
	return templ.SafeCSS(fmt.Sprintf("--w:%.2f;--h:%.2f;aspect-ratio:%.2f/%.2f", p.Width, p.Height, p.Width, p.Height))
}

// rectStyle places an overlay in percent of its page, so zoom never moves it.
func rectStyle(r review.Rect) templ.SafeCSS {
	return templ.SafeCSS(fmt.Sprintf("left:%.4f%%;top:%.4f%%;width:%.4f%%;height:%.4f%%",
		r.Left*100, r.Top*100, (r.Right-r.Left)*100, (r.Bottom-r.Top)*100))
}

// PageID is the element id of page n of a file on the review page.
func PageID(file string, n int) string { return "p-" + file + "-" + strconv.Itoa(n) }

// pageWidths are the widths page images are offered at (pages.Widths); the
// first is the one drawn when a document arrives (pages.FirstWidth).
var pageWidths = []int{1000, 1600, 2400}

// imageWidths is pageWidths for the viewer, which makes page images itself.
func imageWidths() string {
	s := make([]string, len(pageWidths))
	for i, w := range pageWidths {
		s[i] = strconv.Itoa(w)
	}
	return strings.Join(s, " ")
}

// imageSizes is how wide page images are shown until the viewer sets its
// zoom: the window less the field panel and the thumbnails.
const imageSizes = "calc(100vw - 570px)"

// ImagesSent is how many of a run's pages come with their image in the
// review page, so the browser asks for them before any script runs: a view
// shows one or two. The viewer makes the others' images, and every
// thumbnail, as they come near the view, so a document of a thousand pages
// costs what its pages seen cost.
const ImagesSent = 2

// ManyBoxes is how many boxes a page holds before they are drawn as
// outlines only, without their tint and round corners: zooming a page of
// 2,000 tinted boxes repainted every one each frame (issue 30).
const ManyBoxes = 200

// priority asks the browser for the first page's image before anything
// else: it is what a reviewer waits for.
func priority(p DocPageVM) string {
	if p.Index == 1 {
		return "high"
	}
	return "auto"
}

func outputLabel(t review.OutputType) string {
	switch t {
	case review.OutputExtract:
		return "Extraction"
	case review.OutputClassify:
		return "Classification"
	case review.OutputSplitter:
		return "Split"
	}
	return string(t)
}

// outputName is an output's heading: its processor's name, or what it
// is when the name only says that again ("split" of a Split).
func outputName(o OutputVM) string {
	if l := outputLabel(o.Type); o.Name == "" || strings.EqualFold(o.Name, l) || strings.EqualFold(o.Name, string(o.Type)) {
		return l
	}
	return o.Name
}

// editorID is the id of a field's (first) input, for its label.
func editorID(f FieldVM) string { return "ed-" + f.OutputID + "-" + f.Path }

// nullOr is an editor's text: empty for null.
func nullOr(f FieldVM) string {
	if f.Null {
		return ""
	}
	return f.Text
}

// cellTitle says, on hovering a grid cell, how sure the model was and what
// it read when the reviewer changed it.
func cellTitle(f FieldVM) string {
	var parts []string
	if f.Score != "" {
		parts = append(parts, "Model confidence "+f.Score)
	}
	if f.Edited {
		parts = append(parts, "was “"+f.Original+"”")
	}
	parts = append(parts, f.Rules...)
	return strings.Join(parts, "; ")
}

// partLabel names a part of a field's editor: "Amount", or "Amount, amount,
// row 2" in a grid cell.
func partLabel(f FieldVM, part string) string {
	if f.AriaLabel == "" {
		return part
	}
	return f.AriaLabel + " (" + strings.ToLower(part) + ")"
}

// Failed returns the failed rules, the blocking ones first.
func (vm RunPageVM) Failed() []review.RuleResult {
	failed := review.Failed(vm.Checks)
	slices.SortStableFunc(failed, func(a, b review.RuleResult) int {
		return cmp.Compare(severityOrder(a.Severity), severityOrder(b.Severity))
	})
	return failed
}

func severityOrder(s string) int {
	if s == review.SeverityBlock {
		return 0
	}
	return 1
}

// FailedAt says where a failed rule fails and what it read there: "at
// total (35.73 EUR)". A person fixing the run needs the value, not only
// the place; a field the run no longer has is named alone.
func (vm RunPageVM) FailedAt(r review.RuleResult) string {
	if len(r.Fields) == 0 {
		return ""
	}
	at := make([]string, len(r.Fields))
	for i, path := range r.Fields {
		at[i] = path
		if f := vm.field(path); f != nil {
			at[i] += " (" + fieldValueText(*f) + ")"
		}
	}
	return "at " + strings.Join(at, ", ")
}

// field finds a field of the run's outputs by its path, grid cells too.
func (vm RunPageVM) field(path string) *FieldVM {
	for i := range vm.Outputs {
		for j := range vm.Outputs[i].Fields {
			f := &vm.Outputs[i].Fields[j]
			if f.Path == path {
				return f
			}
			if f.Grid == nil {
				continue
			}
			for _, row := range f.Grid.Rows {
				for _, c := range row.Cells {
					if c != nil && c.Path == path {
						return c
					}
				}
			}
		}
	}
	return nil
}

// fieldValueText is a field's value as a sentence quotes it.
func fieldValueText(f FieldVM) string {
	switch {
	case f.Null:
		return "empty"
	case f.Amount != "" || f.Code != "":
		return strings.TrimSpace(f.Amount + " " + f.Code)
	}
	return f.Text
}

// Passed counts the rules that pass.
func (vm RunPageVM) Passed() int {
	n := 0
	for _, r := range vm.Checks {
		if r.Passed {
			n++
		}
	}
	return n
}

// Costly returns the rules that ran past their cost or time on the run.
func (vm RunPageVM) Costly() []review.RuleResult { return review.Costly(vm.Checks) }

// Blocking counts the failed rules that hold approval back.
func (vm RunPageVM) Blocking() int { return len(review.Blocking(vm.Checks)) }

// RuleNote is a failed rule's line beside a field.
func RuleNote(r review.RuleResult) string {
	if r.Severity == review.SeverityBlock {
		return "Blocks approval: " + r.Message
	}
	return r.Message
}

// ruleNames lists rules by name, quoted, for a sentence.
func ruleNames(rs []review.RuleResult) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = "“" + r.Rule + "”"
	}
	return strings.Join(names, ", ")
}

// ContentVM is a document without pages as the viewer shows it: its sheets
// as grids of cells named as the spreadsheet names them (B3), or its text.
type ContentVM struct {
	Kind    string
	Sheets  []SheetVM
	Text    string
	Notes   []string // how it is shown, and what was left out: sentences
	CellKiB int      // a cell is cut at this many KiB

	parsed map[string]string // cells Extend's parser read, by sheet!cell: what their title says
}

// MarkParsed marks the cell a parsed block names (the top left cell of a
// merged range: B2, A1:C1), with its formula, if it has one. A workbook of
// one sheet (a CSV) matches whatever sheet name the block gives.
func (c *ContentVM) MarkParsed(sheet, cell, formula string) {
	cell, _, _ = strings.Cut(strings.ToUpper(strings.ReplaceAll(cell, "$", "")), ":")
	if c.parsed == nil {
		c.parsed = map[string]string{}
	}
	title := cell + ", read by Extend's parser"
	if formula != "" {
		title += ": " + formula
	}
	c.parsed[c.sheetKey(sheet)+"!"+cell] = title
}

// parsedTitle returns what a cell's title says when Extend's parser read
// it; empty when it did not.
func (c *ContentVM) parsedTitle(sheet string, col, row int) string {
	return c.parsed[c.sheetKey(sheet)+"!"+CellName(col, row)]
}

// cellTitle is what a cell's title says: that Extend's parser read it,
// that it was cut; empty when neither.
func (c *ContentVM) cellTitle(sh SheetVM, col, row int) string {
	t := c.parsedTitle(sh.Name, col, row)
	if sh.IsCut(row, col) {
		t = strings.TrimPrefix(t+"\n", "\n") + fmt.Sprintf("Cut: only the first %d KiB of this cell is shown.", c.CellKiB)
	}
	return t
}

func (c *ContentVM) sheetKey(sheet string) string {
	if len(c.Sheets) == 1 {
		return ""
	}
	return sheet
}

// SheetVM is one sheet of a spreadsheet as shown: its rows of cells, and
// which were cut.
type SheetVM struct {
	Name string
	Rows [][]string
	Cut  map[[2]int]bool // by row and column (from 0)
}

// IsCut reports whether the cell at row and col (from 0) was cut.
func (s SheetVM) IsCut(row, col int) bool { return s.Cut[[2]int{row, col}] }

// CellName names a cell as spreadsheets do: column letters, row number
// (both 0-based here): B3.
func CellName(col, row int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name + strconv.Itoa(row+1)
}

// widest is the number of columns of a sheet's widest row.
func widest(rows [][]string) int {
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	return n
}

// lines cuts a text into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// dueMS is a due time as the page's scripts read it (Unix ms), "" for none.
func dueMS(due time.Time) string {
	if due.IsZero() {
		return ""
	}
	return strconv.FormatInt(due.UnixMilli(), 10)
}

// postponeDescribed is what the postpone dialog's reason is described by:
// the run's due time, when it has one, read with the question.
func postponeDescribed(vm RunPageVM) string {
	if vm.Review.Due.IsZero() {
		return ""
	}
	return "postpone-due"
}
