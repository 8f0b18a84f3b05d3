package content

import (
	"fmt"
	"io"
)

// perCell is what a kept cell costs beside its text: its string header
// and its share of its row.
const perCell = 48

// kept is the most a read document holds: its text and its cells.
const kept = MaxText + MaxCells*perCell

// Cost returns what reading a document of kind, size bytes at r, holds at
// its peak, told before it is read: a text or CSV file by the beginning
// ReadFrom reads of it, an archive by what its directory declares it
// unpacks to (refused, as Read refuses it, past MaxUnpacked). The figures
// are generous: excelize parses the shared strings into structures a few
// times their size, and inflates each part it keeps.
func Cost(r io.ReaderAt, size int64, kind string) (int64, error) {
	switch kind {
	case KindTXT, KindXML, KindHTML:
		return 2 * head(size, kind), nil // the bytes and the string kept
	case KindCSV:
		return 3*head(size, kind) + kept, nil // the bytes, the reader's line, its fields
	case KindXLSX, KindDOCX:
		z, unpacked, err := archive(r, size)
		if err != nil {
			return 0, err
		}
		if kind == KindDOCX {
			return size + 2*unpacked + 2*MaxText, nil
		}
		// The archive, its copy with shared strings shortened, the parts
		// excelize keeps and parses, and one row of the longest cells: as
		// many as the sheet could name (a cell naming a shared string is
		// 16 bytes of XML at least), each copied once more as it is cut.
		var sheet int64
		for _, f := range z.File {
			if !isSharedStrings(f) { // any part may be a sheet
				sheet = max(sheet, int64(f.UncompressedSize64))
			}
		}
		row := min(maxColumns, sheet/16+1) * (MaxCell + 1)
		return 2*size + 5*unpacked + kept + 2*row, nil
	}
	return 0, nil
}

// head is how many leading bytes of a file of kind ReadFrom reads: what
// the bounds let it show, and one byte more to tell that there is more.
func head(size int64, kind string) int64 {
	switch kind {
	case KindTXT, KindXML, KindHTML:
		return min(size, MaxText+4) // and a BOM
	case KindCSV:
		return min(size, maxCSV)
	}
	return size
}

// ReadFrom reads the document of kind, size bytes at r, as Read does,
// reading no more of it than it can show.
func ReadFrom(r io.ReaderAt, size int64, kind string) (Doc, error) {
	n := head(size, kind)
	data := make([]byte, n)
	if _, err := r.ReadAt(data, 0); err != nil && !(err == io.EOF && n == size) {
		return Doc{}, fmt.Errorf("read document: %w", err)
	}
	d, err := Read(data, kind)
	if err == nil && n < size && d.Cut == "" {
		d.Cut = fmt.Sprintf("Only the first %d MiB of the file is read.", n>>20)
	}
	return d, err
}
