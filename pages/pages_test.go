package pages_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// pdf assembles a PDF from object bodies (object i+1 is objs[i]; object 1
// is the catalog) with a correct cross-reference table.
func pdf(objs ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func obj(s string) []byte { return []byte(s) }

func stream(dict string, data []byte) []byte {
	return append(append([]byte(fmt.Sprintf("<< %s /Length %d >>\nstream\n", dict, len(data))), data...), "\nendstream"...)
}

// zlibZeros returns a zlib stream that inflates to n MiB of zero bytes in
// about n KiB: one sync-flushed deflate chunk of a MiB of zeros, repeated
// (after the first, the window holds only zeros, so every chunk decodes the
// same), closed by a final empty stored block and the Adler-32 of n zeros.
func zlibZeros(mib int) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	w.Write(zeros)
	w.Flush()
	first := bytes.Clone(buf.Bytes())
	buf.Reset()
	w.Write(zeros)
	w.Flush()
	chunk := buf.Bytes()
	out := []byte{0x78, 0xDA}
	out = append(out, first...)
	for range mib - 1 {
		out = append(out, chunk...)
	}
	out = append(out, 0x01, 0x00, 0x00, 0xFF, 0xFF)
	n := uint32((uint64(mib) << 20) % 65521)
	return binary.BigEndian.AppendUint32(out, n<<16|1)
}

// onePage is a PDF with one page of the given media box and content,
// and optional resources.
func onePage(mediaBox, resources string, content []byte, extra ...[]byte) []byte {
	objs := [][]byte{
		obj("<< /Type /Catalog /Pages 2 0 R >>"),
		obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [" + mediaBox + "] /Resources << " + resources + " >> /Contents 4 0 R >>"),
		content,
	}
	return pdf(append(objs, extra...)...)
}

var plain = onePage("0 0 612 792", "", stream("", []byte("0 0 1 rg 72 72 200 100 re f")))

// rss returns the process's resident memory in bytes.
func rss(t *testing.T) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// peakRSS samples resident memory until stop is called.
func peakRSS(t *testing.T) (stop func() uint64) {
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if v := rss(t); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

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
	r, err := pages.Open(ctx, dir, pages.Options{Instances: 2, Timeout: 5 * time.Second, Memory: memory})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	warm, warmPath := save(t, dir, plain)
	if _, err := r.PNG(ctx, warm, warmPath, 1, 1000); err != nil {
		t.Fatal(err)
	}
	debug.FreeOSMemory()
	base := rss(t)
	t.Logf("resident memory with %d instances warm: %d MiB", 2, base>>20)

	deep := [][]byte{obj("<< /Type /Catalog /Pages 2 0 R >>")}
	const depth = 3000
	for i := 2; i < depth; i++ {
		deep = append(deep, obj(fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", i+1)))
	}
	deep = append(deep, obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>", depth-1)))

	tests := []struct {
		name string
		doc  []byte
		want string // in the error; "" when the page must be drawn
	}{
		{"flate bomb in the content stream (1 GiB of zeros)", onePage("0 0 612 792", "", stream("/Filter /FlateDecode", zlibZeros(1024))), "too complex"},
		{"flate bomb as a 20000x20000 image", onePage("0 0 612 792", "/XObject << /Im 5 0 R >>", stream("", []byte("q 612 0 0 792 0 0 cm /Im Do Q")),
			stream("/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", zlibZeros(1145))), "too complex"},
		{"30000x30000 image", onePage("0 0 612 792", "/XObject << /Im 5 0 R >>", stream("", []byte("q 612 0 0 792 0 0 cm /Im Do Q")),
			stream("/Type /XObject /Subtype /Image /Width 30000 /Height 30000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", zlibZeros(859))), "too complex"},
		{"cyclic page tree", pdf(obj("<< /Type /Catalog /Pages 2 0 R >>"), obj("<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"),
			obj("<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>")), "cannot"},
		{"page tree 3000 deep", pdf(deep...), "cannot"},
		{"720x14400 pt page", onePage("0 0 720 14400", "", stream("", []byte("0 0 1 rg 0 0 720 14400 re f"))), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, path := save(t, dir, tt.doc)
			stop := peakRSS(t)
			start := time.Now()
			_, _, err := r.Inspect(ctx, hash, path)
			var out string
			if err == nil {
				out, err = r.PNG(ctx, hash, path, 1, 2400)
			}
			took := time.Since(start)
			peak := stop()
			debug.FreeOSMemory()
			after := rss(t)
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
	// Still draws an ordinary page.
	if _, err := r.PNG(ctx, warm, warmPath, 1, 2400); err != nil {
		t.Fatal(err)
	}
	again, err := pages.Open(ctx, dir, pages.Options{Instances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	hash, path := save(t, dir, tests[0].doc)
	if _, _, err := again.Inspect(ctx, hash, path); review.ErrorCode(err) != review.EUNPROCESSABLE {
		t.Fatalf("after a restart, the bomb gives %v", err)
	}
}
