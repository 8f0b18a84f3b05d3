// Package hostile builds the documents that attack reviewer's renderer, for
// its tests and benchmarks: PDFs assembled object by object, and Flate
// and zip bombs made without compressing a gigabyte.
package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
)

// PDF assembles a PDF from object bodies (object i+1 is objs[i]; object 1
// is the catalog) with a correct cross-reference table.
func PDF(objs ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// Obj is an object body written as text.
func Obj(s string) []byte { return []byte(s) }

// Stream is a stream object with dict's entries and data.
func Stream(dict string, data []byte) []byte {
	return append(append([]byte(fmt.Sprintf("<< %s /Length %d >>\nstream\n", dict, len(data))), data...), "\nendstream"...)
}

// OnePage is a PDF of one page with the given media box, resources,
// content stream object, and further objects (numbered from 5).
func OnePage(mediaBox, resources string, content []byte, extra ...[]byte) []byte {
	objs := [][]byte{
		Obj("<< /Type /Catalog /Pages 2 0 R >>"),
		Obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
		Obj("<< /Type /Page /Parent 2 0 R /MediaBox [" + mediaBox + "] /Resources << " + resources + " >> /Contents 4 0 R >>"),
		content,
	}
	return PDF(append(objs, extra...)...)
}

// ZlibZeros returns a zlib stream that inflates to mib MiB of zero bytes in
// about mib KiB: one sync-flushed deflate chunk of a MiB of zeros, repeated
// (after the first, the window holds only zeros, so every chunk decodes the
// same), closed by a final empty stored block and the Adler-32 of the zeros.
func ZlibZeros(mib int) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	w.Write(zeros)
	w.Flush()
	first := bytes.Clone(buf.Bytes())
	buf.Reset()
	w.Write(zeros)
	w.Flush()
	chunk := buf.Bytes()
	out := []byte{0x78, 0xDA}
	out = append(out, first...)
	for range mib - 1 {
		out = append(out, chunk...)
	}
	out = append(out, 0x01, 0x00, 0x00, 0xFF, 0xFF)
	n := uint32((uint64(mib) << 20) % 65521)
	return binary.BigEndian.AppendUint32(out, n<<16|1)
}

// ZipBomb is a spreadsheet (a zip holding xl/workbook.xml) whose sheet
// inflates to mib MiB of zeros. With honest, the archive declares that size;
// without, it declares a kilobyte and lies.
func ZipBomb(mib int, honest bool) []byte {
	z := ZlibZeros(mib)
	raw := z[2 : len(z)-4] // the deflate stream inside zlib's header and checksum
	size := uint64(1024)
	if honest {
		size = uint64(mib) << 20
	}
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("xl/workbook.xml")
	f.Write([]byte(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></sheets></workbook>`))
	f, _ = w.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
	f.Write(raw)
	w.Close()
	return b.Bytes()
}

// FlateBomb is a one-page PDF whose content stream inflates to a GiB.
func FlateBomb() []byte {
	return OnePage("0 0 612 792", "", Stream("/Filter /FlateDecode", ZlibZeros(1024)))
}

// Plain is an ordinary one-page PDF: a blue rectangle.
func Plain() []byte {
	return OnePage("0 0 612 792", "", Stream("", []byte("0 0 1 rg 72 72 200 100 re f")))
}

// SharedStringXLSX is a workbook whose one shared string of size bytes is
// named by cells cells of its one sheet, in rows of 100: a few kilobytes
// that a reader copying the string into each cell turns into
// size×cells bytes.
func SharedStringXLSX(size, cells int) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	part := func(name, body string) {
		f, _ := w.Create(name)
		f.Write([]byte(body))
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+rel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook `+ns+` xmlns:r="`+rel+`"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="`+rel+`/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="`+rel+`/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	f, _ := w.Create("xl/sharedStrings.xml")
	fmt.Fprintf(f, `<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="1"><si><t>`, ns, cells)
	f.Write(bytes.Repeat([]byte("A"), size))
	f.Write([]byte(`</t></si></sst>`))
	f, _ = w.Create("xl/worksheets/sheet1.xml")
	fmt.Fprintf(f, `<?xml version="1.0" encoding="UTF-8"?><worksheet %s><sheetData>`, ns)
	for r := 0; r*100 < cells; r++ {
		fmt.Fprintf(f, `<row r="%d">`, r+1)
		for c := 0; c < 100 && r*100+c < cells; c++ {
			fmt.Fprintf(f, `<c r="%s%d" t="s"><v>0</v></c>`, column(c), r+1)
		}
		f.Write([]byte(`</row>`))
	}
	f.Write([]byte(`</sheetData></worksheet>`))
	w.Close()
	return b.Bytes()
}

// column names a column as spreadsheets do: A, B, … Z, AA, …
func column(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

// SharedStripTIFF is a TIFF of n pages, each w×h pixels of 16-bit RGBA,
// whose pages all point at one Deflate strip of zeros stored once: a file
// of kilobytes whose every page decodes to w×h×8 bytes.
func SharedStripTIFF(n, w, h int) []byte {
	le := binary.LittleEndian
	z := ZlibZeros((w*h*8 + 1<<20 - 1) >> 20) // the decoder reads no more than a page needs
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8+8+len(z)))        // the first page, after the strip
	binary.Write(&b, le, [4]uint16{16, 16, 16, 16}) // BitsPerSample, at 8
	strip := uint32(b.Len())
	b.Write(z)
	const entries = 10
	const short, long = 3, 4
	for i := range n {
		next := uint32(0)
		if i < n-1 {
			next = uint32(b.Len() + 2 + entries*12 + 4)
		}
		binary.Write(&b, le, uint16(entries))
		entry := func(tag, typ uint16, count, value uint32) {
			binary.Write(&b, le, tag)
			binary.Write(&b, le, typ)
			binary.Write(&b, le, count)
			binary.Write(&b, le, value)
		}
		entry(256, long, 1, uint32(w))      // ImageWidth
		entry(257, long, 1, uint32(h))      // ImageLength
		entry(258, short, 4, 8)             // BitsPerSample: 16 × 4
		entry(259, short, 1, 8)             // Compression: Deflate
		entry(262, short, 1, 2)             // PhotometricInterpretation: RGB
		entry(273, long, 1, strip)          // StripOffsets: the one strip
		entry(277, short, 1, 4)             // SamplesPerPixel
		entry(278, long, 1, uint32(h))      // RowsPerStrip: the whole page
		entry(279, long, 1, uint32(len(z))) // StripByteCounts
		entry(338, short, 1, 1)             // ExtraSamples: associated alpha
		binary.Write(&b, le, next)
	}
	return b.Bytes()
}
