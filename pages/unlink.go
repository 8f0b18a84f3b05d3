package pages

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/review"
)

// unlink returns a Word document with every reference to something outside
// it removed, for LibreOffice to lay out: relationships whose target is
// outside the package (a picture linked rather than embedded, DrawingML's
// r:link; VML's r:id; hyperlinks; a template, a subdocument, a linked
// object), VML's o:href and src, fields that take their content from a file
// or address (INCLUDEPICTURE, INCLUDETEXT, LINK, DDE and the like: their
// instruction is emptied, their last result stays as text), and DTDs, with
// the entities and files they name. A part that would be read as XML but
// cannot be read here (not UTF-8, not well-formed, an entity a DTD was to
// define) is emptied, so LibreOffice cannot read it either.
//
// The network namespace (sandbox) is the boundary; this is its second line,
// and the only one where the namespace is missing. It also keeps files of
// the server's own, which a namespace does not hide, out of the pages.
// Parts of nested packages (an embedded workbook) are left as they are.
func unlink(docx []byte) ([]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return nil, review.Errorf(review.EUNPROCESSABLE, "it is not a readable archive.")
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range z.File {
		part, err := readPart(f)
		if err != nil {
			return nil, review.Errorf(review.EUNPROCESSABLE, "its part %s cannot be read: %v.", f.Name, err)
		}
		if !looksXML(part) {
			if err := w.Copy(f); err != nil {
				return nil, err
			}
			continue
		}
		clean, err := unlinkXML(part)
		switch {
		case err != nil:
			clean = nil
		case bytes.Equal(clean, part):
			if err := w.Copy(f); err != nil {
				return nil, err
			}
			continue
		}
		pw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(clean); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// readPart reads one part, at most content.MaxUnpacked bytes of it (the
// whole archive was held to that already; this holds unlink to it alone).
func readPart(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, content.MaxUnpacked+1))
	if err == nil && len(b) > content.MaxUnpacked {
		err = errors.New("it is too large")
	}
	return b, err
}

// looksXML reports whether a part would be read as XML by a parser that
// tells the encoding from the first bytes, as libxml2 does (XML 1.0,
// appendix F): '<' first after a UTF-8 byte order mark and white space, or
// the start of a UTF-16, UTF-32 or EBCDIC document.
func looksXML(b []byte) bool {
	if bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), " \t\r\n"), []byte("<")) {
		return true
	}
	for _, start := range []string{"\xFE\xFF", "\xFF\xFE", "\x00\x00\x00<", "<\x00\x00\x00", "\x00\x00<\x00", "\x00<\x00\x00", "\x00<\x00?", "<\x00?\x00", "\x4C\x6F\xA7\x94"} {
		if bytes.HasPrefix(b, []byte(start)) {
			return true
		}
	}
	return false
}

// fetching are the field codes that take a field's content from a file or
// an address: a picture, a document's text, a linked or imported object, a
// DDE conversation.
var fetching = []string{"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "IMPORT", "LINK", "DDE", "DDEAUTO"}

// fetches reports whether a field's instruction names a fetching code, as
// any of its words: a stray false alarm costs only the field's update.
func fetches(instr string) bool {
	for _, w := range strings.FieldsFunc(instr, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if slices.ContainsFunc(fetching, func(f string) bool { return strings.EqualFold(w, f) }) {
			return true
		}
	}
	return false
}

// field is a complex field (w:fldChar begin, instruction, separate, result,
// end) being read.
type field struct {
	instr  bool            // before its separate: its instruction is being read
	code   strings.Builder // the instruction as Word evaluates it: its own text and its nested fields' results
	result strings.Builder
	spans  [][2]int // byte ranges of instruction text, nested fields' included
}

// edit replaces bytes [from, to) of a part.
type edit struct {
	from, to int
	with     string
}

// unlinkXML returns an XML part without its outside references (see
// unlink), edited in place, byte for byte elsewhere.
func unlinkXML(b []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var (
		edits            []edit
		fields           []*field // open, innermost last
		inInstr, inText  bool
		depth, dropDepth int
		drop             = -1 // where a relationship being dropped starts
	)
	settle := func(f *field) {
		if fetches(f.code.String()) {
			for _, s := range f.spans {
				edits = append(edits, edit{s[0], s[1], ""})
			}
		}
	}
	for {
		from := int(d.InputOffset())
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		to := int(d.InputOffset())
		switch t := tok.(type) {
		case xml.Directive: // a DTD, with the entities and files it names
			edits = append(edits, edit{from, to, ""})
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "Relationship":
				if drop < 0 && outside(t) {
					drop, dropDepth = from, depth
				}
			case "instrText", "delInstrText":
				inInstr = true
			case "t":
				inText = true
			case "fldChar":
				switch attr(t, "fldCharType") {
				case "begin":
					fields = append(fields, &field{instr: true})
				case "separate":
					if len(fields) > 0 && fields[len(fields)-1].instr {
						fields[len(fields)-1].instr = false
						settle(fields[len(fields)-1])
					}
				case "end":
					if n := len(fields); n > 0 {
						f := fields[n-1]
						if f.instr {
							settle(f)
						}
						fields = fields[:n-1]
						if n > 1 && fields[n-2].instr {
							fields[n-2].code.WriteString(f.result.String())
						}
					}
				}
			}
			if tag, changed := inert(t, b[from:to]); changed {
				edits = append(edits, edit{from, to, tag})
			}
		case xml.EndElement:
			if drop >= 0 && depth == dropDepth {
				edits = append(edits, edit{drop, to, ""})
				drop = -1
			}
			depth--
			switch t.Name.Local {
			case "instrText", "delInstrText":
				inInstr = false
			case "t":
				inText = false
			}
		case xml.CharData:
			switch {
			case inInstr && len(fields) == 0: // outside any field: nothing to keep
				if fetches(string(t)) {
					edits = append(edits, edit{from, to, ""})
				}
			case inInstr && fields[len(fields)-1].instr:
				fields[len(fields)-1].code.Write(t)
				for _, f := range fields {
					if f.instr {
						f.spans = append(f.spans, [2]int{from, to})
					}
				}
			case inText && len(fields) > 0:
				fields[len(fields)-1].result.Write(t)
			}
		}
	}
	for _, f := range fields {
		if f.instr {
			settle(f)
		}
	}

	slices.SortFunc(edits, func(a, b edit) int { return cmp.Compare(a.from, b.from) })
	var out bytes.Buffer
	at := 0
	for _, e := range edits {
		if e.from < at {
			continue // within a span already emptied
		}
		out.Write(b[at:e.from])
		out.WriteString(e.with)
		at = e.to
	}
	out.Write(b[at:])
	return out.Bytes(), nil
}

// outside reports whether a relationship's target is outside the package:
// so marked, or an address or absolute path however it is marked.
func outside(t xml.StartElement) bool {
	if strings.EqualFold(strings.TrimSpace(attr(t, "TargetMode")), "External") {
		return true
	}
	target := strings.TrimSpace(attr(t, "Target"))
	u, err := url.Parse(target)
	return err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(target, `\`)
}

// inert returns start tag t (raw as written) without what names something
// outside the document: an href or src attribute (VML's o:href, src; an
// SVG picture's image) other than a reference within it, and the instruction of a simple field that
// fetches. changed is false when there was nothing to remove.
func inert(t xml.StartElement, raw []byte) (tag string, changed bool) {
	var keep []xml.Attr
	for _, a := range t.Attr {
		switch {
		case (strings.EqualFold(a.Name.Local, "href") || strings.EqualFold(a.Name.Local, "src")) && !within(a.Value):
			changed = true
			continue
		case t.Name.Local == "fldSimple" && a.Name.Local == "instr" && fetches(a.Value):
			a.Value, changed = "", true
		}
		keep = append(keep, a)
	}
	if !changed {
		return "", false
	}
	var s strings.Builder
	s.WriteString("<" + qname(t.Name))
	for _, a := range keep {
		s.WriteString(" " + qname(a.Name) + `="`)
		xml.EscapeText(&s, []byte(a.Value))
		s.WriteString(`"`)
	}
	if bytes.HasSuffix(raw, []byte("/>")) {
		s.WriteString("/>")
	} else {
		s.WriteString(">")
	}
	return s.String(), true
}

// within reports whether a reference is to the document itself: a
// fragment, or data written in place.
func within(ref string) bool {
	ref = strings.TrimSpace(ref)
	return strings.HasPrefix(ref, "#") || len(ref) >= 5 && strings.EqualFold(ref[:5], "data:")
}

// qname is a name as written: prefix:local.
func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// attr returns the value of t's attribute named local, whatever its prefix.
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
