// Package content reads the documents that have no pages: a spreadsheet
// (CSV, Excel) as its sheets of cells, and a text file (TXT, XML, HTML,
// DOCX) as its text. Each is read within bounds: at most MaxCells cells and
// MaxText bytes of text are kept, a cell longer than MaxCell is cut, and an
// archive (Excel, DOCX) is refused when it would unpack to more than
// MaxUnpacked bytes, so a zip bomb posing as a spreadsheet costs neither
// memory nor time. Cost tells what reading a document will hold before it
// is read, for the server's decoding budget.
package content

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/reviewer-app/reviewer/review"
	"github.com/xuri/excelize/v2"
)

// Kinds of documents without pages. KindArchive is a zip whose kind the
// first bytes cannot tell; the whole file tells it.
const (
	KindArchive = "zip"
	KindCSV     = "csv"
	KindXLSX    = "xlsx"
	KindDOCX    = "docx"
	KindTXT     = "txt"
	KindXML     = "xml"
	KindHTML    = "html"
)

// Bounds of what one document may cost.
const (
	MaxCells    = 50_000   // cells kept over all sheets; the rest are left out, saying so
	MaxText     = 2 << 20  // bytes of text kept, of a text or of all cells together
	MaxCell     = 2 << 10  // bytes of one cell kept: one long string shared by thousands of cells is not copied into each
	MaxUnpacked = 32 << 20 // bytes an Excel or DOCX archive may unpack to
	// maxCSV is how much of a CSV file is read: its cells are bounded by
	// MaxText and MaxCells, so no more of it could be shown (quoting at
	// most doubles a cell; separators and quotes add a few bytes a cell).
	maxCSV = 2*MaxText + 8*MaxCells
	// maxColumns is the widest row Excel has (XFD): what one row read at
	// once may hold is maxColumns cells of MaxCell bytes.
	maxColumns = 16384
)

// Doc is a document without pages, as a reviewer reads it.
type Doc struct {
	Kind   string
	Sheets []Sheet // a spreadsheet's
	Text   string  // a text file's; HTML and XML as their source, never run
	Cut    string  // what was left out, a sentence; empty when nothing was

	cells, bytes int // kept so far
}

// Sheet is one sheet of a spreadsheet: its rows of cells as shown.
type Sheet struct {
	Name string
	Rows [][]string
	Cut  map[[2]int]bool // the cells cut at MaxCell bytes, by row and column (from 0)
}

// IsCut reports whether the cell at row and col (from 0) was cut at
// MaxCell bytes.
func (s Sheet) IsCut(row, col int) bool { return s.Cut[[2]int{row, col}] }

// Is reports whether kind is a document without pages.
func Is(kind string) bool {
	switch kind {
	case KindCSV, KindXLSX, KindDOCX, KindTXT, KindXML, KindHTML:
		return true
	}
	return false
}

// Sniff tells the kind of a document without pages from its bytes: an Excel
// or Word archive by the parts it holds, text by being UTF-8 (or plain
// ASCII) without NUL bytes, then HTML and XML by their first tag and CSV by
// rows of the same number of fields. ok is false for anything else.
func Sniff(data []byte) (kind string, ok bool) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return SniffArchive(bytes.NewReader(data), int64(len(data)))
	}
	head := data[:min(len(data), 8192)]
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartial(head)) {
		return "", false
	}
	start := strings.ToLower(strings.TrimSpace(string(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")))))
	switch {
	case strings.HasPrefix(start, "<!doctype html"), strings.HasPrefix(start, "<html"):
		return KindHTML, true
	case strings.HasPrefix(start, "<?xml"), strings.HasPrefix(start, "<"):
		if strings.Contains(start[:min(len(start), 1024)], "<html") {
			return KindHTML, true
		}
		return KindXML, true
	case isCSV(head):
		return KindCSV, true
	}
	return KindTXT, true
}

// SniffArchive tells an Excel or Word archive by the parts its directory
// names, reading only the directory. It answers KindArchive when the
// directory cannot be read (the first bytes of a file only, or damaged).
func SniffArchive(r io.ReaderAt, size int64) (kind string, ok bool) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return KindArchive, true
	}
	for _, f := range z.File {
		switch f.Name {
		case "xl/workbook.xml":
			return KindXLSX, true
		case "word/document.xml":
			return KindDOCX, true
		}
	}
	return "", false
}

// trimPartial drops a UTF-8 sequence cut at the end of a head of a file.
func trimPartial(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// isCSV: at least two lines, each of the same number (two or more) of
// comma- or semicolon-separated fields.
func isCSV(head []byte) bool {
	if i := bytes.LastIndexByte(head, '\n'); i > 0 && len(head) == 8192 {
		head = head[:i] // the last line may be cut
	}
	for _, sep := range []rune{',', ';', '\t'} {
		r := csv.NewReader(bytes.NewReader(head))
		r.Comma = sep
		rows, err := r.ReadAll()
		if err == nil && len(rows) >= 2 && len(rows[0]) >= 2 {
			return true
		}
	}
	return false
}

// Read reads a document without pages, of the kind Sniff told.
func Read(data []byte, kind string) (Doc, error) {
	d := Doc{Kind: kind}
	var err error
	switch kind {
	case KindCSV:
		err = d.readCSV(data)
	case KindXLSX:
		err = d.readXLSX(data)
	case KindDOCX:
		err = d.readDOCX(data)
	case KindTXT, KindXML, KindHTML:
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		d.text(string(data[:min(len(data), MaxText+1)]))
	default:
		err = review.Errorf(review.EINVALID, "%q is not a document without pages", kind)
	}
	return d, err
}

// text keeps s, or as much of it as MaxText allows.
func (d *Doc) text(s string) {
	if len(s) > MaxText {
		s = strings.ToValidUTF8(s[:MaxText], "")
		d.Cut = fmt.Sprintf("Only the first %d MiB of the text is shown.", MaxText>>20)
	}
	d.Text = s
}

// sheet adds a sheet row by row from next, until it ends or the cells or
// their bytes run out. A cell longer than MaxCell is cut and marked; a row
// holding one is copied, so the long text it was cut from is not kept.
func (d *Doc) sheet(name string, next func() ([]string, bool, error)) error {
	sh := Sheet{Name: name}
	defer func() { d.Sheets = append(d.Sheets, sh) }()
	for {
		row, ok, err := next()
		if err != nil || !ok {
			return err
		}
		if d.cells+len(row) > MaxCells {
			d.Cut = fmt.Sprintf("Only the first %d cells are shown.", MaxCells)
			return nil
		}
		n, cut := 0, false
		for c, cell := range row {
			if len(cell) > MaxCell {
				row[c], cut = strings.ToValidUTF8(cell[:MaxCell], ""), true
				if sh.Cut == nil {
					sh.Cut = map[[2]int]bool{}
				}
				sh.Cut[[2]int{len(sh.Rows), c}] = true
			}
			n += len(row[c])
		}
		if d.bytes+n > MaxText {
			d.Cut = fmt.Sprintf("Only the first %d MiB of the cells' text is shown.", MaxText>>20)
			return nil
		}
		if cut {
			for c := range row {
				row[c] = strings.Clone(row[c])
			}
		}
		d.cells += len(row)
		d.bytes += n
		sh.Rows = append(sh.Rows, row)
	}
}

func (d *Doc) readCSV(data []byte) error {
	sep := ','
	for _, s := range []rune{',', ';', '\t'} {
		r := csv.NewReader(bytes.NewReader(data[:min(len(data), 8192)]))
		r.Comma = s
		if rows, err := r.ReadAll(); (err == nil || len(rows) > 1) && len(rows) > 0 && len(rows[0]) >= 2 {
			sep = s
			break
		}
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
	err := d.sheet("", func() ([]string, bool, error) {
		row, err := r.Read()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, review.Errorf(review.EINVALID, "the CSV file cannot be read: %v", err)
		}
		return row, true, nil
	})
	return err
}

// unpacked refuses an archive that would unpack to more than MaxUnpacked
// bytes. The sizes are those the archive declares; Go's zip reader refuses
// to read a part past its declared size, so a lying archive is stopped too.
func unpacked(data []byte) (*zip.Reader, error) {
	z, _, err := archive(bytes.NewReader(data), int64(len(data)))
	return z, err
}

// archive opens a zip's directory and adds up what its parts declare they
// unpack to, refusing more than MaxUnpacked.
func archive(r io.ReaderAt, size int64) (*zip.Reader, int64, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, 0, review.Errorf(review.EINVALID, "the file is not a readable archive: %v", err)
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > MaxUnpacked {
			return nil, 0, review.Errorf(review.EUNPROCESSABLE, "This document is too large to show: it unpacks to more than %d MiB.", MaxUnpacked>>20)
		}
	}
	return z, int64(total), nil
}

// sharedStrings is where a workbook keeps the strings its cells share;
// excelize reads it from this path alone.
const sharedStrings = "xl/sharedStrings.xml"

// isSharedStrings reports whether f is the shared strings part, named as
// excelize finds it: in any case, with either slash.
func isSharedStrings(f *zip.File) bool {
	return strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), sharedStrings)
}

// shortStrings returns the workbook with every shared string longer than
// MaxCell cut to MaxCell+1 bytes (one more, so the cell is marked as cut),
// or as it is when none is. excelize copies a shared string into every cell
// that names it: one string of a MiB named by 2,000 cells would be 2 GB.
// Rich text runs are joined, as excelize joins them; phonetic runs, which
// it leaves out, are left out.
func shortStrings(z *zip.Reader, data []byte) ([]byte, error) {
	var sst *zip.File
	for _, f := range z.File {
		if isSharedStrings(f) {
			sst = f
		}
	}
	if sst == nil {
		return data, nil
	}
	part, err := sst.Open()
	if err != nil {
		return nil, review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: its shared strings cannot be read (%v).", err)
	}
	defer part.Close()
	var out bytes.Buffer
	out.WriteString(xml.Header + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	dec := xml.NewDecoder(io.LimitReader(part, MaxUnpacked))
	var (
		path []string // the open elements inside <si>
		text strings.Builder
		cut  bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: its shared strings are damaged (%v).", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "si" {
				path = []string{}
				text.Reset()
			} else if path != nil {
				path = append(path, t.Name.Local)
			}
		case xml.EndElement:
			switch {
			case path == nil:
			case len(path) > 0:
				path = path[:len(path)-1]
			default: // </si>
				out.WriteString(`<si><t xml:space="preserve">`)
				xml.EscapeText(&out, []byte(text.String()))
				out.WriteString(`</t></si>`)
				path = nil
			}
		case xml.CharData:
			// <si><t> or <si><r><t>, not <si><rPh><t>.
			if n := len(path); n > 0 && path[n-1] == "t" && (n == 1 || n == 2 && path[0] == "r") {
				room := MaxCell + 1 - text.Len()
				if len(t) > room {
					t, cut = t[:max(room, 0)], true
				}
				text.Write(t)
			}
		}
	}
	if !cut {
		return data, nil
	}
	out.WriteString(`</sst>`)
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range z.File {
		if isSharedStrings(f) {
			if f != sst {
				continue // an earlier copy, which excelize would not read
			}
			part, err := w.Create(sharedStrings)
			if err == nil {
				_, err = part.Write(out.Bytes())
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := w.Copy(f); err != nil {
			return nil, review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: it is damaged (%v).", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (d *Doc) readXLSX(data []byte) error {
	z, err := unpacked(data)
	if err != nil {
		return err
	}
	if data, err = shortStrings(z, data); err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnpacked, UnzipXMLSizeLimit: MaxUnpacked / 4})
	if err != nil {
		return review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: it is damaged or not an Excel workbook (%v).", err)
	}
	defer f.Close()
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			return review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: its sheet %q is damaged (%v).", name, err)
		}
		err = d.sheet(name, func() ([]string, bool, error) {
			if !rows.Next() {
				return nil, false, rows.Error()
			}
			row, err := rows.Columns()
			return row, err == nil, err
		})
		rows.Close()
		if err != nil {
			return review.Errorf(review.EUNPROCESSABLE, "This spreadsheet cannot be shown: its sheet %q is damaged (%v).", name, err)
		}
		if d.Cut != "" {
			break
		}
	}
	return nil
}

// readDOCX reads a Word document's text, paragraph by paragraph: what it
// shows when no converter draws its pages.
func (d *Doc) readDOCX(data []byte) error {
	z, err := unpacked(data)
	if err != nil {
		return err
	}
	part, err := z.Open("word/document.xml")
	if err != nil {
		return review.Errorf(review.EUNPROCESSABLE, "This Word document cannot be shown: it has no body.")
	}
	defer part.Close()
	var b strings.Builder
	dec := xml.NewDecoder(io.LimitReader(part, MaxUnpacked))
	inText := false
	for b.Len() <= MaxText {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return review.Errorf(review.EUNPROCESSABLE, "This Word document cannot be shown: %v.", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				b.WriteByte('\t')
			case "br", "cr":
				b.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				b.WriteByte('\n')
			}
		case xml.CharData:
			if inText {
				b.Write(t)
			}
		}
	}
	d.text(b.String())
	return nil
}

// Cache keeps the documents read last, by content hash, so a page shown
// again is not read again. It is safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	docs  map[string]Doc
	order []string // oldest first
}

// cached is how many documents a Cache keeps: each holds at most MaxText
// bytes and MaxCells cells.
const cached = 16

// Get returns the document kept under hash.
func (c *Cache) Get(hash string) (Doc, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.docs[hash]
	return d, ok
}

// Put keeps d under hash, letting the oldest go.
func (c *Cache) Put(hash string, d Doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil {
		c.docs = map[string]Doc{}
	}
	if _, ok := c.docs[hash]; ok {
		return
	}
	if len(c.order) == cached {
		delete(c.docs, c.order[0])
		c.order = c.order[1:]
	}
	c.docs[hash] = d
	c.order = append(c.order, hash)
}
