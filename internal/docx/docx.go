// Package docx writes Word documents (DOCX) for tests and benchmarks: a whole one, as
// Word saves it, and one with its text but without the package's parts
// list, which reviewer's own reader reads and LibreOffice refuses.
package docx

import (
	"archive/zip"
	"bytes"
	"html"
)

// Write writes a Word document of paragraphs, each its own line; "\f"
// alone as a paragraph starts a new page.
func Write(paragraphs ...string) []byte {
	return pack(true, paragraphs)
}

// WithoutPartsList writes the same document without [Content_Types].xml.
func WithoutPartsList(paragraphs ...string) []byte {
	return pack(false, paragraphs)
}

func pack(whole bool, paragraphs []string) []byte {
	var body bytes.Buffer
	for _, p := range paragraphs {
		if p == "\f" {
			body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
			continue
		}
		body.WriteString(`<w:p><w:r><w:t xml:space="preserve">` + html.EscapeString(p) + `</w:t></w:r></w:p>`)
	}
	parts := [][2]string{
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`},
	}
	if whole {
		parts = append([][2]string{
			{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
				`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
				`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
				`<Default Extension="xml" ContentType="application/xml"/>` +
				`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
			{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
				`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
				`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		}, parts...)
	}
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, p := range parts {
		f, _ := w.Create(p[0])
		f.Write([]byte(p[1]))
	}
	w.Close()
	return b.Bytes()
}
