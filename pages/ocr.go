package pages

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
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

// errNothing is a box too small to hold a word: it reads as nothing.
var errNothing = errors.New("nothing to read")

// Read reads the text inside box (fractions of the page as the document has
// it) on a page without a text layer, with Tesseract (Debian's
// tesseract-ocr) run as a bounded subprocess on the cropped region. Without
// Tesseract installed it answers EUNAVAILABLE, saying so. A reading takes
// its turn (ocrAtOnce) before the page is drawn, and draws the page,
// decodes and enlarges it within the budget.
func (r *Renderer) Read(ctx context.Context, hash, file string, page int, box review.Rect) (string, error) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		return "", review.Errorf(review.EUNAVAILABLE, "Tesseract is not installed here, so a box drawn on a scan keeps its location alone.")
	}
	select {
	case ocrSlots <- struct{}{}:
		defer func() { <-ocrSlots }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	path, err := r.PNG(ctx, hash, file, page, Widths[len(Widths)-1])
	if err != nil {
		return "", err
	}
	var in bytes.Buffer
	err = r.withCached(ctx, path, func(cfg image.Config) (int64, error) {
		crop, scale := cropped(cfg.Width, cfg.Height, box)
		if crop.Dx() < 2 || crop.Dy() < 2 {
			return 0, errNothing
		}
		if crop.Dx()*crop.Dy() > ocrMaxPixels {
			return 0, review.Errorf(review.ETOOLARGE, "The box is too large to read: draw it around the words wanted.")
		}
		dw, dh := crop.Dx()*scale, crop.Dy()*scale
		cost := 2 * int64(dw) * int64(dh) // the crop and its PNG
		if scale > 1 {
			cost += scaleCost(dw, crop.Dy(), dh)
		}
		return cost, nil
	}, func(img image.Image) error {
		b := img.Bounds()
		crop, scale := cropped(b.Dx(), b.Dy(), box)
		crop = crop.Add(b.Min)
		out := image.NewGray(image.Rect(0, 0, crop.Dx()*scale, crop.Dy()*scale))
		if scale > 1 {
			draw.CatmullRom.Scale(out, out.Bounds(), img, crop, draw.Src, nil)
		} else {
			draw.Draw(out, out.Bounds(), img, crop.Min, draw.Src) // x/image's kernels keep a float buffer: not for a copy
		}
		return png.Encode(&in, out)
	})
	if err == errNothing {
		return "", nil
	}
	if err != nil {
		return "", err
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

// cropped is the region of a page image w×h that box covers, and how much
// it is enlarged: small print of a scan reads far better enlarged, up to
// three times within the pixel bound.
func cropped(w, h int, box review.Rect) (image.Rectangle, int) {
	crop := image.Rect(
		int(box.Left*float64(w)), int(box.Top*float64(h)),
		int(box.Right*float64(w)+0.999), int(box.Bottom*float64(h)+0.999),
	).Intersect(image.Rect(0, 0, w, h))
	scale := 3
	for scale > 1 && crop.Dx()*crop.Dy()*scale*scale > ocrMaxPixels {
		scale--
	}
	return crop, scale
}

// capped keeps at most ocrMaxText bytes written to it.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := ocrMaxText - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
