package pages_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/memwatch"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

func save(t *testing.T, dir string, data []byte) (hash, path string) {
	sum := sha256.Sum256(data)
	hash = hex.EncodeToString(sum[:])
	path = filepath.Join(dir, hash)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return hash, path
}

// TestHostileDocuments reproduces the red team's documents: each is
// answered with a clear 422-coded error (or drawn within the pixel cap),
// within the time and memory bounds; resident memory comes back after each;
// the failure is remembered, so the next request costs nothing; and the
// renderer still draws an ordinary page afterwards.
func TestHostileDocuments(t *testing.T) {
	const memory = 256 << 20
	dir := t.TempDir()
	ctx := context.Background()
	r, err := pages.Open(ctx, dir, pages.Options{Instances: 2, Timeout: 5 * time.Second, Memory: memory, CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	warm, warmPath := save(t, dir, hostile.Plain())
	if _, err := r.PNG(ctx, warm, warmPath, 1, 1000); err != nil {
		t.Fatal(err)
	}
	debug.FreeOSMemory()
	base := memwatch.RSS()
	t.Logf("resident memory with %d instances warm: %d MiB", 2, base>>20)

	deep := [][]byte{hostile.Obj("<< /Type /Catalog /Pages 2 0 R >>")}
	const depth = 3000
	for i := 2; i < depth; i++ {
		deep = append(deep, hostile.Obj(fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", i+1)))
	}
	deep = append(deep, hostile.Obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>", depth-1)))

	tests := []struct {
		name string
		doc  []byte
		want string // in the error; "" when the page must be drawn
	}{
		{"flate bomb in the content stream (1 GiB of zeros)", hostile.OnePage("0 0 612 792", "", hostile.Stream("/Filter /FlateDecode", hostile.ZlibZeros(1024))), "too complex"},
		{"flate bomb as a 20000x20000 image", hostile.OnePage("0 0 612 792", "/XObject << /Im 5 0 R >>", hostile.Stream("", []byte("q 612 0 0 792 0 0 cm /Im Do Q")),
			hostile.Stream("/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", hostile.ZlibZeros(1145))), "too complex"},
		{"30000x30000 image", hostile.OnePage("0 0 612 792", "/XObject << /Im 5 0 R >>", hostile.Stream("", []byte("q 612 0 0 792 0 0 cm /Im Do Q")),
			hostile.Stream("/Type /XObject /Subtype /Image /Width 30000 /Height 30000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", hostile.ZlibZeros(859))), "too complex"},
		{"cyclic page tree", hostile.PDF(hostile.Obj("<< /Type /Catalog /Pages 2 0 R >>"), hostile.Obj("<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"),
			hostile.Obj("<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>")), "cannot"},
		{"page tree 3000 deep", hostile.PDF(deep...), "cannot"},
		{"720x14400 pt page", hostile.OnePage("0 0 720 14400", "", hostile.Stream("", []byte("0 0 1 rg 0 0 720 14400 re f"))), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, path := save(t, dir, tt.doc)
			stop := memwatch.Peak(memwatch.RSS)
			start := time.Now()
			draw := func() (out string, err error) {
				if _, _, err = r.Inspect(ctx, hash, path); err == nil {
					out, err = r.PNG(ctx, hash, path, 1, 2400)
				}
				return out, err
			}
			out, err := draw()
			if review.ErrorCode(err) == review.EUNAVAILABLE {
				// Out of time once: the machine may be busy, so it is
				// tried again before it is called too complex.
				out, err = draw()
			}
			took := time.Since(start)
			peak := stop()
			debug.FreeOSMemory()
			after := memwatch.RSS()
			t.Logf("%v after %s; resident memory peak %+d MiB, after %+d MiB", err, took.Round(time.Millisecond), (int64(peak)-int64(base))>>20, (int64(after)-int64(base))>>20)

			// Bounds: two instances' memory caps above the start while
			// working; back within a quarter of one afterwards.
			if peak > base+2*memory+64<<20 {
				t.Errorf("peak resident memory +%d MiB", (peak-base)>>20)
			}
			if after > base+memory/4 {
				t.Errorf("resident memory stayed +%d MiB", (after-base)>>20)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				f, _ := os.Open(out)
				defer f.Close()
				cfg, err := png.DecodeConfig(f)
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Width*cfg.Height > pages.MaxPixels {
					t.Fatalf("rendered %dx%d, more than %d pixels", cfg.Width, cfg.Height, pages.MaxPixels)
				}
				return
			}
			if review.ErrorCode(err) != review.EUNPROCESSABLE || !strings.Contains(review.ErrorMessage(err), tt.want) {
				t.Fatalf("got %v (%s), want an %s error saying %q", err, review.ErrorCode(err), review.EUNPROCESSABLE, tt.want)
			}
			// Remembered: answered again without PDFium, even by a new renderer.
			restarts := r.Restarts()
			_, err2 := r.PNG(ctx, hash, path, 1, 1000)
			if review.ErrorMessage(err2) != review.ErrorMessage(err) || r.Restarts() != restarts {
				t.Fatalf("second request: %v (restarts %d -> %d)", err2, restarts, r.Restarts())
			}
		})
	}
	// Still draws an ordinary page: at the smallest width, not drawn yet
	// (the race detector makes encoding a large one slow on a busy machine).
	if _, err := r.PNG(ctx, warm, warmPath, 1, pages.Widths[0]); err != nil {
		t.Fatal(err)
	}
	again, err := pages.Open(ctx, dir, pages.Options{Instances: 1, CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	hash, path := save(t, dir, tests[0].doc)
	if _, _, err := again.Inspect(ctx, hash, path); review.ErrorCode(err) != review.EUNPROCESSABLE {
		t.Fatalf("after a restart, the bomb gives %v", err)
	}
}
