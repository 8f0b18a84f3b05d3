package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/image/draw"

	"github.com/reviewer-app/reviewer/review"
)

// Bounds of reading a drawn box with Tesseract: one reading at most
// ocrTimeout and ocrMemory of address space, at most ocrAtOnce readings at
// once, a crop of at most ocrMaxPixels (after enlarging), and at most
// ocrMaxText bytes of answer.
const (
	ocrTimeout   = 10 * time.Second
	ocrMemory    = 512 << 20
	ocrAtOnce    = 2
	ocrMaxPixels = 4_000_000
	ocrMaxText   = 64 << 10
)

var ocrSlots = make(chan struct{}, ocrAtOnce)

// Read reads the text inside box (fractions of the page as the document has
// it) on a page without a text layer, with Tesseract (Debian's
// tesseract-ocr) run as a bounded subprocess on the cropped region. Without
// Tesseract installed it answers EUNAVAILABLE, saying so.
func (r *Renderer) Read(ctx context.Context, hash, file string, page int, box review.Rect) (string, error) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		return "", review.Errorf(review.EUNAVAILABLE, "Tesseract is not installed here, so a box drawn on a scan keeps its location alone.")
	}
	path, err := r.PNG(ctx, hash, file, page, Widths[len(Widths)-1])
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	b := img.Bounds()
	crop := image.Rect(
		b.Min.X+int(box.Left*float64(b.Dx())), b.Min.Y+int(box.Top*float64(b.Dy())),
		b.Min.X+int(box.Right*float64(b.Dx())+0.999), b.Min.Y+int(box.Bottom*float64(b.Dy())+0.999),
	).Intersect(b)
	if crop.Dx() < 2 || crop.Dy() < 2 {
		return "", nil
	}
	// Small print of a scan reads far better enlarged: up to three times,
	// within the pixel bound.
	scale := 3
	for scale > 1 && crop.Dx()*crop.Dy()*scale*scale > ocrMaxPixels {
		scale--
	}
	if crop.Dx()*crop.Dy() > ocrMaxPixels {
		return "", review.Errorf(review.ETOOLARGE, "The box is too large to read: draw it around the words wanted.")
	}
	out := image.NewGray(image.Rect(0, 0, crop.Dx()*scale, crop.Dy()*scale))
	draw.CatmullRom.Scale(out, out.Bounds(), img, crop, draw.Src, nil)
	var in bytes.Buffer
	if err := png.Encode(&in, out); err != nil {
		return "", err
	}

	select {
	case ocrSlots <- struct{}{}:
		defer func() { <-ocrSlots }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, ocrTimeout)
	defer cancel()
	args := offline(withinMemory(ocrMemory, []string{bin, "stdin", "stdout", "--psm", "6", "-l", "eng"}))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = &in
	var text capped
	cmd.Stdout = &text
	cmd.Env = []string{"OMP_THREAD_LIMIT=1"} // one core per reading
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", review.Errorf(review.EUNAVAILABLE, "Reading the box took longer than %s.", ocrTimeout)
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", review.Errorf(review.EUNPROCESSABLE, "Tesseract could not read the box.")
		}
		return "", err
	}
	return strings.Join(strings.Fields(text.String()), " "), nil
}

// capped keeps at most ocrMaxText bytes written to it.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := ocrMaxText - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
