// Package scans writes the image documents scanners and phones make, for
// tests: multi-page TIFFs and JPEGs with an EXIF orientation, from any
// image (the standard library and x/image write neither).
package scans

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
)

// TIFF writes a classic little-endian TIFF with one uncompressed 8-bit RGB
// page per image, in order.
func TIFF(pages ...image.Image) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	for i, img := range pages {
		r := img.Bounds()
		w, h := r.Dx(), r.Dy()
		const entries = 9
		ifd := b.Len()
		bps := ifd + 2 + entries*12 + 4 // BitsPerSample's three values follow the directory
		strip := bps + 6
		next := uint32(0)
		if i < len(pages)-1 {
			next = uint32(strip + w*h*3)
		}
		binary.Write(&b, le, uint16(entries))
		entry := func(tag, typ uint16, count, value uint32) {
			binary.Write(&b, le, tag)
			binary.Write(&b, le, typ)
			binary.Write(&b, le, count)
			binary.Write(&b, le, value)
		}
		const short, long = 3, 4
		entry(256, long, 1, uint32(w))     // ImageWidth
		entry(257, long, 1, uint32(h))     // ImageLength
		entry(258, short, 3, uint32(bps))  // BitsPerSample: 8, 8, 8
		entry(259, short, 1, 1)            // Compression: none
		entry(262, short, 1, 2)            // PhotometricInterpretation: RGB
		entry(273, long, 1, uint32(strip)) // StripOffsets
		entry(277, short, 1, 3)            // SamplesPerPixel
		entry(278, long, 1, uint32(h))     // RowsPerStrip
		entry(279, long, 1, uint32(w*h*3)) // StripByteCounts
		binary.Write(&b, le, next)
		binary.Write(&b, le, [3]uint16{8, 8, 8})
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				b.Write([]byte{byte(cr >> 8), byte(cg >> 8), byte(cb >> 8)})
			}
		}
	}
	return b.Bytes()
}

// JPEG writes img as a JPEG whose EXIF says it is displayed with
// orientation o (1–8): a phone's photo of a page held sideways.
func JPEG(img image.Image, o int) []byte {
	var enc bytes.Buffer
	jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90})
	data := enc.Bytes()
	var exif bytes.Buffer
	exif.WriteString("Exif\x00\x00II*\x00")
	le := binary.LittleEndian
	binary.Write(&exif, le, uint32(8))
	binary.Write(&exif, le, uint16(1))
	binary.Write(&exif, le, [2]uint16{0x0112, 3})
	binary.Write(&exif, le, uint32(1))
	binary.Write(&exif, le, [2]uint16{uint16(o), 0})
	binary.Write(&exif, le, uint32(0))
	var out bytes.Buffer
	out.Write(data[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(exif.Len()+2))
	out.Write(exif.Bytes())
	out.Write(data[2:])
	return out.Bytes()
}
