// Package content reads the documents that have no pages: a spreadsheet
// (CSV, Excel) as its sheets of cells, and a text file (TXT, XML, HTML,
// DOCX) as its text. Each is read within bounds: at most MaxCells cells and
// MaxText bytes of text are kept, and an archive (Excel, DOCX) is refused
// when it would unpack to more than MaxUnpacked bytes, so a zip bomb posing
// as a spreadsheet costs neither memory nor time.
package content

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
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
	MaxText     = 2 << 20  // bytes of text kept
	MaxUnpacked = 32 << 20 // bytes an Excel or DOCX archive may unpack to
)

// Doc is a document without pages, as a reviewer reads it.
type Doc struct {
	Kind   string
	Sheets []Sheet // a spreadsheet's
	Text   string  // a text file's; HTML and XML as their source, never run
	Cut    string  // what was left out, a sentence; empty when nothing was

	cells int // kept so far
}

// Sheet is one sheet of a spreadsheet: its rows of cells as shown.
type Sheet struct {
	Name string
	Rows [][]string
}

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
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return KindArchive, true // the first bytes only, or damaged: read whole, it says
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
		d.text(string(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
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

// sheet adds a sheet row by row from next, until it ends or the cells run
// out.
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
		d.cells += len(row)
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
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, review.Errorf(review.EINVALID, "the file is not a readable archive: %v", err)
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > MaxUnpacked {
			return nil, review.Errorf(review.EUNPROCESSABLE, "This document is too large to show: it unpacks to more than %d MiB.", MaxUnpacked>>20)
		}
	}
	return z, nil
}

func (d *Doc) readXLSX(data []byte) error {
	if _, err := unpacked(data); err != nil {
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

// cached is how many documents a Cache keeps.
const cached = 16

// Read returns the document stored at path under hash, read once.
func (c *Cache) Read(hash, path, kind string) (Doc, error) {
	c.mu.Lock()
	d, ok := c.docs[hash]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Doc{}, err
	}
	if d, err = Read(data, kind); err != nil {
		return d, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil {
		c.docs = map[string]Doc{}
	}
	if _, ok := c.docs[hash]; !ok {
		if len(c.order) == cached {
			delete(c.docs, c.order[0])
			c.order = c.order[1:]
		}
		c.docs[hash] = d
		c.order = append(c.order, hash)
	}
	return d, nil
}
