// Package docx writes Word documents (DOCX) for tests and benchmarks: a whole one, as
// Word saves it, one with its text but without the package's parts
// list, which reviewer's own reader reads and LibreOffice refuses, and one
// that names an address to fetch in every way a word processor might.
package docx

import (
	"archive/zip"
	"bytes"
	"html"
	"strings"
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
		parts = append(packaged(""), parts...)
	}
	return zipped(parts)
}

// packaged is what makes a zip a Word document: the parts list and the
// package's relationships, to its main part and those in rels.
func packaged(rels string) [][2]string {
	return [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` + rels + `</Relationships>`},
	}
}

func zipped(parts [][2]string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, p := range parts {
		f, _ := w.Create(p[0])
		f.Write([]byte(p[1]))
	}
	w.Close()
	return b.Bytes()
}

// Fetching writes a Word document of the paragraphs "Invoice 4711" and
// "Total due: 39.00 EUR" that names base (an address ending in "/"),
// followed by a path saying which way, in every way a word processor might
// fetch it while laying the document out:
//
//   - drawingml: a picture linked rather than embedded (DrawingML r:link, a
//     relationship with TargetMode="External"), and absolute: one embedded
//     from an address without saying it is external;
//   - vml, vml-href, vml-src: a VML picture by an external relationship, by
//     o:href and by src;
//   - includepicture, includetext, includetext-simple, nested: fields that
//     include a picture or text (INCLUDEPICTURE split over two runs of its
//     instruction, INCLUDETEXT as a complex and a simple field, and one
//     whose code a nested field spells);
//   - dtd, entity: a DTD's external parameter entity, and an external
//     entity it declares and the title uses, in the document's properties
//     (there, unlike in the main part, LibreOffice does not refuse a DTD).
//
// It also has a PAGE field and a styles part, which stay.
func Fetching(base string) []byte {
	ns := `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ` +
		`xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ` +
		`xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ` +
		`xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" ` +
		`xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"`
	picture := func(blip string) string {
		return `<w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/><wp:docPr id="1" name="Picture"/>` +
			`<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>` +
			`<pic:nvPicPr><pic:cNvPr id="1" name="Picture"/><pic:cNvPicPr/></pic:nvPicPr>` +
			`<pic:blipFill><a:blip ` + blip + `/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>` +
			`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>` +
			`</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`
	}
	run := func(inner string) string { return `<w:r>` + inner + `</w:r>` }
	char := func(typ string) string { return run(`<w:fldChar w:fldCharType="` + typ + `"/>`) }
	instr := func(s string) string { return run(`<w:instrText xml:space="preserve">` + s + `</w:instrText>`) }
	text := func(s string) string { return run(`<w:t xml:space="preserve">` + s + `</w:t>`) }
	field := func(result string, instructions ...string) string {
		return char("begin") + strings.Join(instructions, "") + char("separate") + text(result) + char("end")
	}
	body := `<w:p>` + text("Invoice 4711") + `</w:p>` +
		picture(`r:link="rIdLinked"`) + picture(`r:embed="rIdAbsolute"`) +
		`<w:p><w:r><w:pict><v:shape id="vml" style="width:72pt;height:72pt" o:href="` + base + `vml-href">` +
		`<v:imagedata r:id="rIdVML" src="` + base + `vml-src" o:title=""/></v:shape></w:pict></w:r></w:p>` +
		`<w:p>` + field("[picture]", instr(" INCLUDE"), instr(`PICTURE "`+base+`includepicture" \d `)) + `</w:p>` +
		`<w:p>` + field("[included text]", instr(` INCLUDETEXT "`+base+`includetext" `)) + `</w:p>` +
		`<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;` + base + `includetext-simple&quot; ">` + text("[included]") + `</w:fldSimple></w:p>` +
		`<w:p>` + field("[nested]", field("INCLUDEPICTURE", instr(` QUOTE "INCLUDEPICTURE" `)), instr(` "`+base+`nested" `)) + `</w:p>` +
		`<w:p><w:fldSimple w:instr=" PAGE ">` + text("1") + `</w:fldSimple></w:p>` +
		`<w:p>` + text("Total due: 39.00 EUR") + `</w:p>`
	rel := func(id, typ, target, mode string) string {
		return `<Relationship Id="` + id + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/` + typ + `" Target="` + target + `"` + mode + `/>`
	}
	const external = ` TargetMode="External"`
	return zipped(append(packaged(`<Relationship Id="rIdCore" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>`),
		[2]string{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:document ` + ns + `><w:body>` + body + `</w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rel("rIdStyles", "styles", "styles.xml", "") +
			rel("rIdLinked", "image", base+"drawingml", external) +
			rel("rIdAbsolute", "image", base+"absolute", "") +
			rel("rIdVML", "image", base+"vml", external) +
			`</Relationships>`},
		[2]string{"word/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:styles ` + ns + `><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>`},
		[2]string{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<!DOCTYPE cp:coreProperties [<!ENTITY % dtd SYSTEM "` + base + `dtd"> %dtd; <!ENTITY title SYSTEM "` + base + `entity">]>` +
			`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
			`<dc:title>&title;</dc:title></cp:coreProperties>`},
	))
}
