// Package pages turns documents into page images and page geometry: PDFs
// through PDFium compiled to WebAssembly (go-pdfium on wazero: no cgo, nothing
// downloaded at run time), Word documents laid out as a PDF by a LibreOffice
// kept running (resident), where it is installed, JPEG and PNG images as they are, and TIFF (every
// page), WebP, GIF and BMP decoded by golang.org/x/image and the standard
// library; and it reads documents without pages (package content). Every
// decoder draws from one memory budget first (Budget). Rendered pages are
// cached on disk by content hash, page and width; what cannot be shown is
// remembered beside them.
package pages

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	_ "image/jpeg" // registered for DecodeConfig
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
	"github.com/reviewer-app/reviewer/internal/pdfiumcheck"
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

// FirstWidth is the width the viewer asks page one at when a review page
// opens (its image's src, and what it picks for a view up to 1000 pixels
// wide): drawn when the document arrives.
var FirstWidth = Widths[1]

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

	// DecodeMemory is the memory all decoders together may hold at once
	// (DefaultDecodeMemory when zero), Decodes how many decode at once
	// (DefaultDecodes when zero): see Budget.
	DecodeMemory int64
	Decodes      int

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
	if o.DecodeMemory <= 0 {
		o.DecodeMemory = DefaultDecodeMemory
	}
	if o.Decodes < 1 {
		o.Decodes = DefaultDecodes
	}
	return o
}

// Renderer renders pages, and reads documents without pages. It is safe
// for concurrent use.
type Renderer struct {
	opt      Options
	ctx      context.Context // PDFium's, from Open: its instances end with it
	poolMu   sync.Mutex      // guards pool, started by the first document drawn
	pool     pdfium.Pool
	slots    chan *slot
	budget   *Budget
	dir      string // rendered page cache, and what failed
	flight   singleflight.Group
	slow     sync.Map      // hash of a document that ran out of time once: a busy machine is given the benefit of the doubt
	office   string        // LibreOffice's program; empty when there is none
	officeMu sync.Mutex    // guards resident and closed
	resident *resident     // the LibreOffice kept running, or nil
	closed   bool          // no LibreOffice is started any more
	contents content.Cache // documents without pages, as read last

	restarts atomic.Int64
	decoded  atomic.Int64 // pages of image documents decoded
}

// Budget returns the memory budget every decoder draws from.
func (r *Renderer) Budget() *Budget { return r.budget }

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
	r := &Renderer{opt: opt, ctx: ctx, slots: make(chan *slot, opt.Instances), budget: newBudget(opt.DecodeMemory, opt.Decodes), dir: filepath.Join(dataDir, "pages")}
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
		// Only the benchmark turns the checks off, to measure them; wazero
		// caches the two builds under different keys.
		RuntimeConfig: wazero.NewRuntimeConfig().
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			WithCompilationCache(cache).
			WithCloseOnContextDone(!pdfiumcheck.IsUnchecked(r.ctx)).
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
	r.closeOffice()
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

// Ready says why pages cannot be drawn now, or nil: the renderer has not
// been stopped, and its page cache takes files (a full disk or a read-only
// mount fails here, not on a reviewer's next page). PDFium itself starts
// with the first document, so that a server showing no PDF never pays for
// it; a PDFium that fails is replaced per call.
func (r *Renderer) Ready() error {
	if err := r.ctx.Err(); err != nil {
		return fmt.Errorf("stopped: %w", err)
	}
	if err := os.MkdirAll(r.dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(r.dir, "ready-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
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
// or text. It reads headers, and a document without pages once (within
// the budget, waiting for it as long as ctx lasts).
func (r *Renderer) Inspect(ctx context.Context, hash, file string) (string, []review.PageSize, error) {
	kind, err := sniffFile(file)
	if err != nil {
		return "", nil, err
	}
	switch {
	case content.Is(kind):
		// Read once now, so a file that cannot be shown (a zip bomb posing
		// as a workbook) is told at once and remembered.
		if _, err := r.content(ctx, hash, file, kind, true); err != nil {
			return kind, nil, err
		}
		if kind != content.KindDOCX {
			return kind, nil, nil
		}
		if file, err = r.layOut(ctx, hash, file); err != nil {
			if ctx.Err() != nil {
				return "", nil, ctx.Err()
			}
			return kind, nil, nil // shown as its text, AsText says why
		}
	case kind != KindPDF:
		sizes, err := imagePages(file, kind)
		return kind, sizes, err
	}
	var sizes []review.PageSize
	err = r.withDoc(ctx, hash, file, true, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
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

// DrawFirst draws page one of a document of kind at FirstWidth and keeps it,
// as PNG would when asked; nothing for a document not drawn from a PDF.
func (r *Renderer) DrawFirst(ctx context.Context, hash, file, kind string) error {
	if !Drawn(kind) {
		return nil
	}
	_, err := r.PNG(ctx, hash, file, 1, FirstWidth)
	return err
}

// sniffFile tells the kind of the document in file from its first bytes,
// and an archive's from its directory: nothing is read whole.
func sniffFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	head := make([]byte, min(st.Size(), 8192))
	if _, err := f.ReadAt(head, 0); err != nil {
		return "", err
	}
	kind, err := Sniff(head)
	if kind == content.KindArchive {
		if kind, _ = content.SniffArchive(f, st.Size()); kind == content.KindArchive || kind == "" {
			return "", review.Errorf(review.EINVALID, "the archive is damaged, or neither an Excel workbook nor a Word document")
		}
	}
	return kind, err
}

// drawable returns the file a document's pages are drawn from and its
// kind: a Word document's laid-out PDF, any other document itself.
func (r *Renderer) drawable(ctx context.Context, hash, file string) (string, string, error) {
	kind, err := sniffFile(file)
	if err != nil {
		return "", "", err
	}
	if kind == content.KindDOCX {
		file, err = r.layOut(ctx, hash, file)
		kind = KindPDF
	}
	return file, kind, err
}

// pageFile is where page (1-based) of a document is kept drawn width
// pixels wide; width 0 for an image's page at its own size.
func (r *Renderer) pageFile(hash string, page, width int) string {
	return filepath.Join(r.dir, hash[:2], hash, strconv.Itoa(page)+"-"+strconv.Itoa(width)+".png")
}

// PNG returns the path of page (1-based) of the document in file as a PNG:
// a PDF's page rendered width pixels wide, an image's page (a TIFF's, a
// WebP, GIF or BMP, a JPEG turned by its EXIF orientation) at its own
// size, or a thumbnail when width is a thumbnail's (Widths[0] or less);
// made on first request and kept. Each is drawn within the budget.
func (r *Renderer) PNG(ctx context.Context, hash, file string, page, width int) (string, error) {
	out := r.pageFile(hash, page, width)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	v, err, _ := r.flight.Do(out, func() (any, error) {
		path, kind, err := r.drawable(ctx, hash, file)
		if err != nil {
			return nil, err
		}
		if kind != KindPDF {
			return r.imagePNG(ctx, hash, path, kind, page, width)
		}
		return out, r.renderPDF(ctx, hash, path, page, width, out)
	})
	if err != nil {
		return "", fmt.Errorf("render page %d: %w", page, err)
	}
	return v.(string), nil
}

// renderPDF renders page of the PDF at path width pixels wide into out,
// its bitmap drawn from the budget once the page's size is known.
func (r *Renderer) renderPDF(ctx context.Context, hash, path string, page, width int, out string) error {
	var res *responses.RenderPageInPixels
	release := func() {}
	defer func() { release() }()
	return r.withDocThen(ctx, hash, path, false, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		sz, err := inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: doc, Index: page - 1})
		if err != nil {
			return err
		}
		// The aspect ratio is kept within both bounds, so the bitmap has
		// at most MaxPixels whatever the page's shape.
		height := MaxPixels / width
		if sz.Size.Width > 0 {
			height = min(height, int(float64(width)*float64(sz.Size.Height)/float64(sz.Size.Width))+1)
		}
		if release, err = r.budget.Take(ctx, int64(width)*int64(height)*4+encodeCost); err != nil {
			release = func() {}
			return err
		}
		res, err = inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: byIndex(doc, page-1), Width: width, Height: MaxPixels / width})
		return err
	}, func() error {
		// The bitmap is a view of the instance's memory: encoded while the
		// instance is held, outside PDFium's time cap (our encoder's work,
		// bounded by MaxPixels, is not the document's).
		defer res.Cleanup()
		return writePNG(out, res.Result.RenderedImage)
	})
}

// withDoc runs fn with the PDF at path open in a free PDFium instance,
// within the time and memory bounds. A document that exceeds them, or that
// PDFium cannot read, is remembered as failed and refused at once from then
// on; an instance that was stopped, failed or grew large is replaced by a
// fresh one, so its memory comes back. What is answered with a sentence of
// our own (the budget being taken, say) is passed on as it is. A document
// not open in the instance is read within the budget first, before the
// clock starts (patiently: as long as ctx lasts), and its bytes are let go
// once PDFium has copied them.
func (r *Renderer) withDoc(ctx context.Context, hash, path string, patient bool, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	return r.withDocThen(ctx, hash, path, patient, fn, nil)
}

// withDocThen is withDoc, and then, once fn succeeded, calls then with the
// instance still held but PDFium's time cap no longer running.
func (r *Renderer) withDocThen(ctx context.Context, hash, path string, patient bool, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error, then func() error) error {
	if err := r.failed(hash, 0); err != nil {
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
	opened := func() {}
	if _, open := s.docs[hash]; !open {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		take := r.budget.Take
		if patient {
			take = r.budget.takePatiently
		}
		release, err := take(ctx, st.Size())
		if review.ErrorCode(err) == review.EUNPROCESSABLE {
			return r.fail(hash, 0, review.ErrorMessage(err))
		}
		if err != nil {
			return err
		}
		defer release()
		opened = release
	}

	inst := s.inst
	var stopped atomic.Bool
	killed := make(chan struct{})
	timer := time.AfterFunc(r.opt.Timeout, func() {
		stopped.Store(true)
		inst.Kill() // interrupts the running call
		close(killed)
	})
	err := s.run(hash, path, opened, fn)
	if !timer.Stop() {
		<-killed
	}

	var own *review.Error
	switch {
	case stopped.Load():
		err = r.late(hash)
	case errors.As(err, &own):
		return err // the instance is sound
	case err != nil:
		err = r.fail(hash, 0, pdfiumError(err, r.opt.Memory))
	case then != nil:
		err = then() // not PDFium's failure, if it fails: nothing is remembered
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

// run opens the document in the slot, if it is not open there, calling
// opened once PDFium has it, and calls fn.
func (s *slot) run(hash, path string, opened func(), fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	s.used++
	d, ok := s.docs[hash]
	if !ok {
		if len(s.docs) >= docsPerSlot {
			s.closeLeastUsed()
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := s.inst.OpenDocument(&requests.OpenDocument{File: &data})
		if err != nil {
			return err
		}
		opened()
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

// failedFile is where a document's failure is remembered, beside its
// pages: the whole document's (page 0), or one page's.
func (r *Renderer) failedFile(hash string, page int) string {
	name := "failed"
	if page > 0 {
		name += "-" + strconv.Itoa(page)
	}
	return filepath.Join(r.dir, hash[:2], hash, name)
}

// failed returns the remembered failure of a document or its page, nil if
// none.
func (r *Renderer) failed(hash string, page int) error {
	msg, err := os.ReadFile(r.failedFile(hash, page))
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
		return r.fail(hash, 0, fmt.Sprintf("This document is too complex to show: drawing it took longer than %s, twice.", r.opt.Timeout))
	}
	return &review.Error{Code: review.EUNAVAILABLE, Msg: fmt.Sprintf("Drawing this page took longer than %s; the server may be busy. Try again.", r.opt.Timeout)}
}

// fail remembers that a document or its page cannot be shown, and why (a
// sentence).
func (r *Renderer) fail(hash string, page int, why string) error {
	writeAtomic(r.failedFile(hash, page), []byte(why)) // best effort: if not remembered, it fails again
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

// writeAtomic writes data to path, whole or not at all.
func writeAtomic(path string, data []byte) error {
	return writeWith(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeWith writes to path what write writes, whole or not at all: into a
// file beside it, renamed when complete.
func writeWith(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
