// Package pages turns documents into page images and page geometry: PDFs
// through PDFium compiled to WebAssembly (go-pdfium on wazero: no cgo, nothing
// downloaded at run time), JPEG and PNG images as they are. Rendered pages are
// cached on disk by content hash, page and width.
package pages

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // registered for DecodeConfig
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sync/singleflight"

	"github.com/reviewer-app/reviewer/review"
)

// Kinds of document, told apart by content, never by name.
const (
	KindPDF  = "pdf"
	KindJPEG = "jpeg"
	KindPNG  = "png"
)

// Widths a page image may be rendered at, in pixels. The viewer asks for
// the one that fits the screen (srcset); a fixed set keeps the cache small.
var Widths = []int{240, 1000, 1600, 2400}

// MaxPages caps what is inspected of one document.
const MaxPages = 5000

// Renderer renders pages. It is safe for concurrent use.
type Renderer struct {
	pool   pdfium.Pool
	slots  chan *slot
	dir    string // rendered page cache
	flight singleflight.Group
}

// slot is one PDFium instance with the documents it has open. A document
// stays open in the slot that opened it, so scrolling through a long PDF
// does not parse it again for every page.
type slot struct {
	inst pdfium.Pdfium
	docs map[string]*openDoc // by blob hash
	used int64
}

type openDoc struct {
	doc  references.FPDF_DOCUMENT
	used int64
}

const docsPerSlot = 4

// Open starts PDFium with n instances. wazero's compilation cache lives in
// dataDir, so only the first start compiles PDFium (seconds); later starts
// take a fraction of a second.
func Open(ctx context.Context, dataDir string, n int) (*Renderer, error) {
	if n < 1 {
		n = 1
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dataDir, "wazero-cache"))
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	pool, err := webassembly.Init(webassembly.Config{
		Context:  ctx,
		MinIdle:  0,
		MaxIdle:  n,
		MaxTotal: n,
		// No file system: documents are handed over as bytes, so PDFium
		// never sees the host's files.
		FSConfig: wazero.NewFSConfig(),
		RuntimeConfig: wazero.NewRuntimeConfig().
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			WithCompilationCache(cache),
		Stdout:       io.Discard,
		Stderr:       io.Discard,
		ReuseWorkers: true,
	})
	if err != nil {
		return nil, fmt.Errorf("pages: start PDFium: %w", err)
	}
	r := &Renderer{pool: pool, slots: make(chan *slot, n), dir: filepath.Join(dataDir, "pages")}
	for range n {
		inst, err := pool.GetInstance(time.Minute)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("pages: PDFium instance: %w", err)
		}
		r.slots <- &slot{inst: inst, docs: map[string]*openDoc{}}
	}
	return r, nil
}

// Close stops PDFium.
func (r *Renderer) Close() error {
	for range cap(r.slots) {
		s := <-r.slots
		for _, d := range s.docs {
			s.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
		}
		s.inst.Close()
	}
	return r.pool.Close()
}

// SniffLen is how many leading bytes Sniff needs.
const SniffLen = 1024

// Sniff tells a document's kind from its first bytes (SniffLen of them).
// Readers accept a PDF header anywhere in the first kilobyte, and some
// producers put junk before it.
func Sniff(head []byte) (string, error) {
	switch {
	case bytes.Contains(head[:min(len(head), SniffLen)], []byte("%PDF-")):
		return KindPDF, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG, nil
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "", review.Errorf(review.EINVALID, "TIFF documents cannot be shown yet; convert them to PDF")
	}
	return "", review.Errorf(review.EINVALID, "the document is not a PDF, JPEG or PNG")
}

// Inspect returns the kind of the document in file and each page's size as
// displayed: points with /Rotate applied for PDFs, pixels for images.
func (r *Renderer) Inspect(ctx context.Context, hash, file string) (string, []review.PageSize, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("inspect: %w", err)
	}
	kind, err := Sniff(data)
	if err != nil {
		return "", nil, err
	}
	if kind != KindPDF {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", nil, review.Errorf(review.EINVALID, "the image cannot be read: %v", err)
		}
		return kind, []review.PageSize{{Width: float64(cfg.Width), Height: float64(cfg.Height)}}, nil
	}
	var sizes []review.PageSize
	err = r.withDoc(ctx, hash, data, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		n, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
		if err != nil {
			return err
		}
		for i := range min(n.PageCount, MaxPages) {
			sz, err := inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: doc, Index: i})
			if err != nil {
				return err
			}
			// PDFium reports the size as displayed, /Rotate applied, and
			// without loading the page: a 300-page PDF is measured in a few
			// milliseconds.
			sizes = append(sizes, review.PageSize{Width: float64(sz.Size.Width), Height: float64(sz.Size.Height)})
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("inspect PDF: %w", err)
	}
	return kind, sizes, nil
}

// PNG returns the path of page (1-based) of the PDF in file rendered width
// pixels wide, rendering it on first request.
func (r *Renderer) PNG(ctx context.Context, hash, file string, page, width int) (string, error) {
	out := filepath.Join(r.dir, hash[:2], hash, strconv.Itoa(page)+"-"+strconv.Itoa(width)+".png")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	_, err, _ := r.flight.Do(out, func() (any, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		err = r.withDoc(ctx, hash, data, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
			res, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: byIndex(doc, page-1), Width: width, Height: width * 20})
			if err != nil {
				return err
			}
			defer res.Cleanup()
			// Speed over size: pages are encoded once and then cached.
			return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, res.Result.RenderedImage)
		})
		if err != nil {
			return nil, err
		}
		return nil, writeAtomic(out, buf.Bytes())
	})
	if err != nil {
		return "", fmt.Errorf("render page %d: %w", page, err)
	}
	return out, nil
}

// withDoc runs fn with the document open in a free PDFium instance.
func (r *Renderer) withDoc(ctx context.Context, hash string, data []byte, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	var s *slot
	select {
	case s = <-r.slots:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { r.slots <- s }()
	s.used++
	d, ok := s.docs[hash]
	if !ok {
		if len(s.docs) >= docsPerSlot {
			s.closeLeastUsed()
		}
		doc, err := s.inst.OpenDocument(&requests.OpenDocument{File: &data})
		if err != nil {
			return review.Errorf(review.EINVALID, "the PDF cannot be opened: %v", err)
		}
		d = &openDoc{doc: doc.Document}
		s.docs[hash] = d
	}
	d.used = s.used
	return fn(s.inst, d.doc)
}

func (s *slot) closeLeastUsed() {
	var victim string
	for h, d := range s.docs {
		if victim == "" || d.used < s.docs[victim].used {
			victim = h
		}
	}
	s.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: s.docs[victim].doc})
	delete(s.docs, victim)
}

func byIndex(doc references.FPDF_DOCUMENT, i int) requests.Page {
	return requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}}
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
