package pages_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/docx"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/pages"
)

// TestWordAsPages: a Word document is laid out as pages by LibreOffice,
// and its pages have PDFium's words where the text is; a document
// LibreOffice cannot read, a converter that hangs (killed with everything
// it started, at the deadline; run within its memory bound and without
// network) and a server without LibreOffice each leave
// the document to be shown as its text, saying why, and the failure is
// remembered.
func TestWordAsPages(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T, office string) (*pages.Renderer, string) {
		t.Helper()
		dir := t.TempDir()
		r, err := pages.Open(ctx, dir, pages.Options{Office: office, CompileCache: pdfiumtest.Cache(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r, dir
	}

	t.Run("laid out", func(t *testing.T) {
		r, dir := open(t, "")
		hash, path := save(t, dir, docx.Write("Invoice 4711", "Total due: 39.00 EUR", "\f", "Terms: 30 days"))
		kind, sizes, err := r.Inspect(ctx, hash, path)
		if err != nil || kind != "docx" || len(sizes) != 2 {
			t.Fatalf("Inspect = %q %v %v, want docx with 2 pages", kind, sizes, err)
		}
		if sizes[0].Width < 500 || sizes[0].Width > 620 || sizes[0].Height < 780 || sizes[0].Height > 850 {
			t.Errorf("page 1 is %v points, not A4 or Letter", sizes[0])
		}
		words, err := r.Words(ctx, hash, path, 1)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, w := range words {
			texts = append(texts, w.Text)
			if w.Text == "4711" && (w.Rect.Top > 0.2 || w.Rect.Left > 0.5) {
				t.Errorf("4711 stands at %v, not near the top left", w.Rect)
			}
		}
		if got := strings.Join(texts, " "); got != "Invoice 4711 Total due: 39.00 EUR" {
			t.Errorf("page 1 reads %q", got)
		}
		if png, err := r.PNG(ctx, hash, path, 2, 240); err != nil {
			t.Fatal(err)
		} else if st, _ := os.Stat(png); st.Size() == 0 {
			t.Fatal("page 2 drawn empty")
		}
		if why := r.AsText(hash); why != "" {
			t.Errorf("AsText = %q for a document laid out", why)
		}
	})

	t.Run("refused by LibreOffice", func(t *testing.T) {
		r, dir := open(t, "")
		hash, path := save(t, dir, docx.WithoutPartsList("Invoice 4711"))
		for range 2 {
			start := time.Now()
			kind, sizes, err := r.Inspect(ctx, hash, path)
			if err != nil || kind != "docx" || len(sizes) != 0 {
				t.Fatalf("Inspect = %q %v %v, want docx without pages", kind, sizes, err)
			}
			t.Logf("inspected in %s", time.Since(start))
		}
		if why := r.AsText(hash); !strings.Contains(why, "LibreOffice could not read this document") {
			t.Errorf("AsText = %q", why)
		}
	})

	t.Run("hanging converter", func(t *testing.T) {
		defer pages.SetOfficeTimeout(2 * time.Second)()
		bin := filepath.Join(t.TempDir(), "soffice")
		record, ranOffline := recorder(t)
		script := "#!/bin/sh\n" + record + "sleep 6017 &\nsleep 6017\n"
		if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		r, dir := open(t, bin)
		hash, path := save(t, dir, docx.Write("Invoice 4711"))
		start := time.Now()
		kind, sizes, err := r.Inspect(ctx, hash, path)
		if err != nil || kind != "docx" || len(sizes) != 0 {
			t.Fatalf("Inspect = %q %v %v, want docx without pages", kind, sizes, err)
		}
		if took := time.Since(start); took > time.Minute {
			t.Errorf("a hanging converter held Inspect %s", took)
		}
		if why := r.AsText(hash); !strings.Contains(why, "took longer than 2s") {
			t.Errorf("AsText = %q", why)
		}
		if out, _ := exec.Command("pgrep", "-f", "sleep 6017").Output(); len(out) > 0 {
			t.Errorf("the converter's children outlived it: %s", out)
		}
		ranOffline(t, "1048576")
	})

	t.Run("not installed", func(t *testing.T) {
		r, dir := open(t, "none")
		hash, path := save(t, dir, docx.Write("Invoice 4711"))
		if kind, sizes, err := r.Inspect(ctx, hash, path); err != nil || kind != "docx" || len(sizes) != 0 {
			t.Fatalf("Inspect = %q %v %v, want docx without pages", kind, sizes, err)
		}
		if why := r.AsText(hash); !strings.Contains(why, "LibreOffice is not installed") {
			t.Errorf("AsText = %q", why)
		}
	})
}
