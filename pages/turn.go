package pages

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strconv"
)

// Turned returns a PNG of the image at src (a page as drawn here) turned
// deg degrees clockwise (90, 180 or 270), made once within the budget and
// kept beside the renderings of the document hash: a reviewer's view of a
// page scanned sideways.
func (r *Renderer) Turned(ctx context.Context, hash, src string, deg int) (string, error) {
	out := filepath.Join(r.dir, hash[:2], hash, filepath.Base(src)+"-turned-"+strconv.Itoa(deg)+".png")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	_, err, _ := r.flight.Do(out, func() (any, error) {
		return nil, r.withCached(ctx, src, func(cfg image.Config) (int64, error) {
			return 2*int64(cfg.Width)*int64(cfg.Height)*4 + encodeCost, nil // turn's two copies
		}, func(img image.Image) error {
			return writePNG(out, turn(img, deg))
		})
	})
	if err != nil {
		return "", fmt.Errorf("turn page image: %w", err)
	}
	return out, nil
}

// turn rotates img deg degrees clockwise.
func turn(img image.Image, deg int) image.Image {
	b := img.Bounds()
	src := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dst := image.NewNRGBA(image.Rect(0, 0, h, w))
	if deg == 180 {
		dst = image.NewNRGBA(image.Rect(0, 0, w, h))
	}
	for y := range h {
		for x := range w {
			i := src.PixOffset(x, y)
			var dx, dy int
			switch deg {
			case 90:
				dx, dy = h-1-y, x
			case 180:
				dx, dy = w-1-x, h-1-y
			default: // 270
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dst.PixOffset(dx, dy):dst.PixOffset(dx, dy)+4], src.Pix[i:i+4])
		}
	}
	return dst
}
