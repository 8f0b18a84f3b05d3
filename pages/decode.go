package pages

import (
	"bufio"
	"context"
	"image"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/draw"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/review"
)

// imagePNG draws page of the image document in file as a PNG and returns
// its path: the page at its own size, or a thumbnail width pixels wide
// when width is a thumbnail's. A thumbnail is made from the page as
// already drawn when it is; else the document's page is decoded once for
// both. Each decode draws its cost from the budget first; a page that
// cannot be decoded is remembered and refused at once from then on.
func (r *Renderer) imagePNG(ctx context.Context, hash, file, kind string, page, width int) (string, error) {
	if err := r.failed(hash, page); err != nil {
		return "", err
	}
	full := r.pageFile(hash, page, 0)
	thumb := ""
	if width > 0 && width <= Widths[0] {
		thumb = r.pageFile(hash, page, width)
		if _, err := os.Stat(full); err == nil {
			return thumb, r.withCached(ctx, full, func(cfg image.Config) (int64, error) {
				return thumbCost(cfg, width), nil
			}, func(img image.Image) error {
				return writePNG(thumb, scaled(img, width))
			})
		}
	} else if _, err := os.Stat(full); err == nil {
		return full, nil
	}
	err := r.decodeImage(ctx, file, kind, page, full, thumb, width)
	switch review.ErrorCode(err) {
	case review.EINVALID, review.ETOOLARGE:
		return "", r.fail(hash, page, "This page cannot be shown: "+review.ErrorMessage(err)+".")
	case review.EUNPROCESSABLE:
		return "", r.fail(hash, page, review.ErrorMessage(err))
	}
	if thumb != "" {
		return thumb, err
	}
	return full, err
}

// decodeImage decodes page of the image document in file, within the
// budget, and writes it 8 bits deep to full and, when thumb is named, a
// thumbnail width pixels wide to thumb.
func (r *Renderer) decodeImage(ctx context.Context, file, kind string, page int, full, thumb string, width int) error {
	im, err := openImage(file, kind)
	if err != nil {
		return err
	}
	defer im.Close()
	p, err := im.page(page)
	if err != nil {
		return err
	}
	if err := p.fits(); err != nil {
		return err
	}
	cost := p.cost()
	if thumb != "" {
		cost += thumbCost(p.cfg, width)
	}
	release, err := r.budget.Take(ctx, cost)
	if err != nil {
		return err
	}
	defer release()
	r.decoded.Add(1)
	img, err := p.decode()
	if err != nil {
		return err
	}
	img = eightBits(img)
	if err := writePNG(full, img); err != nil {
		return err
	}
	if thumb != "" {
		return writePNG(thumb, scaled(img, width))
	}
	return nil
}

// withCached decodes the PNG at path, a page as drawn here, within the
// budget (its pixels, and what use adds, as extra tells from its header,
// or refuses) and hands it to use.
func (r *Renderer) withCached(ctx context.Context, path string, extra func(image.Config) (int64, error), use func(image.Image) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return err
	}
	more, err := extra(cfg)
	if err != nil {
		return err
	}
	release, err := r.budget.Take(ctx, int64(cfg.Width)*int64(cfg.Height)*pixelBytes(cfg.ColorModel)+encodeCost+more)
	if err != nil {
		return err
	}
	defer release()
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	img, err := png.Decode(bufio.NewReader(f))
	if err != nil {
		return err
	}
	return use(img)
}

// thumbSize is the size of the thumbnail of an image w×h, width wide: no
// wider than the image.
func thumbSize(w, h, width int) (int, int) {
	if w <= width || w == 0 {
		return w, h
	}
	return width, max(1, h*width/w)
}

// thumbCost is what scaling an image of cfg to a thumbnail width wide, and
// writing it, holds.
func thumbCost(cfg image.Config, width int) int64 {
	dw, dh := thumbSize(cfg.Width, cfg.Height, width)
	return scaleCost(dw, cfg.Height, dh) + encodeCost
}

// scaled returns img scaled to a thumbnail width pixels wide.
func scaled(img image.Image, width int) image.Image {
	b := img.Bounds()
	dw, dh := thumbSize(b.Dx(), b.Dy(), width)
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	draw.CatmullRom.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}

// writePNG encodes img into a PNG at path, whole or not at all, straight
// into the file (a page's PNG is never held in memory); speed over size:
// pages are encoded once and then kept.
func writePNG(path string, img image.Image) error {
	return writeWith(path, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img); err != nil {
			return err
		}
		return w.Flush()
	})
}

// Content returns a document without pages (its sheets or its text) as
// read, reading it within the budget on first request and keeping the last
// few read. A document that cannot be read is remembered.
func (r *Renderer) Content(ctx context.Context, hash, file, kind string) (content.Doc, error) {
	return r.content(ctx, hash, file, kind, false)
}

// content is Content, drawing from the budget patiently for a document
// arriving, which nobody waits on at a screen (and which must not share a
// page view's answer that the server is busy).
func (r *Renderer) content(ctx context.Context, hash, file, kind string, patient bool) (content.Doc, error) {
	if d, ok := r.contents.Get(hash); ok {
		return d, nil
	}
	if err := r.failed(hash, 0); err != nil {
		return content.Doc{}, err
	}
	key, take := "content "+hash, r.budget.Take
	if patient {
		key, take = "content patiently "+hash, r.budget.takePatiently
	}
	v, err, _ := r.flight.Do(key, func() (any, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		cost, err := content.Cost(f, st.Size(), kind)
		if err == nil {
			var release func()
			if release, err = take(ctx, cost); err == nil {
				defer release()
				var d content.Doc
				if d, err = content.ReadFrom(f, st.Size(), kind); err == nil {
					r.contents.Put(hash, d)
					return d, nil
				}
			}
		}
		switch review.ErrorCode(err) {
		case review.EUNPROCESSABLE:
			return nil, r.fail(hash, 0, review.ErrorMessage(err))
		case review.EINVALID:
			return nil, r.fail(hash, 0, "This document cannot be shown: "+review.ErrorMessage(err)+".")
		}
		return nil, err
	})
	if err != nil {
		return content.Doc{}, err
	}
	return v.(content.Doc), nil
}
