package pages_test

import (
	"context"
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

// TestWordOffline: a Word document that names an address on this machine
// in every way a word processor might fetch it (docx.Fetching: a linked
// DrawingML picture, VML pictures, INCLUDEPICTURE and INCLUDETEXT fields, a
// DTD's external entities) is laid out by the real LibreOffice as pages,
// with its text, and nothing connects to the address.
func TestWordOffline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := pages.Open(ctx, dir, pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l := listen(t)
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
}

// TestSandbox: LibreOffice and Tesseract each run in an empty network
// namespace of their own (a loopback interface, and nothing else), still
// within their memory bound; Tesseract reads a box there; and where unshare
// is missing, the probe says so.
func TestSandbox(t *testing.T) {
	ctx := context.Background()
	if err := pages.Sandbox(); err != nil {
		t.Fatal("no network namespace can be made here: ", err)
	}
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	// fake writes a program that records its network namespace, memory
	// bound and network interfaces, then does what rest says.
	fake := func(t *testing.T, name, rest string) (dir, record string) {
		dir = t.TempDir()
		record = filepath.Join(dir, "record")
		script := "#!/bin/sh\n{ readlink /proc/self/ns/net; ulimit -v; tail -n +3 /proc/net/dev | cut -d: -f1; } > " + record + "\n" + rest
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		return dir, record
	}
	check := func(t *testing.T, record, limit string) {
		b, err := os.ReadFile(record)
		if err != nil {
			t.Fatal("the program did not run: ", err)
		}
		got := strings.Fields(string(b))
		if len(got) < 3 || got[0] == own || got[1] != limit || !slices.Equal(got[2:], []string{"lo"}) {
			t.Errorf("ran in %q, want another network namespace than %s, ulimit -v %s and the interface lo alone", got, own, limit)
		}
	}
	office, officeRecord := fake(t, "soffice", "exit 1\n")
	dir := t.TempDir()
	r, err := pages.Open(ctx, dir, pages.Options{Office: filepath.Join(office, "soffice")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	t.Run("LibreOffice", func(t *testing.T) {
		hash, path := save(t, dir, docx.Write("Invoice 4711"))
		if _, _, err := r.Inspect(ctx, hash, path); err != nil {
			t.Fatal(err)
		}
		check(t, officeRecord, "1048576")
	})

	t.Run("Tesseract", func(t *testing.T) {
		page := hostile.OnePage("0 0 612 792", "/Font << /F1 5 0 R >>",
			hostile.Stream("", []byte("BT /F1 36 Tf 72 700 Td (Invoice 4711) Tj ET")),
			hostile.Obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"))
		hash, path := save(t, dir, page)
		box := review.Rect{Left: 0, Top: 0, Right: 1, Bottom: 0.2}
		if text, err := r.Read(ctx, hash, path, 1, box); err != nil || text != "Invoice 4711" {
			t.Errorf("Tesseract read %q %v, want Invoice 4711", text, err)
		}
		bin, record := fake(t, "tesseract", "cat > /dev/null\necho faked\n")
		t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
		if text, err := r.Read(ctx, hash, path, 1, box); err != nil || text != "faked" {
			t.Fatalf("the fake Tesseract read %q %v", text, err)
		}
		check(t, record, "524288")
	})

	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := pages.ProbeSandbox(); err == nil || !strings.Contains(err.Error(), "unshare (util-linux) is not installed") {
			t.Errorf("probe without unshare = %v", err)
		}
	})
}
