// Package pages turns documents into page images and page geometry: PDFs
// through PDFium compiled to WebAssembly (go-pdfium on wazero: no cgo, nothing
// downloaded at run time), Word documents laid out as a PDF by LibreOffice
// where it is installed, JPEG and PNG images as they are, and TIFF (every
// page), WebP, GIF and BMP decoded by golang.org/x/image and the standard
// library. Rendered pages are cached on disk by content hash, page and
// width.
package pages

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	_ "image/jpeg" // registered for DecodeConfig
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sync/singleflight"

	"github.com/reviewer-app/reviewer/content"
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

// MaxPixels caps one rendered page: a page of unusual shape is drawn smaller
// rather than into a bitmap of hundreds of megabytes.
const MaxPixels = 12_000_000

// Options bound what one document may cost PDFium.
type Options struct {
	Instances int           // PDFium instances working at once; 2 by default
	Timeout   time.Duration // one call (open, measure, draw) at most; 10 s by default
	Memory    uint64        // an instance's memory at most, in bytes; 512 MiB by default

	// Office is the LibreOffice program that lays Word documents out as
	// pages: soffice on PATH when empty, none when "none" (they are shown as
	// their text).
	Office string

	// CompileCache is where wazero keeps PDFium compiled to machine code;
	// dataDir/wazero-cache by default. Tests share one.
	CompileCache string
}

func (o Options) withDefaults() Options {
	if o.Instances < 1 {
		o.Instances = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Memory == 0 {
		o.Memory = 512 << 20
	}
	return o
}

// Renderer renders pages. It is safe for concurrent use.
type Renderer struct {
	opt    Options
	ctx    context.Context // PDFium's, from Open: its instances end with it
	poolMu sync.Mutex      // guards pool, started by the first document drawn
	pool   pdfium.Pool
	slots  chan *slot
	dir    string // rendered page cache, and what failed
	flight singleflight.Group
	slow   sync.Map // hash of a document that ran out of time once: a busy machine is given the benefit of the doubt
	office string   // LibreOffice's program; empty when there is none

	restarts atomic.Int64
}

// Restarts returns how many PDFium instances were replaced because a call
// ran out of time or memory, failed, or left its instance large.
func (r *Renderer) Restarts() int64 { return r.restarts.Load() }

// slot is one PDFium instance with the documents it has open. A document
// stays open in the slot that opened it, so scrolling through a long PDF
// does not parse it again for every page. inst is nil until the slot's first
// document.
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

// caches holds one wazero compilation cache per directory, for the
// process: renderers opened on the same directory (the tests' servers, an
// instance restarted in-process) share the compiled PDFium in memory
// instead of each reading it back from disk. cacheMu guards it, and keeps
// wazero from opening a cache twice at once: the race detector caught
// wazero setting a global from both.
var (
	cacheMu sync.Mutex
	caches  = map[string]wazero.CompilationCache{}
)

func compilationCache(dir string) (wazero.CompilationCache, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := caches[dir]; ok {
		return c, nil
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, err
	}
	caches[dir] = c
	return c, nil
}

// Open prepares a renderer. PDFium starts with the first document it reads,
// so a server that shows no PDF never pays for it (seconds). wazero's
// compilation cache lives in dataDir, so only the first start ever compiles
// PDFium (a minute under the race detector); later starts take a second.
func Open(ctx context.Context, dataDir string, opt Options) (*Renderer, error) {
	opt = opt.withDefaults()
	if opt.CompileCache == "" {
		opt.CompileCache = filepath.Join(dataDir, "wazero-cache")
	}
	if err := os.MkdirAll(opt.CompileCache, 0o700); err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	r := &Renderer{opt: opt, ctx: ctx, slots: make(chan *slot, opt.Instances), dir: filepath.Join(dataDir, "pages")}
	if opt.Office != "none" {
		r.office, _ = exec.LookPath(cmp.Or(opt.Office, "soffice"))
	}
	for range opt.Instances {
		r.slots <- &slot{}
	}
	return r, nil
}

// startPool starts PDFium, once.
func (r *Renderer) startPool() (pdfium.Pool, error) {
	r.poolMu.Lock()
	defer r.poolMu.Unlock()
	if r.pool != nil {
		return r.pool, nil
	}
	cache, err := compilationCache(r.opt.CompileCache)
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	n := r.opt.Instances
	pool, err := webassembly.Init(webassembly.Config{
		Context:  experimental.WithMemoryAllocator(r.ctx, reserved(r.opt.Memory)),
		MinIdle:  0,
		MaxIdle:  n,
		MaxTotal: n,
		// No file system: documents are handed over as bytes, so PDFium
		// never sees the host's files.
		FSConfig: wazero.NewFSConfig(),
		// A call past its deadline is stopped by closing its instance
		// (CloseOnContextDone), and no instance grows past opt.Memory.
		RuntimeConfig: wazero.NewRuntimeConfig().
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			WithCompilationCache(cache).
			WithCloseOnContextDone(true).
			WithMemoryLimitPages(uint32(r.opt.Memory / wasmPage)),
		Stdout:       io.Discard,
		Stderr:       io.Discard,
		ReuseWorkers: true,
	})
	if err != nil {
		return nil, fmt.Errorf("pages: start PDFium: %w", err)
	}
	r.pool = pool
	return pool, nil
}

// start gives s a fresh PDFium instance.
func (r *Renderer) start(s *slot) error {
	pool, err := r.startPool()
	if err != nil {
		return err
	}
	inst, err := pool.GetInstance(time.Minute)
	if err != nil {
		return fmt.Errorf("pages: PDFium instance: %w", err)
	}
	s.inst, s.docs = inst, map[string]*openDoc{}
	return nil
}

// Close stops PDFium.
func (r *Renderer) Close() error {
	for range cap(r.slots) {
		s := <-r.slots
		if s.inst == nil {
			continue
		}
		for _, d := range s.docs {
			s.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
		}
		s.inst.Close()
	}
	r.poolMu.Lock()
	defer r.poolMu.Unlock()
	if r.pool == nil {
		return nil
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
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")),
		bytes.HasPrefix(head, []byte("II+\x00")), bytes.HasPrefix(head, []byte("MM\x00+")): // BigTIFF: refused with a reason
		return KindTIFF, nil
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return KindWebP, nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return KindGIF, nil
	case bytes.HasPrefix(head, []byte("BM")):
		return KindBMP, nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && (string(head[8:12]) == "heic" || string(head[8:12]) == "heix" || string(head[8:12]) == "mif1"):
		return "", review.Errorf(review.EINVALID, "HEIC images cannot be shown: no maintained Go decoder exists; export the scan as JPEG, PNG, TIFF or PDF")
	}
	if kind, ok := content.Sniff(head); ok {
		return kind, nil // a document without pages
	}
	return "", review.Errorf(review.EINVALID, "the document is not of a kind reviewer shows: PDF, an image (JPEG, PNG, TIFF, WebP, GIF, BMP), CSV, Excel, Word (DOCX), text, XML or HTML")
}

// Inspect returns the kind of the document in file and each page's size as
// displayed: points with /Rotate applied for PDFs and Word documents laid
// out as pages, pixels for images, none for a document shown as its cells
// or text.
func (r *Renderer) Inspect(ctx context.Context, hash, file string) (string, []review.PageSize, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("inspect: %w", err)
	}
	kind, err := Sniff(data)
	if err != nil {
		return "", nil, err
	}
	switch {
	case kind == content.KindArchive:
		return "", nil, review.Errorf(review.EINVALID, "the archive is damaged, or neither an Excel workbook nor a Word document")
	case content.Is(kind):
		// Read once now, so a file that cannot be shown (a zip bomb posing
		// as a workbook) is told at once and remembered.
		if _, err := content.Read(data, kind); err != nil {
			return kind, nil, err
		}
		if kind != content.KindDOCX {
			return kind, nil, nil
		}
		if data, err = r.layOut(ctx, hash, data); err != nil {
			if ctx.Err() != nil {
				return "", nil, ctx.Err()
			}
			return kind, nil, nil // shown as its text, AsText says why
		}
	case kind != KindPDF:
		sizes, err := imagePages(data, kind)
		return kind, sizes, err
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

// drawable returns the bytes a document's pages are drawn from and their
// kind: a Word document's laid-out PDF, any other document itself.
func (r *Renderer) drawable(ctx context.Context, hash, file string) ([]byte, string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	kind, err := Sniff(data)
	if err != nil {
		return nil, "", err
	}
	if kind == content.KindDOCX {
		data, err = r.layOut(ctx, hash, data)
		kind = KindPDF
	}
	return data, kind, err
}

// PNG returns the path of page (1-based) of the document in file as a PNG:
// a PDF's page rendered width pixels wide, an image's page (a TIFF's, a
// WebP, GIF or BMP, a JPEG turned by its EXIF orientation) at its own
// size; made on first request and kept.
func (r *Renderer) PNG(ctx context.Context, hash, file string, page, width int) (string, error) {
	out := filepath.Join(r.dir, hash[:2], hash, strconv.Itoa(page)+"-"+strconv.Itoa(width)+".png")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	_, err, _ := r.flight.Do(out, func() (any, error) {
		data, kind, err := r.drawable(ctx, hash, file)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if kind != KindPDF {
			img, err := decodePage(data, kind, page)
			if err != nil {
				return nil, err
			}
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
				return nil, err
			}
			return nil, writeAtomic(out, buf.Bytes())
		}
		var res *responses.RenderPageInPixels
		err = r.withDocThen(ctx, hash, data, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) (err error) {
			// The aspect ratio is kept within both bounds, so the bitmap
			// has at most MaxPixels whatever the page's shape.
			res, err = inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: byIndex(doc, page-1), Width: width, Height: MaxPixels / width})
			return err
		}, func() error {
			// The bitmap is a view of the instance's memory: encoded
			// while the instance is held, outside PDFium's time cap (our
			// encoder's work, bounded by MaxPixels, is not the document's).
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

// withDoc runs fn with the document open in a free PDFium instance, within
// the time and memory bounds. A document that exceeds them, or that PDFium
// cannot read, is remembered as failed and refused at once from then on; an
// instance that was stopped, failed or grew large is replaced by a fresh one,
// so its memory comes back.
func (r *Renderer) withDoc(ctx context.Context, hash string, data []byte, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	return r.withDocThen(ctx, hash, data, fn, nil)
}

// withDocThen is withDoc, and then, once fn succeeded, calls then with the
// instance still held but PDFium's time cap no longer running.
func (r *Renderer) withDocThen(ctx context.Context, hash string, data []byte, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error, then func() error) error {
	if err := r.failed(hash); err != nil {
		return err
	}
	var s *slot
	select {
	case s = <-r.slots:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { r.slots <- s }()
	if s.inst == nil {
		if err := r.start(s); err != nil {
			return err
		}
	}

	inst := s.inst
	var stopped atomic.Bool
	killed := make(chan struct{})
	timer := time.AfterFunc(r.opt.Timeout, func() {
		stopped.Store(true)
		inst.Kill() // interrupts the running call
		close(killed)
	})
	err := s.run(hash, data, fn)
	if !timer.Stop() {
		<-killed
	}

	switch {
	case stopped.Load():
		err = r.late(hash)
	case err != nil:
		err = r.fail(hash, pdfiumError(err, r.opt.Memory))
	case then != nil:
		err = then()
	}
	if err != nil || memoryOf(inst) > r.opt.Memory/2 {
		if !stopped.Load() {
			inst.Kill()
		}
		if serr := r.start(s); serr != nil {
			return serr
		}
		r.restarts.Add(1)
		debug.FreeOSMemory() // give the old instance's memory back now, not in minutes
	}
	return err
}

// run opens the document in the slot, if it is not open there, and calls fn.
func (s *slot) run(hash string, data []byte, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	s.used++
	d, ok := s.docs[hash]
	if !ok {
		if len(s.docs) >= docsPerSlot {
			s.closeLeastUsed()
		}
		doc, err := s.inst.OpenDocument(&requests.OpenDocument{File: &data})
		if err != nil {
			return err
		}
		d = &openDoc{doc: doc.Document}
		s.docs[hash] = d
	}
	d.used = s.used
	return fn(s.inst, d.doc)
}

// wasmPage is WebAssembly's unit of memory.
const wasmPage = 65536

// pdfiumError turns what PDFium answered into a sentence for the reviewer.
// A trap (an allocation past the memory cap aborts the instance) says so.
func pdfiumError(err error, limit uint64) string {
	msg := err.Error()
	if strings.Contains(msg, "wasm error") || strings.Contains(msg, "out of memory") || strings.Contains(msg, "module closed") {
		return fmt.Sprintf("This document is too complex to show: drawing it needs more than %d MiB of memory.", limit>>20)
	}
	return "This document cannot be shown: PDFium cannot read it (" + msg + ")."
}

// memoryOf returns the bytes of WebAssembly memory an instance holds.
// go-pdfium hands out its implementation only as an interface value whose
// type lives in an internal package; its exported Module field is read by
// reflection.
func memoryOf(inst pdfium.Pdfium) uint64 {
	v := reflect.ValueOf(inst.GetImplementation())
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0
	}
	f := v.FieldByName("Module")
	if !f.IsValid() || !f.CanInterface() {
		return 0
	}
	m, ok := f.Interface().(api.Module)
	if !ok || m == nil || m.Memory() == nil {
		return 0
	}
	return uint64(m.Memory().Size())
}

// failedFile is where a document's failure is remembered, beside its pages.
func (r *Renderer) failedFile(hash string) string {
	return filepath.Join(r.dir, hash[:2], hash, "failed")
}

// failed returns the remembered failure of a document, nil if none.
func (r *Renderer) failed(hash string) error {
	msg, err := os.ReadFile(r.failedFile(hash))
	if err != nil {
		return nil
	}
	return &review.Error{Code: review.EUNPROCESSABLE, Msg: string(msg)}
}

// late answers a call that ran out of time. A machine busy with other
// work can make an ordinary page slow, so only a document's second time
// out is remembered as a failure; the first asks to be tried again.
func (r *Renderer) late(hash string) error {
	if _, again := r.slow.LoadOrStore(hash, true); again {
		return r.fail(hash, fmt.Sprintf("This document is too complex to show: drawing it took longer than %s, twice.", r.opt.Timeout))
	}
	return &review.Error{Code: review.EUNAVAILABLE, Msg: fmt.Sprintf("Drawing this page took longer than %s; the server may be busy. Try again.", r.opt.Timeout)}
}

// fail remembers that a document cannot be shown, and why (a sentence).
func (r *Renderer) fail(hash, why string) error {
	writeAtomic(r.failedFile(hash), []byte(why)) // best effort: if not remembered, it fails again
	return &review.Error{Code: review.EUNPROCESSABLE, Msg: why}
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
