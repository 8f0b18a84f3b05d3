package pages

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
	_ "image/gif" // GIF documents: the first frame
	_ "image/jpeg"
	_ "image/png"
	"io"

	_ "golang.org/x/image/bmp" // BMP documents
	"golang.org/x/image/tiff"
	_ "golang.org/x/image/webp" // WebP documents

	"github.com/reviewer-app/reviewer/review"
)

// Image kinds that browsers do not all show (TIFF), or whose pixels are
// turned by their metadata (JPEG's EXIF orientation): their pages are
// decoded here with well-kept decoders (the standard library and
// golang.org/x/image) and served as PNG.
const (
	KindTIFF = "tiff"
	KindWebP = "webp"
	KindGIF  = "gif"
	KindBMP  = "bmp"
)

// Served reports whether an image of kind is sent to the browser as it is
// (JPEG and PNG), or converted to PNG page by page.
func Served(kind string) bool { return kind == KindJPEG || kind == KindPNG }

// imagePages returns the size of each page of an image document as
// displayed: every image of a multi-page TIFF, a JPEG with its EXIF
// orientation applied (browsers apply it too), one page for the others.
func imagePages(data []byte, kind string) ([]review.PageSize, error) {
	if kind == KindTIFF {
		ifds, err := tiffPages(data)
		if err != nil {
			return nil, err
		}
		var sizes []review.PageSize
		for i, off := range ifds {
			cfg, err := tiff.DecodeConfig(tiffPage(data, off))
			if err != nil {
				return nil, review.Errorf(review.EINVALID, "page %d of the TIFF cannot be read: %v", i+1, err)
			}
			sizes = append(sizes, review.PageSize{Width: float64(cfg.Width), Height: float64(cfg.Height)})
		}
		return sizes, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
	}
	w, h := float64(cfg.Width), float64(cfg.Height)
	if kind == KindJPEG && orientation(data) >= 5 { // turned a quarter: width and height trade places
		w, h = h, w
	}
	return []review.PageSize{{Width: w, Height: h}}, nil
}

// decodePage decodes page n (1-based) of an image document as displayed,
// refusing one of more than MaxPixels before its pixels are read.
func decodePage(data []byte, kind string, n int) (image.Image, error) {
	var r io.ReadSeeker = bytes.NewReader(data)
	if kind == KindTIFF {
		ifds, err := tiffPages(data)
		if err != nil {
			return nil, err
		}
		if n < 1 || n > len(ifds) {
			return nil, review.Errorf(review.ENOTFOUND, "the TIFF has %d pages, not %d", len(ifds), n)
		}
		r = tiffPage(data, ifds[n-1])
	}
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return nil, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
	}
	if cfg.Width*cfg.Height > MaxPixels {
		return nil, review.Errorf(review.ETOOLARGE, "the image has %d×%d pixels, more than %d", cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
	}
	if kind == KindJPEG {
		img = orient(img, orientation(data))
	}
	return img, nil
}

// tiffPages returns the offset of every image file directory (page) of a
// TIFF, following the chain from the header; a loop or a chain longer
// than MaxPages ends it. BigTIFF is refused.
func tiffPages(data []byte) ([]uint32, error) {
	if len(data) < 8 {
		return nil, review.Errorf(review.EINVALID, "the TIFF is truncated")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	if bo.Uint16(data[2:]) != 42 {
		return nil, review.Errorf(review.EINVALID, "BigTIFF documents cannot be shown; save the scan as a classic TIFF or PDF")
	}
	var out []uint32
	seen := map[uint32]bool{}
	for off := bo.Uint32(data[4:]); off != 0 && !seen[off] && len(out) < MaxPages; {
		if int64(off)+2 > int64(len(data)) {
			break
		}
		seen[off] = true
		out = append(out, off)
		next := int64(off) + 2 + 12*int64(bo.Uint16(data[off:]))
		if next+4 > int64(len(data)) {
			break
		}
		off = bo.Uint32(data[next:])
	}
	if len(out) == 0 {
		return nil, review.Errorf(review.EINVALID, "the TIFF has no page")
	}
	return out, nil
}

// tiffPage reads a TIFF as if its page at ifd were the first: the header's
// pointer to the first page is all that differs, so x/image/tiff (which
// decodes the first page) decodes any.
func tiffPage(data []byte, ifd uint32) *bytes.Reader {
	b := bytes.Clone(data)
	if b[0] == 'M' {
		binary.BigEndian.PutUint32(b[4:], ifd)
	} else {
		binary.LittleEndian.PutUint32(b[4:], ifd)
	}
	return bytes.NewReader(b)
}

// orientation reads a JPEG's EXIF orientation (1–8; 1 when it has none).
func orientation(data []byte) int {
	for i := 2; i+4 <= len(data) && data[i] == 0xFF; {
		marker, size := data[i+1], int(binary.BigEndian.Uint16(data[i+2:]))
		if marker == 0xDA || size < 2 || i+2+size > len(data) { // image data: no EXIF came before
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// exifOrientation finds tag 0x0112 in the first directory of EXIF's TIFF
// structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if t[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int(bo.Uint32(t[4:]))
	if off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for e := off + 2; e+12 <= len(t) && e < off+2+12*n; e += 12 {
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
		}
	}
	return 1
}

// orient turns and mirrors img as EXIF orientation o says it is displayed.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return mirror(img)
	case 3:
		return turn(img, 180)
	case 4:
		return turn(mirror(img), 180)
	case 5:
		return turn(mirror(img), 270)
	case 6:
		return turn(img, 90)
	case 7:
		return turn(mirror(img), 90)
	case 8:
		return turn(img, 270)
	}
	return img
}

// mirror flips img left to right.
func mirror(img image.Image) image.Image {
	b := img.Bounds()
	src := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	dst := image.NewNRGBA(src.Bounds())
	for y := range b.Dy() {
		for x := range b.Dx() {
			copy(dst.Pix[dst.PixOffset(b.Dx()-1-x, y):][:4], src.Pix[src.PixOffset(x, y):][:4])
		}
	}
	return dst
}
