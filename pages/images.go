package pages

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // GIF documents: the first frame
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

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

// imagePages returns the size of each page of the image document in file
// as displayed: every image of a multi-page TIFF, a JPEG with its EXIF
// orientation applied (browsers apply it too), one page for the others.
// Only headers are read.
func imagePages(file, kind string) ([]review.PageSize, error) {
	im, err := openImage(file, kind)
	if err != nil {
		return nil, err
	}
	defer im.Close()
	var sizes []review.PageSize
	for n := range im.pages() {
		p, err := im.page(n + 1)
		if err != nil {
			if kind == KindTIFF {
				return nil, review.Errorf(review.EINVALID, "page %d of the TIFF cannot be read: %v", n+1, review.ErrorMessage(err))
			}
			return nil, err
		}
		w, h := float64(p.cfg.Width), float64(p.cfg.Height)
		if p.orientation >= 5 { // turned a quarter: width and height trade places
			w, h = h, w
		}
		sizes = append(sizes, review.PageSize{Width: w, Height: h})
	}
	return sizes, nil
}

// imageFile is an image document open to be read page by page, where its
// pages lie in the file: nothing is read whole.
type imageFile struct {
	*os.File
	kind string
	size int64
	ifds []uint32 // a TIFF's pages
	bo   binary.ByteOrder
}

func openImage(file, kind string) (*imageFile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	im := &imageFile{File: f, kind: kind}
	st, err := f.Stat()
	if err == nil && kind == KindTIFF {
		im.ifds, im.bo, err = tiffPages(f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	im.size = st.Size()
	return im, nil
}

// pages returns how many pages the image has.
func (im *imageFile) pages() int {
	if im.kind == KindTIFF {
		return len(im.ifds)
	}
	return 1
}

// imagePage is a page of an image document with its header read and its
// pixels not yet: what decoding it will cost is known before it is done.
type imagePage struct {
	kind        string
	cfg         image.Config
	orientation int   // a JPEG's EXIF orientation; 1 for the others
	progressive bool  // a progressive JPEG: its coefficients are kept whole
	block       int64 // a TIFF's largest strip or tile, in pixels
	r           io.Reader
}

// page reads the header of page n (1-based).
func (im *imageFile) page(n int) (imagePage, error) {
	p := imagePage{kind: im.kind, orientation: 1}
	if n < 1 || n > im.pages() {
		return p, review.Errorf(review.ENOTFOUND, "the image has %s, not %d", review.Count(im.pages(), "page", "pages"), n)
	}
	var err error
	if im.kind == KindTIFF {
		page := &firstPage{r: im}
		im.bo.PutUint32(page.ptr[:], im.ifds[n-1])
		p.r = page
		if p.cfg, err = tiff.DecodeConfig(page); err != nil {
			return p, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
		}
		p.block = tiffBlock(im, im.bo, im.ifds[n-1], p.cfg.Width, p.cfg.Height)
		return p, nil
	}
	if im.kind == KindJPEG {
		head := make([]byte, min(im.size, jpegHead))
		if _, err := im.ReadAt(head, 0); err != nil {
			return p, err
		}
		p.orientation, p.progressive = jpegHeader(head)
	}
	if p.cfg, _, err = image.DecodeConfig(io.NewSectionReader(im, 0, im.size)); err != nil {
		return p, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
	}
	p.r = bufio.NewReader(io.NewSectionReader(im, 0, im.size))
	return p, nil
}

// cost is what decoding the page holds at its peak, and making it 8 bits
// deep and turning it as displayed. The figures are the decoders' own:
// x/image/tiff inflates each strip or tile (one strip may be the whole
// page) into a buffer of up to 8 bytes a pixel of it, grown by doubling,
// beside the image; an interlaced PNG and a WebP build the image from a
// second one; a progressive JPEG keeps 4 bytes a pixel for each of its
// three components.
func (p imagePage) cost() int64 {
	px := int64(p.cfg.Width) * int64(p.cfg.Height)
	img := px * pixelBytes(p.cfg.ColorModel)
	peak := img
	switch {
	case p.kind == KindTIFF:
		peak += 2 * 8 * p.block
	case p.kind == KindPNG, p.kind == KindWebP:
		peak += img
	case p.progressive:
		peak += 12 * px
	}
	if pixelBytes(p.cfg.ColorModel) > 4 || pixelBytes(p.cfg.ColorModel) == 2 {
		peak = max(peak, img+px*4) // made 8 bits deep
	}
	if p.orientation >= 2 {
		peak = max(peak, img+2*px*4) // mirrored or turned: two copies
	}
	return peak + encodeCost
}

// fits refuses a page of more than MaxPixels, saying its size.
func (p imagePage) fits() error {
	if int64(p.cfg.Width)*int64(p.cfg.Height) > MaxPixels {
		return review.Errorf(review.ETOOLARGE, "the image has %d×%d pixels, more than %d", p.cfg.Width, p.cfg.Height, MaxPixels)
	}
	return nil
}

// decode decodes the page's pixels as displayed.
func (p imagePage) decode() (image.Image, error) {
	var img image.Image
	var err error
	if p.kind == KindTIFF {
		img, err = tiff.Decode(p.r)
	} else {
		img, _, err = image.Decode(p.r)
	}
	if err != nil {
		return nil, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
	}
	return orient(img, p.orientation), nil
}

// eightBits returns img 8 bits deep: browsers show no more, and the page
// kept is decoded again for its thumbnail, turned and read at half the
// cost.
func eightBits(img image.Image) image.Image {
	switch img.ColorModel() {
	case color.RGBA64Model, color.NRGBA64Model:
		out := image.NewNRGBA(img.Bounds())
		draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
		return out
	case color.Gray16Model:
		out := image.NewGray(img.Bounds())
		draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
		return out
	}
	return img
}

// jpegHead is how much of a JPEG is read for its EXIF orientation: the
// segments before its image data, each at most 64 KiB.
const jpegHead = 256 << 10

// tiffPages returns the offset of every image file directory (page) of a
// TIFF, following the chain from the header; a loop or a chain longer
// than MaxPages ends it. BigTIFF is refused.
func tiffPages(r io.ReaderAt) ([]uint32, binary.ByteOrder, error) {
	var head [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, nil, review.Errorf(review.EINVALID, "the TIFF is truncated")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[0] == 'M' {
		bo = binary.BigEndian
	}
	if bo.Uint16(head[2:]) != 42 {
		return nil, nil, review.Errorf(review.EINVALID, "BigTIFF documents cannot be shown; save the scan as a classic TIFF or PDF")
	}
	var out []uint32
	seen := map[uint32]bool{}
	var b [4]byte
	for off := bo.Uint32(head[4:]); off != 0 && !seen[off] && len(out) < MaxPages; {
		if _, err := r.ReadAt(b[:2], int64(off)); err != nil {
			break
		}
		seen[off] = true
		out = append(out, off)
		if _, err := r.ReadAt(b[:], int64(off)+2+12*int64(bo.Uint16(b[:2]))); err != nil {
			break
		}
		off = bo.Uint32(b[:])
	}
	if len(out) == 0 {
		return nil, nil, review.Errorf(review.EINVALID, "the TIFF has no page")
	}
	return out, bo, nil
}

// tiffBlock returns the pixels of the largest strip or tile of the page w×h
// at ifd, as x/image/tiff reads them: a tile when the page has tiles, else
// a strip of RowsPerStrip rows, the whole page when it says none or more.
func tiffBlock(r io.ReaderAt, bo binary.ByteOrder, ifd uint32, w, h int) int64 {
	page := int64(w) * int64(h)
	var count [2]byte
	if _, err := r.ReadAt(count[:], int64(ifd)); err != nil {
		return page
	}
	entries := make([]byte, 12*int(bo.Uint16(count[:])))
	if _, err := r.ReadAt(entries, int64(ifd)+2); err != nil {
		return page
	}
	tags := map[uint16]int64{}
	for e := entries; len(e) >= 12; e = e[12:] {
		switch bo.Uint16(e[2:]) {
		case 3: // SHORT
			tags[bo.Uint16(e)] = int64(bo.Uint16(e[8:]))
		case 4: // LONG
			tags[bo.Uint16(e)] = int64(bo.Uint32(e[8:]))
		}
	}
	const rowsPerStrip, tileWidth, tileLength = 278, 322, 323
	switch {
	case tags[tileWidth] != 0:
		return tags[tileWidth] * tags[tileLength]
	case tags[rowsPerStrip] > 0 && tags[rowsPerStrip] < int64(h):
		return int64(w) * tags[rowsPerStrip]
	}
	return page
}

// firstPage reads a TIFF as if its page at an IFD were the first: the
// header's pointer to the first page is all that differs, so x/image/tiff
// (which decodes the first page) decodes any. It reads the file where it
// lies: x/image/tiff reads at offsets from an io.ReaderAt.
type firstPage struct {
	r   io.ReaderAt
	ptr [4]byte // the page's IFD offset, in the file's byte order
	off int64
}

func (p *firstPage) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i := max(off, 4); i < 8 && i < off+int64(n); i++ {
		b[i-off] = p.ptr[i-4]
	}
	return n, err
}

func (p *firstPage) Read(b []byte) (int, error) {
	n, err := p.ReadAt(b, p.off)
	p.off += int64(n)
	return n, err
}

// jpegHeader reads a JPEG's EXIF orientation (1–8; 1 when it has none),
// and whether it is progressive, from the segments before its image data.
func jpegHeader(data []byte) (orientation int, progressive bool) {
	orientation = 1
	for i := 2; i+4 <= len(data) && data[i] == 0xFF; {
		marker, size := data[i+1], int(binary.BigEndian.Uint16(data[i+2:]))
		if marker == 0xDA || size < 2 || i+2+size > len(data) { // image data: the header is over
			return orientation, progressive
		}
		seg := data[i+4 : i+2+size]
		switch {
		case marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) && orientation == 1:
			orientation = exifOrientation(seg[6:])
		case marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE: // progressive frames
			progressive = true
		}
		i += 2 + size
	}
	return orientation, progressive
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
