package pages

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // documents that are JPEG images
	"image/png"
	"os"
	"path/filepath"
	"strconv"
)

// Turned returns a PNG of the image at src turned deg degrees clockwise
// (90, 180 or 270), made once and kept beside the renderings of the
// document hash: a reviewer's view of a page scanned sideways. An image of
// more than MaxPixels is refused.
func (r *Renderer) Turned(hash, src string, deg int) (string, error) {
	out := filepath.Join(r.dir, hash[:2], hash, filepath.Base(src)+"-turned-"+strconv.Itoa(deg)+".png")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	_, err, _ := r.flight.Do(out, func() (any, error) {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cfg, _, err := image.DecodeConfig(f)
		if err != nil {
			return nil, err
		}
		if cfg.Width*cfg.Height > MaxPixels {
			return nil, fmt.Errorf("the image has %d×%d pixels, more than %d", cfg.Width, cfg.Height, MaxPixels)
		}
		if _, err := f.Seek(0, 0); err != nil {
			return nil, err
		}
		img, _, err := image.Decode(f)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, turn(img, deg)); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
			return nil, err
		}
		return nil, writeAtomic(out, buf.Bytes())
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
