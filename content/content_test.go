package content_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/memwatch"
	"github.com/reviewer-app/reviewer/review"
	"github.com/xuri/excelize/v2"
)

func workbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Item", "Qty", "Amount"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"Cable", 2, 19.5})
	f.NewSheet("Totals")
	f.SetSheetRow("Totals", "B3", &[]any{"Total", 39})
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func docx(t *testing.T, body string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("word/document.xml")
	f.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`))
	w.Close()
	return b.Bytes()
}

// TestRead: every kind is told from its bytes and read as a reviewer sees
// it; HTML and XML are their source, never run.
func TestRead(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		kind   string
		sheets string // sheet name: rows, | between cells, / between rows
		text   string
	}{
		{"csv", []byte("item,amount\r\n\"Cable, red\",19.50\r\n"), content.KindCSV, ": item|amount/Cable, red|19.50", ""},
		{"csv with semicolons and a BOM", []byte("\xEF\xBB\xBFa;b\n1;2\n"), content.KindCSV, ": a|b/1|2", ""},
		{"excel", workbook(t), content.KindXLSX, "Sheet1: Item|Qty|Amount/Cable|2|19.5 Totals: //|Total|39", ""},
		{"docx", docx(t, `<w:p><w:r><w:t>Invoice</w:t></w:r><w:r><w:tab/><w:t>42</w:t></w:r></w:p><w:p><w:r><w:t>Total 39</w:t></w:r></w:p>`), content.KindDOCX, "", "Invoice\t42\nTotal 39\n"},
		{"text", []byte("Invoice 42\nTotal: 39 €\n"), content.KindTXT, "", "Invoice 42\nTotal: 39 €\n"},
		{"xml", []byte(`<?xml version="1.0"?><invoice><total>39</total></invoice>`), content.KindXML, "", `<?xml version="1.0"?><invoice><total>39</total></invoice>`},
		{"html", []byte(`<!DOCTYPE html><p>Total <script>alert(1)</script></p>`), content.KindHTML, "", `<!DOCTYPE html><p>Total <script>alert(1)</script></p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, ok := content.Sniff(tt.data)
			if !ok || kind != tt.kind {
				t.Fatalf("sniffed %q %v, want %q", kind, ok, tt.kind)
			}
			d, err := content.Read(tt.data, kind)
			if err != nil {
				t.Fatal(err)
			}
			var sheets []string
			for _, s := range d.Sheets {
				var rows []string
				for _, r := range s.Rows {
					rows = append(rows, strings.Join(r, "|"))
				}
				sheets = append(sheets, s.Name+": "+strings.Join(rows, "/"))
			}
			if got := strings.Join(sheets, " "); got != tt.sheets || d.Text != tt.text {
				t.Fatalf("read sheets %q text %q, want %q %q", got, d.Text, tt.sheets, tt.text)
			}
		})
	}
	for _, b := range [][]byte{{0x89, 'P', 'N', 'G', 0}, []byte("%PDF-1.7\x00"), {0xff, 0xfe, 0xfd}} {
		if kind, ok := content.Sniff(b); ok {
			t.Errorf("%q sniffed as %q", b, kind)
		}
	}
}

// TestBounds: zip bombs posing as spreadsheets, honest about their size or
// lying, are refused with a sentence at a small cost; a huge CSV is cut at
// MaxCells, saying so.
func TestBounds(t *testing.T) {
	for _, honest := range []bool{true, false} {
		bomb := hostile.ZipBomb(1024, honest)
		kind, ok := content.Sniff(bomb)
		if !ok || kind != content.KindXLSX {
			t.Fatalf("the bomb sniffed as %q", kind)
		}
		base := memwatch.Heap()
		stop := memwatch.Peak(memwatch.Heap)
		_, err := content.Read(bomb, kind)
		peak := stop()
		t.Logf("honest %v: %v; heap peak +%d MiB", honest, err, (int64(peak)-int64(base))>>20)
		if review.ErrorCode(err) != review.EUNPROCESSABLE || !strings.Contains(review.ErrorMessage(err), "cannot be shown") && !strings.Contains(review.ErrorMessage(err), "too large") {
			t.Fatalf("honest %v: %v (%s)", honest, err, review.ErrorCode(err))
		}
		if peak > base+3*content.MaxUnpacked {
			t.Errorf("heap peak +%d MiB reading a bomb", (peak-base)>>20)
		}
	}
	// A Word document whose body is broken XML: a sentence, not a crash.
	if _, err := content.Read(docx(t, `<w:p><w:r><w:t>Invoice</w:r>`), content.KindDOCX); review.ErrorCode(err) != review.EUNPROCESSABLE || !strings.Contains(review.ErrorMessage(err), "cannot be shown") {
		t.Fatalf("a broken DOCX: %v", err)
	}
	var big bytes.Buffer
	for range content.MaxCells {
		big.WriteString("a,b\n")
	}
	d, err := content.Read(big.Bytes(), content.KindCSV)
	if err != nil || d.Cut == "" || len(d.Sheets[0].Rows) != content.MaxCells/2 {
		t.Fatalf("a huge CSV: %v, cut %q, %d rows", err, d.Cut, len(d.Sheets[0].Rows))
	}
}

// TestSharedStringBomb reproduces the 6.8 KB workbook that took gigabytes:
// one long shared string named by many cells. It is read within the byte
// budget, in little memory, each cell cut at MaxCell and marked, and
// Cost told it beforehand.
func TestSharedStringBomb(t *testing.T) {
	const size, cells = 256 << 10, 400 // 100 MiB if copied into each cell
	xlsx := hostile.SharedStringXLSX(size, cells)
	t.Logf("the workbook: %d bytes", len(xlsx))
	cost, err := content.Cost(bytes.NewReader(xlsx), int64(len(xlsx)), content.KindXLSX)
	if err != nil {
		t.Fatal(err)
	}
	base := memwatch.Heap()
	stop := memwatch.Peak(memwatch.Heap)
	d, err := content.Read(xlsx, content.KindXLSX)
	peak := int64(stop()) - int64(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heap peak +%d KiB; cost told %d KiB", peak>>10, cost>>10)
	if peak > 16<<20 || peak > cost {
		t.Errorf("reading took +%d MiB of heap (cost told %d MiB)", peak>>20, cost>>20)
	}
	var kept, cut int
	sh := d.Sheets[0]
	for r, row := range sh.Rows {
		for c, cell := range row {
			kept += len(cell)
			if sh.IsCut(r, c) {
				cut++
			}
			if len(cell) > content.MaxCell {
				t.Fatalf("cell %d,%d holds %d bytes", r, c, len(cell))
			}
		}
	}
	if kept > content.MaxText || cut != cells {
		t.Errorf("kept %d bytes, %d of %d cells marked as cut", kept, cut, cells)
	}

	// Past the byte budget, the rest is left out, saying so.
	many := hostile.SharedStringXLSX(size, 2*content.MaxText/content.MaxCell)
	d, err = content.Read(many, content.KindXLSX)
	if err != nil || !strings.Contains(d.Cut, "MiB of the cells' text") {
		t.Fatalf("%v, cut %q", err, d.Cut)
	}
}

// TestLongCells: a workbook's cells longer than MaxCell are cut and
// marked, its other cells (rich text joined, as excelize joins it) as
// they were.
func TestLongCells(t *testing.T) {
	f := excelize.NewFile()
	long := strings.Repeat("é", content.MaxCell) // two bytes each: cut inside none
	f.SetCellStr("Sheet1", "A1", long)
	f.SetCellRichText("Sheet1", "B1", []excelize.RichTextRun{{Text: "Total "}, {Text: "39", Font: &excelize.Font{Bold: true}}})
	f.SetCellStr("Sheet1", "A2", "short")
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	d, err := content.Read(b.Bytes(), content.KindXLSX)
	if err != nil {
		t.Fatal(err)
	}
	sh := d.Sheets[0]
	if got := sh.Rows[0][0]; got != long[:content.MaxCell] || !sh.IsCut(0, 0) {
		t.Errorf("the long cell: %d bytes, cut %v", len(got), sh.IsCut(0, 0))
	}
	if sh.Rows[0][1] != "Total 39" || sh.Rows[1][0] != "short" || sh.IsCut(0, 1) || sh.IsCut(1, 0) {
		t.Errorf("the other cells: %q, cut %v", sh.Rows, sh.Cut)
	}
}
