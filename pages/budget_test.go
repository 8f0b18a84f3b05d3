package pages_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image/png"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/scans"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

func openBudgeted(t *testing.T, memory int64) (*pages.Renderer, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := pages.Open(context.Background(), dir, pages.Options{Instances: 1, DecodeMemory: memory, CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

func inspect(t *testing.T, r *pages.Renderer, dir string, doc []byte) (hash, path string) {
	t.Helper()
	hash, path = save(t, dir, doc)
	if _, _, err := r.Inspect(context.Background(), hash, path); err != nil {
		t.Fatal(err)
	}
	return hash, path
}

func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Width, cfg.Height
}

// TestHostileTIFF reproduces the TIFF of thousands of 16-bit RGBA pages
// sharing one strip (the red team's: 723 KB, 3464×3464 pages; here smaller
// pages show the same): eight thumbnails asked at once each draw their cost
// from the budget, estimated from the page's header before it is decoded,
// so no more than the budget is ever held; a view that finds no room is told
// to come back, with a sentence, and nothing is decoded for it; a page that
// could never fit is refused from its header and remembered.
func TestHostileTIFF(t *testing.T) {
	const w, h = 600, 600
	const page = 3 * w * h * 8 // the decoded page, and its strip inflated into a buffer that grows by doubling
	r, dir := openBudgeted(t, 40<<20)
	ctx := context.Background()
	hash, path := inspect(t, r, dir, hostile.SharedStripTIFF(64, w, h))
	b := r.Budget()

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.PNG(ctx, hash, path, i+1, 240) })
	}
	wg.Wait()
	shown := 0
	for i, err := range errs {
		switch {
		case err == nil:
			shown++
		case review.ErrorCode(err) != review.EUNAVAILABLE || !strings.Contains(review.ErrorMessage(err), "busy"):
			t.Errorf("page %d: %v", i+1, err)
		}
	}
	t.Logf("%d of 8 shown at once, %d decodes, %d MiB held at most of %d", shown, pages.ImageDecodes(r), b.Peak()>>20, b.Max()>>20)
	if shown == 0 || b.Peak() > b.Max() || b.Peak() < page || b.Held() != 0 {
		t.Fatalf("%d shown; %d bytes held at most of %d, a page costs %d; %d held after", shown, b.Peak(), b.Max(), page, b.Held())
	}

	release, err := b.Take(ctx, b.Max())
	if err != nil {
		t.Fatal(err)
	}
	decoded := pages.ImageDecodes(r)
	_, err = r.PNG(ctx, hash, path, 20, 240)
	if review.ErrorCode(err) != review.EUNAVAILABLE || pages.ImageDecodes(r) != decoded {
		t.Fatalf("with the budget taken: %v, %d decodes (was %d)", err, pages.ImageDecodes(r), decoded)
	}
	release()
	if _, err := r.PNG(ctx, hash, path, 20, 240); err != nil {
		t.Fatal(err)
	}

	huge, hugePath := inspect(t, r, dir, hostile.SharedStripTIFF(2, 2000, 2000))
	decoded = pages.ImageDecodes(r)
	for range 2 {
		_, err := r.PNG(ctx, huge, hugePath, 1, 240)
		if review.ErrorCode(err) != review.EUNPROCESSABLE || !strings.Contains(review.ErrorMessage(err), "too large to show") {
			t.Fatalf("a page larger than the budget: %v", err)
		}
	}
	if pages.ImageDecodes(r) != decoded {
		t.Fatalf("a page larger than the budget was decoded")
	}
}

// TestThumbnails: a thumbnail is no full page: an image's is made from the
// page as already drawn, or with it from one decode; a PDF's is rendered
// by PDFium at the thumbnail's size, and costs the budget as much.
func TestThumbnails(t *testing.T) {
	r, dir := openBudgeted(t, 0)
	ctx := context.Background()
	hash, path := inspect(t, r, dir, scans.TIFF(marked(400, 600), marked(400, 600)))

	thumb, err := r.PNG(ctx, hash, path, 1, 240)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := pngSize(t, thumb); w != 240 || h != 360 {
		t.Fatalf("the thumbnail is %d×%d", w, h)
	}
	full, err := r.PNG(ctx, hash, path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := pngSize(t, full); w != 400 || h != 600 || pages.ImageDecodes(r) != 1 {
		t.Fatalf("the page is %d×%d after %d decodes, want 400×600 after 1", w, h, pages.ImageDecodes(r))
	}
	if _, err := r.PNG(ctx, hash, path, 2, 1000); err != nil {
		t.Fatal(err)
	}
	thumb, err = r.PNG(ctx, hash, path, 2, 240)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := pngSize(t, thumb); w != 240 || pages.ImageDecodes(r) != 2 {
		t.Fatalf("page 2's thumbnail is %d wide after %d decodes, want 240 after 2", w, pages.ImageDecodes(r))
	}

	r, dir = openBudgeted(t, 0)
	hash, path = inspect(t, r, dir, hostile.Plain()) // 612×792 points
	if _, err := r.PNG(ctx, hash, path, 1, 240); err != nil {
		t.Fatal(err)
	}
	thumbPeak := r.Budget().Peak()
	if _, err := r.PNG(ctx, hash, path, 1, 2400); err != nil {
		t.Fatal(err)
	}
	t.Logf("a PDF page's thumbnail held %d KiB, the page 2400 wide %d KiB", thumbPeak>>10, r.Budget().Peak()>>10)
	if thumbPeak > 240*311*4+2<<20 || r.Budget().Peak() < 2400*3105*4 {
		t.Fatalf("a thumbnail held %d bytes, the page 2400 wide %d", thumbPeak, r.Budget().Peak())
	}
}

// TestBoxReadWaitsForBudget: reading a drawn box takes its turn and the
// budget before the page is drawn: with the budget taken, nothing is
// decoded and the reader is told to come back; readings at once then hold
// no more than the budget, and draw the page once.
func TestBoxReadWaitsForBudget(t *testing.T) {
	r, dir := openBudgeted(t, 0)
	ctx := context.Background()
	hash, path := inspect(t, r, dir, scans.TIFF(marked(800, 1000)))
	box := review.Rect{Left: 0, Top: 0, Right: 0.5, Bottom: 0.5}
	b := r.Budget()
	release, err := b.Take(ctx, b.Max())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(ctx, hash, path, 1, box); review.ErrorCode(err) != review.EUNAVAILABLE || pages.ImageDecodes(r) != 0 {
		t.Fatalf("with the budget taken: %v, %d decodes", err, pages.ImageDecodes(r))
	}
	release()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := r.Read(ctx, hash, path, 1, box); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if b.Peak() > b.Max() || b.Peak() < 800*1000*4 || pages.ImageDecodes(r) != 1 || b.Held() != 0 {
		t.Fatalf("%d bytes held at most, %d after; %d decodes", b.Peak(), b.Held(), pages.ImageDecodes(r))
	}
}

// TestImageFailureRemembered: a page that cannot be decoded is answered
// with a sentence, and the second time at once, without decoding, as a
// PDF's failure is; the other pages are shown.
func TestImageFailureRemembered(t *testing.T) {
	r, dir := openBudgeted(t, 0)
	ctx := context.Background()
	doc := scans.TIFF(marked(40, 60), marked(40, 60))
	second := binary.LittleEndian.Uint32(doc[8+2+9*12:])
	binary.LittleEndian.PutUint32(doc[second+2+5*12+8:], 1<<30) // page 2's strip lies past the end
	hash, path := inspect(t, r, dir, doc)
	var first string
	for i := range 2 {
		_, err := r.PNG(ctx, hash, path, 2, 0)
		if review.ErrorCode(err) != review.EUNPROCESSABLE || !strings.HasPrefix(review.ErrorMessage(err), "This page cannot be shown") {
			t.Fatalf("try %d: %v", i+1, err)
		}
		if i == 0 {
			first = review.ErrorMessage(err)
		} else if review.ErrorMessage(err) != first {
			t.Fatalf("said %q, then %q", first, review.ErrorMessage(err))
		}
		if pages.ImageDecodes(r) != 1 {
			t.Fatalf("try %d: %d decodes", i+1, pages.ImageDecodes(r))
		}
	}
	if _, err := r.PNG(ctx, hash, path, 1, 0); err != nil {
		t.Fatal(err)
	}
}

// TestDrawFirst: page one of a PDF is drawn at the width the viewer first
// asks for, and that request is then a read of the kept file; an image,
// served as it is, is not decoded for it.
func TestDrawFirst(t *testing.T) {
	t.Parallel()
	r, dir := openBudgeted(t, 0)
	ctx := context.Background()
	hash, path := inspect(t, r, dir, hostile.Plain()) // 612×792 points
	if err := r.DrawFirst(ctx, hash, path, pages.KindPDF); err != nil {
		t.Fatal(err)
	}
	drawnBy := time.Now()
	out, err := r.PNG(ctx, hash, path, 1, pages.FirstWidth)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.ModTime().After(drawnBy) {
		t.Fatalf("page one at %d px was drawn when asked for, not on arrival (%v)", pages.FirstWidth, err)
	}
	if w, _ := pngSize(t, out); w != pages.FirstWidth {
		t.Fatalf("page one is %d wide, want %d", w, pages.FirstWidth)
	}
	hash, path = inspect(t, r, dir, scans.TIFF(marked(400, 600)))
	if err := r.DrawFirst(ctx, hash, path, "tiff"); err != nil || pages.ImageDecodes(r) != 0 {
		t.Fatalf("an image: %v after %d decodes", err, pages.ImageDecodes(r))
	}
}
