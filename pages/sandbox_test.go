package pages_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reviewer-app/reviewer/internal/docx"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// listener is an HTTP server on 127.0.0.1 that counts the connections made
// to it and keeps the paths asked for.
type listener struct {
	*httptest.Server
	mu    sync.Mutex
	conns int
	paths []string
}

func listen(t *testing.T) *listener {
	l := &listener{}
	l.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.paths = append(l.paths, r.URL.Path)
		l.mu.Unlock()
	}))
	l.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			l.mu.Lock()
			l.conns++
			l.mu.Unlock()
		}
	}
	l.Start()
	t.Cleanup(l.Close)
	return l
}

// seen returns how many connections were made, and the paths asked for.
func (l *listener) seen() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns, l.paths
}

// recorder returns shell lines that record the network namespace a
// program runs in, its memory bound (ulimit -v) and its network interfaces,
// and what checks that it ran in a network namespace of its own, with the
// interface lo alone, bounded to limit KiB.
func recorder(t *testing.T) (lines string, check func(t *testing.T, limit string)) {
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(t.TempDir(), "record")
	lines = "{ readlink /proc/self/ns/net; ulimit -v; tail -n +3 /proc/net/dev | cut -d: -f1; } > " + record + "\n"
	return lines, func(t *testing.T, limit string) {
		b, err := os.ReadFile(record)
		if err != nil {
			t.Fatal("the program did not run: ", err)
		}
		got := strings.Fields(string(b))
		if len(got) < 3 || got[0] == own || got[1] != limit || !slices.Equal(got[2:], []string{"lo"}) {
			t.Errorf("ran as %q, want another network namespace than %s, ulimit -v %s and the interface lo alone", got, own, limit)
		}
	}
}

// TestSandbox: a Word document that names an address on this machine in
// every way a word processor might fetch it (docx.Fetching: a linked
// DrawingML picture, VML pictures, INCLUDEPICTURE and INCLUDETEXT fields, a
// DTD's external entities) is laid out by the real LibreOffice as pages,
// with its text, and nothing connects to the address: in the sandbox, and
// where no sandbox can be made, by the document's references removed
// alone. Tesseract reads a box in a network namespace of its own, within
// its memory bound (LibreOffice's are checked in TestWordAsPages); and where
// unshare is missing, the probe says so.
func TestSandbox(t *testing.T) {
	ctx := context.Background()
	if err := pages.Sandbox(); err != nil {
		t.Fatal("no network namespace can be made here: ", err)
	}
	dir := t.TempDir()
	r, err := pages.Open(ctx, dir, pages.Options{CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	for _, sandboxed := range []bool{true, false} {
		t.Run(map[bool]string{true: "Word document in the sandbox", false: "Word document, references removed alone"}[sandboxed], func(t *testing.T) {
			if !sandboxed {
				defer pages.WithoutSandbox()()
			}
			l := listen(t) // an address of its own: a document of its own
			hash, path := save(t, dir, docx.Fetching(l.URL+"/"))
			kind, sizes, err := r.Inspect(ctx, hash, path)
			if err != nil || kind != "docx" || len(sizes) == 0 {
				t.Fatalf("Inspect = %q %v %v, want docx with pages (AsText: %q)", kind, sizes, err, r.AsText(hash))
			}
			words, err := r.Words(ctx, hash, path, 1)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, w := range words {
				texts = append(texts, w.Text)
			}
			if got := strings.Join(texts, " "); !strings.Contains(got, "Invoice 4711") || !strings.Contains(got, "Total due: 39.00 EUR") {
				t.Errorf("page 1 reads %q", got)
			}
			if n, paths := l.seen(); n > 0 {
				t.Errorf("laying the document out made %d connections to %s, asking for %v", n, l.URL, paths)
			}
		})
	}

	t.Run("Tesseract", func(t *testing.T) {
		page := hostile.OnePage("0 0 612 792", "/Font << /F1 5 0 R >>",
			hostile.Stream("", []byte("BT /F1 36 Tf 72 700 Td (Invoice 4711) Tj ET")),
			hostile.Obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"))
		hash, path := save(t, dir, page)
		box := review.Rect{Left: 0, Top: 0, Right: 1, Bottom: 0.2}
		if text, err := r.Read(ctx, hash, path, 1, box); err != nil || text != "Invoice 4711" {
			t.Errorf("Tesseract read %q %v, want Invoice 4711", text, err)
		}
		record, ranOffline := recorder(t)
		bin := t.TempDir()
		if err := os.WriteFile(filepath.Join(bin, "tesseract"), []byte("#!/bin/sh\n"+record+"cat > /dev/null\necho faked\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
		if text, err := r.Read(ctx, hash, path, 1, box); err != nil || text != "faked" {
			t.Fatalf("a Tesseract in its place read %q %v", text, err)
		}
		ranOffline(t, "524288")
	})

	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := pages.ProbeSandbox(); err == nil || !strings.Contains(err.Error(), "unshare (util-linux) is not installed") {
			t.Errorf("probe without unshare = %v", err)
		}
	})
}

// TestWordUnlinked: what could reach outside a Word document is removed
// from each of its parts, and nothing else: byte for byte, a part without
// any is left as it was.
func TestWordUnlinked(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"relationships outside the package",
			`<Relationships><Relationship Id="a" Target="media/a.png"/><Relationship Id="b" Target="http://h/b" TargetMode="External"/>` +
				`<Relationship Id="c" Target="HTTP://h/c"/><Relationship Id="d" Target="file:///etc/passwd"></Relationship><Relationship Id="e" Target="\\\\h\\e"/></Relationships>`,
			`<Relationships><Relationship Id="a" Target="media/a.png"/></Relationships>`},
		{"VML's o:href and src",
			`<v:shape o:href="http://h/a"><v:imagedata r:id="rId1" src="http://h/b" o:title="t &amp; &quot;q&quot;"/><v:fill o:href="#inside"/></v:shape>`,
			`<v:shape><v:imagedata r:id="rId1" o:title="t &amp; &#34;q&#34;"/><v:fill o:href="#inside"/></v:shape>`},
		{"an SVG picture's images",
			`<svg><image href="http://h/a"/><image xlink:href="DATA:image/png;base64,AA=="/><use href="#x"/></svg>`,
			`<svg><image/><image xlink:href="DATA:image/png;base64,AA=="/><use href="#x"/></svg>`},
		{"simple fields that fetch, and one that does not",
			`<w:fldSimple w:instr=" INCLUDETEXT &quot;http://h/a&quot; "><w:r><w:t>a</w:t></w:r></w:fldSimple><w:fldSimple w:instr=" PAGE "/>`,
			`<w:fldSimple w:instr=""><w:r><w:t>a</w:t></w:r></w:fldSimple><w:fldSimple w:instr=" PAGE "/>`},
		{"a field code split over runs",
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>INCLUDE</w:instrText></w:r><w:r><w:instrText>PICTURE "http://h/a"</w:instrText></w:r>` +
				`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>kept</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`,
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText></w:instrText></w:r><w:r><w:instrText></w:instrText></w:r>` +
				`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>kept</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`},
		{"a field code spelt by a nested field, without a separate",
			`<w:fldChar w:fldCharType="begin"/><w:fldChar w:fldCharType="begin"/><w:instrText>QUOTE "LINK"</w:instrText><w:fldChar w:fldCharType="separate"/><w:t>LINK</w:t><w:fldChar w:fldCharType="end"/>` +
				`<w:instrText><![CDATA[ Excel "/srv/a.xlsx"]]></w:instrText><w:fldChar w:fldCharType="end"/>`,
			`<w:fldChar w:fldCharType="begin"/><w:fldChar w:fldCharType="begin"/><w:instrText></w:instrText><w:fldChar w:fldCharType="separate"/><w:t>LINK</w:t><w:fldChar w:fldCharType="end"/>` +
				`<w:instrText></w:instrText><w:fldChar w:fldCharType="end"/>`},
		{"fields that do not fetch",
			`<w:fldChar w:fldCharType="begin"/><w:instrText>HYPERLINK "http://h/a" \o "Linked"</w:instrText><w:fldChar w:fldCharType="end"/>`,
			`<w:fldChar w:fldCharType="begin"/><w:instrText>HYPERLINK "http://h/a" \o "Linked"</w:instrText><w:fldChar w:fldCharType="end"/>`},
		{"a DTD",
			`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE a [<!ENTITY % p SYSTEM "http://h/p"> %p;]><a/>`,
			`<?xml version="1.0"?>` + "\n" + `<a/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pages.UnlinkXML([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Errorf("got %s %v\nwant %s", got, err, tt.want)
			}
		})
	}

	for _, in := range []string{
		`<!DOCTYPE a [<!ENTITY e SYSTEM "http://h/e">]><a>&e;</a>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
		"\xFF\xFE<\x00a\x00/\x00>\x00",
	} {
		if got, err := pages.UnlinkXML([]byte(in)); err == nil {
			t.Errorf("%q was read as %q, want an error (the part is emptied)", in, got)
		}
	}

	base := "http://127.0.0.1:9/"
	parts := func(doc []byte) map[string]string {
		z, err := zip.NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, f := range z.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			m[f.Name] = string(b)
		}
		return m
	}
	out, err := pages.Unlink(docx.Fetching(base))
	if err != nil {
		t.Fatal(err)
	}
	got := parts(out)
	for name, part := range got {
		if strings.Contains(part, base) {
			t.Errorf("%s still names %s:\n%s", name, base, part)
		}
	}
	for _, kept := range []string{"Invoice 4711", "[picture]", "[included text]", `w:instr=" PAGE "`, "Total due: 39.00 EUR"} {
		if !strings.Contains(got["word/document.xml"], kept) {
			t.Errorf("the document lost %s", kept)
		}
	}
	if was := parts(docx.Fetching(base)); got["word/styles.xml"] != was["word/styles.xml"] || got["docProps/core.xml"] != "" || len(got) != len(was) {
		t.Errorf("styles %q (was %q), properties %q, %d parts (were %d)", got["word/styles.xml"], was["word/styles.xml"], got["docProps/core.xml"], len(got), len(was))
	}

	plain := docx.Write("Invoice 4711", "\f", "Terms: 30 days")
	out, err = pages.Unlink(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(parts(out), parts(plain)) {
		t.Errorf("a plain document changed: %v, was %v", parts(out), parts(plain))
	}
}
