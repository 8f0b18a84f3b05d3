package pages_test

import (
	"context"
	"html"
	"math"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/pages"
)

// TestWordsMatchPoppler: the words PDFium reads of a page stand where
// poppler's pdftotext puts them (within half a percent of the page), on an
// upright invoice and on a table printed on a page with /Rotate 90.
func TestWordsMatchPoppler(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	r, err := pages.Open(ctx, dir, pages.Options{CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, doc := range []struct{ pdf, bbox string }{
		{"../demo/files/AmazonWebServices.pdf", "../cmd/reviewer/testdata/AmazonWebServices.bbox.html"},
		{"../cmd/reviewer/testdata/nics-background-checks-2015-11-rotated.pdf", "../cmd/reviewer/testdata/nics-background-checks-2015-11-rotated.bbox.html"},
	} {
		t.Run(doc.pdf, func(t *testing.T) {
			data, err := os.ReadFile(doc.pdf)
			if err != nil {
				t.Fatal(err)
			}
			hash, path := save(t, dir, data)
			_, sizes, err := r.Inspect(ctx, hash, path)
			if err != nil {
				t.Fatal(err)
			}
			words, err := r.Words(ctx, hash, path, 1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(doc.bbox)
			if err != nil {
				t.Fatal(err)
			}
			want := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`).FindAllStringSubmatch(string(b), -1)
			byText := map[string][]pages.Word{}
			for _, w := range words {
				byText[w.Text] = append(byText[w.Text], w)
			}
			f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
			found := 0
			for _, m := range want {
				pw, ph := sizes[0].Width, sizes[0].Height
				l, tp, rt, bt := f(m[1])/pw, f(m[2])/ph, f(m[3])/pw, f(m[4])/ph
				for _, w := range byText[html.UnescapeString(m[5])] {
					if math.Abs(w.Rect.Left-l) < 0.005 && math.Abs(w.Rect.Right-rt) < 0.005 && math.Abs((w.Rect.Top+w.Rect.Bottom)/2-(tp+bt)/2) < 0.005 {
						found++
						break
					}
				}
			}
			if found < len(want)*9/10 {
				t.Fatalf("%d of poppler's %d words found where poppler puts them (PDFium read %d)", found, len(want), len(words))
			}
			t.Logf("%d of %d words match", found, len(want))
		})
	}
}
