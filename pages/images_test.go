package pages_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/scans"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// marked is a w×h white image with a black square at its top-left corner,
// so a page's orientation can be read back from its pixels.
func marked(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if x < 10 && y < 10 {
				c = color.RGBA{0, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// TestImageDocuments: every image kind Extend accepts is measured page by
// page as displayed and drawn as PNG: each page of a multi-page TIFF with
// its own size, GIF and BMP, and a JPEG turned by its EXIF orientation; a
// corrupt TIFF and a HEIC are refused with a sentence.
func TestImageDocuments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	r, err := pages.Open(ctx, dir, pages.Options{CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var gifDoc, bmpDoc bytes.Buffer
	gif.Encode(&gifDoc, marked(30, 20), nil)
	bmp.Encode(&bmpDoc, marked(30, 20))
	tests := []struct {
		name  string
		doc   []byte
		kind  string
		sizes []review.PageSize
	}{
		{"a three-page TIFF, the second landscape", scans.TIFF(marked(40, 60), marked(60, 40), marked(40, 60)), pages.KindTIFF, []review.PageSize{{Width: 40, Height: 60}, {Width: 60, Height: 40}, {Width: 40, Height: 60}}},
		{"GIF", gifDoc.Bytes(), pages.KindGIF, []review.PageSize{{Width: 30, Height: 20}}},
		{"BMP", bmpDoc.Bytes(), pages.KindBMP, []review.PageSize{{Width: 30, Height: 20}}},
		// Stored 60 wide and 40 high; orientation 6 displays it turned a
		// quarter clockwise: 40 wide, 60 high, the corner mark top-right.
		{"JPEG with EXIF orientation 6", scans.JPEG(marked(60, 40), 6), pages.KindJPEG, []review.PageSize{{Width: 40, Height: 60}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, path := save(t, dir, tt.doc)
			kind, sizes, err := r.Inspect(ctx, hash, path)
			if err != nil || kind != tt.kind || len(sizes) != len(tt.sizes) {
				t.Fatalf("inspect: %s %v %v", kind, sizes, err)
			}
			for i, want := range tt.sizes {
				if sizes[i] != want {
					t.Errorf("page %d measures %v, want %v", i+1, sizes[i], want)
				}
				out, err := r.PNG(ctx, hash, path, i+1, 0)
				if err != nil {
					t.Fatal(err)
				}
				f, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(f))
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); float64(b.Dx()) != want.Width || float64(b.Dy()) != want.Height {
					t.Errorf("page %d drawn %v, want %v", i+1, b, want)
				}
				corner := image.Pt(2, 2)
				if tt.kind == pages.KindJPEG {
					corner = image.Pt(int(want.Width)-3, 2)
				}
				if r, _, _, _ := img.At(corner.X, corner.Y).RGBA(); r > 0x4000 {
					t.Errorf("page %d: no mark at %v: the page is not as displayed", i+1, corner)
				}
			}
		})
	}
	for _, bad := range []struct{ name, doc, want string }{
		{"a TIFF cut short", string(scans.TIFF(marked(40, 60))[:40]), "cannot be read"},
		{"a TIFF whose page chain loops", "II*\x00\x08\x00\x00\x00\x00\x00\x08\x00\x00\x00", "cannot be read"},
		{"BigTIFF", "II+\x00\x08\x00\x00\x00", "BigTIFF"},
		{"HEIC", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			hash, path := save(t, dir, []byte(bad.doc))
			_, _, err := r.Inspect(ctx, hash, path)
			if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), bad.want) {
				t.Fatalf("err = %v, want invalid mentioning %q", err, bad.want)
			}
		})
	}
}
