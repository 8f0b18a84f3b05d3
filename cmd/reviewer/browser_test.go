package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/internal/scans"
	"github.com/reviewer-app/reviewer/review"
)

// word is a word's box as pdftotext gives it: points, top-left origin of the
// page as displayed.
type word struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

// bboxPage is one page of a pdftotext -bbox-layout file. width and height
// are as pdftotext prints them: the unrotated page for /Rotate 90 and 270.
type bboxPage struct {
	width, height float64
	words         []word
}

var (
	pageRE = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	wordRE = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

func readBBox(t *testing.T, path string) []bboxPage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pages []bboxPage
	locs := pageRE.FindAllSubmatchIndex(b, -1)
	for i, l := range locs {
		end := len(b)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		p := bboxPage{width: atof(string(b[l[2]:l[3]])), height: atof(string(b[l[4]:l[5]]))}
		for _, m := range wordRE.FindAllSubmatch(b[l[1]:end], -1) {
			p.words = append(p.words, word{string(m[5]), atof(string(m[1])), atof(string(m[2])), atof(string(m[3])), atof(string(m[4]))})
		}
		pages = append(pages, p)
	}
	return pages
}

func atof(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }

// pick chooses up to n words of at least 3 letters, spread over the page.
func pick(words []word, n int) []word {
	var ok []word
	for _, w := range words {
		if len([]rune(w.text)) >= 3 && w.xMax-w.xMin > 4 && w.yMax-w.yMin > 4 {
			ok = append(ok, w)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].yMin < ok[j].yMin })
	if len(ok) <= n {
		return ok
	}
	out := make([]word, n)
	for i := range out {
		out[i] = ok[i*(len(ok)-1)/(n-1)]
	}
	return out
}

// expectation is where a field's box must be: fractions of the page.
type expectation struct {
	field, file string
	page        int
	want        review.Rect
}

func poly(w word) []map[string]float64 {
	return []map[string]float64{{"x": w.xMin, "y": w.yMin}, {"x": w.xMax, "y": w.yMin}, {"x": w.xMax, "y": w.yMax}, {"x": w.xMin, "y": w.yMax}}
}

// displayed is the page size as shown, from pdftotext's size and /Rotate.
func displayed(p bboxPage, rotate int) (float64, float64) {
	if rotate%180 == 90 {
		return p.height, p.width
	}
	return p.width, p.height
}

func frac(w word, pw, ph float64) review.Rect {
	return review.Rect{Left: w.xMin / pw, Top: w.yMin / ph, Right: w.xMax / pw, Bottom: w.yMax / ph}
}

// TestBoxesLandOnTheWords builds runs from real documents whose word
// positions are known, in every coordinate form Extend uses, and checks in
// Chromium that each box sits on its word: the box's rectangle relative to
// the page image is compared with the word's known position, within half a
// percent of the page, at two zoom levels; and the rendered image has ink
// under every box.
func TestBoxesLandOnTheWords(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	var want []expectation

	// Run 1 (API 2026-02-09, citations with their own page size): the
	// rotated NICS table (/Rotate 90) and the Arabic sample rotated by 90,
	// 180 and 270, both with page sizes given unrotated, as pdftotext and
	// some producers do.
	metadata := map[string]any{}
	value := map[string]any{}
	files := []map[string]any{}
	docs := []struct {
		id, name string
		rotate   []int
	}{
		{"file_nics", "nics-background-checks-2015-11-rotated", []int{90}},
		{"file_habibi", "habibi-rotated", []int{90, 180, 270, 0}},
	}
	for _, d := range docs {
		files = append(files, map[string]any{"object": "file", "id": d.id, "name": d.name + ".pdf", "type": "PDF", "metadata": map[string]any{"pageCount": len(d.rotate)}})
		for pi, p := range readBBox(t, "testdata/"+d.name+".bbox.html") {
			pw, ph := displayed(p, d.rotate[pi])
			for wi, w := range pick(p.words, 5) {
				key := fmt.Sprintf("%s_p%d_w%d", d.id, pi+1, wi)
				value[key] = w.text
				metadata[key] = map[string]any{"ocrConfidence": 0.9, "citations": []any{map[string]any{
					"fileId": d.id, "page": map[string]any{"number": pi + 1, "width": p.width, "height": p.height},
					"polygon": poly(w), "referenceText": w.text,
				}}}
				want = append(want, expectation{key, d.id, pi + 1, frac(w, pw, ph)})
			}
		}
	}
	run1 := map[string]any{
		"object": "workflow_run", "id": "workflow_run_rotated", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Rotated"}, "files": files,
		"stepRuns": []any{map[string]any{"id": "workflow_step_run_1", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_rotated", "output": map[string]any{"value": value, "metadata": metadata}}}}},
	}

	// Run 2 (API 2025-04-21, legacy boundingBoxes in points, no page size):
	// a document with portrait pages 1–4 and landscape pages 5–8.
	legacy := map[string]any{}
	mixed := readBBox(t, "testdata/issue-848.bbox.html")
	for _, pi := range []int{0, 4} {
		p := mixed[pi]
		for wi, w := range pick(p.words, 5) {
			key := fmt.Sprintf("p%d_w%d", pi+1, wi)
			legacy[key] = map[string]any{"id": key, "type": "string", "value": w.text, "confidence": 0.8,
				"references": []any{map[string]any{"id": key, "page": pi + 1, "boundingBoxes": []any{map[string]any{"left": w.xMin, "top": w.yMin, "right": w.xMax, "bottom": w.yMax}}}}}
			want = append(want, expectation{key, "file_mixed", pi + 1, frac(w, p.width, p.height)})
		}
	}
	run2 := map[string]any{
		"object": "workflow_run", "id": "workflow_run_mixed", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Mixed"},
		"files":    []any{map[string]any{"id": "file_mixed", "name": "issue-848.pdf", "type": "PDF", "metadata": map[string]any{"pageCount": 8}}},
		"outputs":  []any{map[string]any{"object": "document_processor_run", "id": "dpr_mixed", "type": "EXTRACT", "output": legacy}},
	}

	// Run 3: a scanned-style image (PNG at 100 dpi), citations in pixels
	// with no page size.
	img := map[string]any{}
	imgMeta := map[string]any{}
	aws := readBBox(t, "testdata/AmazonWebServices.bbox.html")[0]
	const dpi = 100.0 / 72
	for wi, w := range pick(aws.words, 6) {
		key := fmt.Sprintf("img_w%d", wi)
		img[key] = w.text
		px := word{w.text, w.xMin * dpi, w.yMin * dpi, w.xMax * dpi, w.yMax * dpi}
		imgMeta[key] = map[string]any{"ocrConfidence": 0.5, "citations": []any{map[string]any{"page": 1, "polygon": poly(px)}}}
		want = append(want, expectation{key, "file_png", 1, frac(w, aws.width, aws.height)})
	}
	run3 := map[string]any{
		"object": "workflow_run", "id": "workflow_run_image", "status": "NEEDS_REVIEW",
		"files": []any{map[string]any{"id": "file_png", "name": "aws.png", "type": "IMG"}},
		"outputs": []any{map[string]any{"object": "document_processor_run", "id": "dpr_img", "type": "EXTRACT",
			"output": map[string]any{"value": img, "metadata": imgMeta}}},
	}

	// Run 4: a two-page TIFF scan, its first page landscape (the page
	// scanned sideways), and a phone's JPEG stored sideways whose EXIF
	// orientation (6) turns it upright; citations in pixels of each page
	// as displayed, on the words of the same invoice.
	scan := decodePNG(t, "testdata/aws-100dpi.png")
	sh := float64(scan.Bounds().Dy())
	scanned := map[string]any{}
	scannedMeta := map[string]any{}
	for wi, w := range pick(aws.words, 6) {
		px := word{w.text, w.xMin * dpi, w.yMin * dpi, w.xMax * dpi, w.yMax * dpi}
		upright := frac(w, aws.width, aws.height)
		// Turned a quarter clockwise, the page is sh wide and sw high.
		sideways := word{w.text, sh - px.yMax, px.xMin, sh - px.yMin, px.xMax}
		for _, c := range []struct {
			key, file string
			page      int
			at        word
			want      review.Rect
		}{
			{fmt.Sprintf("tiff_p1_w%d", wi), "file_tiff", 1, sideways, review.Rect{Left: 1 - upright.Bottom, Top: upright.Left, Right: 1 - upright.Top, Bottom: upright.Right}},
			{fmt.Sprintf("tiff_p2_w%d", wi), "file_tiff", 2, px, upright},
			{fmt.Sprintf("exif_w%d", wi), "file_exif", 1, px, upright},
		} {
			scanned[c.key] = w.text
			scannedMeta[c.key] = map[string]any{"ocrConfidence": 0.5, "citations": []any{map[string]any{"fileId": c.file, "page": c.page, "polygon": poly(c.at)}}}
			want = append(want, expectation{c.key, c.file, c.page, c.want})
		}
	}
	run4 := map[string]any{
		"object": "workflow_run", "id": "workflow_run_scans", "status": "NEEDS_REVIEW",
		"files": []any{map[string]any{"id": "file_tiff", "name": "scan.tiff", "type": "IMG"}, map[string]any{"id": "file_exif", "name": "photo.jpg", "type": "IMG"}},
		"outputs": []any{map[string]any{"object": "document_processor_run", "id": "dpr_scans", "type": "EXTRACT",
			"output": map[string]any{"value": scanned, "metadata": scannedMeta}}},
	}

	s.send("evt_1", review.EventRunNeedsReview, run1)
	s.send("evt_2", review.EventRunNeedsReview, run2)
	s.send("evt_3", review.EventRunNeedsReview, run3)
	s.send("evt_4", review.EventRunNeedsReview, run4)
	for _, r := range []string{"workflow_run_rotated", "workflow_run_mixed", "workflow_run_image", "workflow_run_scans"} {
		s.waitRun(c, r)
	}
	s.upload(c, "workflow_run_scans", "file_tiff", "scan.tiff", scans.TIFF(quarter(scan, true), scan))
	s.upload(c, "workflow_run_scans", "file_exif", "photo.jpg", scans.JPEG(quarter(scan, false), 6))
	for runID, f := range map[string][][2]string{
		"workflow_run_rotated": {{"file_nics", "nics-background-checks-2015-11-rotated.pdf"}, {"file_habibi", "habibi-rotated.pdf"}},
		"workflow_run_mixed":   {{"file_mixed", "issue-848.pdf"}},
		"workflow_run_image":   {{"file_png", "aws-100dpi.png"}},
	} {
		for _, file := range f {
			b, err := os.ReadFile("testdata/" + file[1])
			if err != nil {
				t.Fatal(err)
			}
			s.upload(c, runID, file[0], file[1], b)
		}
	}

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	byField := map[string]expectation{}
	for _, e := range want {
		byField[e.field] = e
	}
	for _, runID := range []string{"workflow_run_rotated", "workflow_run_mixed", "workflow_run_image", "workflow_run_scans"} {
		for zoom, boxes := range measureRun(t, ctx, s.base+"/runs/"+runID) {
			seen := 0
			for _, b := range boxes {
				e, ok := byField[b.Field]
				if !ok {
					t.Fatalf("unexpected box %s", b.Field)
				}
				seen++
				if b.File != e.file || b.Page != e.page {
					t.Errorf("%s at zoom %.1f: on %s page %d, want %s page %d", b.Field, zoom, b.File, b.Page, e.file, e.page)
				}
				if d := maxDiff(b.Rect, e.want); d > 0.005 {
					t.Errorf("%s (%s p%d) at zoom %.1f: box %+v, word at %+v: off by %.2f%% of the page", b.Field, e.file, e.page, zoom, b.Rect, e.want, d*100)
				}
				if b.PageVsImage > 1.01 {
					t.Errorf("%s: page element and image differ by %.1f px", b.Field, b.PageVsImage)
				}
				if b.Ink < 0.02 {
					t.Errorf("%s (%s p%d): only %.1f%% dark pixels under the box: it is not on text", b.Field, e.file, e.page, b.Ink*100)
				}
			}
			if want := countRun(want, runID); seen != want {
				t.Errorf("%s at zoom %.1f: %d boxes, want %d", runID, zoom, seen, want)
			}
		}
	}
}

// measureRun opens the run page at url and measures its boxes at zoom 1
// and 2.2. Zooming draws every page again at a larger size; on a machine
// busy with other tests the server may stay too busy for the viewer's own
// tries, and the page says so in its place: then the run is opened again,
// as a person would, until the ceiling.
func measureRun(t *testing.T, ctx context.Context, url string) map[float64][]measured {
	t.Helper()
	for deadline := time.Now().Add(ceiling); ; {
		drawnAll(t, ctx, url)
		out := map[float64][]measured{}
		var err error
		for _, zoom := range []float64{1, 2.2} {
			if out[zoom], err = chromedp.Run(ctx, chromedp.Evaluate[[]measured](measureJS(zoom), chromedp.EvalAwaitPromise)); err != nil {
				break
			}
		}
		switch {
		case err == nil:
			return out
		case strings.Contains(err.Error(), "page missing: ") && time.Now().Before(deadline):
			t.Logf("%s: %v; opened again", url, err)
		default:
			t.Fatalf("%s: measure: %v", url, err)
		}
	}
}

func countRun(es []expectation, runID string) int {
	files := map[string][]string{"workflow_run_rotated": {"file_nics", "file_habibi"}, "workflow_run_mixed": {"file_mixed"}, "workflow_run_image": {"file_png"},
		"workflow_run_scans": {"file_tiff", "file_exif"}}[runID]
	n := 0
	for _, e := range es {
		for _, f := range files {
			if e.file == f {
				n++
			}
		}
	}
	return n
}

func maxDiff(a, b review.Rect) float64 {
	return max(math.Abs(a.Left-b.Left), math.Abs(a.Top-b.Top), math.Abs(a.Right-b.Right), math.Abs(a.Bottom-b.Bottom))
}

// measured is a box as the browser draws it.
type measured struct {
	Field       string      `json:"field"`
	File        string      `json:"file"`
	Page        int         `json:"page"`
	Rect        review.Rect `json:"rect"` // fractions of the page image's rectangle
	PageVsImage float64     `json:"pageVsImage"`
	Ink         float64     `json:"ink"` // share of dark pixels of the image under the box
}

// drawnAll opens the run page at url and waits until every page image is
// drawn. A page the server was too busy to draw, after the viewer's own
// tries, says so in its place; on a machine busy with other tests that
// happens, and the page is opened again, as a person would, until the
// ceiling.
func drawnAll(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	const state = `(() => {
  const imgs = [...document.querySelectorAll(".page > img")];
  imgs.forEach((i) => (i.loading = "eager"));
  if (document.querySelector(".page .page-missing")) return "missing: " + document.querySelector(".page .page-missing").textContent;
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0) ? "drawn" : "waiting";
})()`
	deadline := time.Now().Add(ceiling)
	for open := true; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if open {
			if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(".page img"))); err != nil {
				t.Fatal(err)
			}
			open = false
		}
		said, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case said == "drawn":
			return
		case strings.HasPrefix(said, "missing: "):
			t.Logf("%s: %s; opened again", url, said)
			open = true
		}
	}
	t.Fatalf("%s: the page images were not all drawn within %s", url, ceiling)
}

// measureJS zooms the viewer, loads every page image, and returns each box's
// rectangle in fractions of its page image, with the share of dark pixels
// the rendered image has under it.
func measureJS(zoom float64) string {
	return fmt.Sprintf(`(async () => {
  const v = window.reviewerViewer;
  v.setScale(v.scale * %g, false);
  // Every page laid out, on screen or not: a tab of a shared browser that
  // is not in front does not update what content-visibility skips, and
  // where the boxes sit does not depend on it.
  document.querySelectorAll(".page").forEach((p) => (p.style.contentVisibility = "visible"));
  // Every page's image made: the viewer makes one as its page comes near
  // the view.
  for (const p of document.querySelectorAll(".page[data-image]")) {
    p.scrollIntoView();
    for (const until = Date.now() + 120000; !p.querySelector(":scope > img, :scope > .page-missing"); ) {
      if (Date.now() > until) throw new Error("page " + p.dataset.page + " got no image near the view");
      await new Promise((r) => requestAnimationFrame(r));
    }
  }
  const imgs = [...document.querySelectorAll(".page > img")];
  // Every page drawn first: on a busy machine the decoding budget answers
  // some page images 503 and the viewer asks again, so wait for the
  // condition (a generous ceiling), not for the first answer.
  for (const until = Date.now() + 120000; imgs.some((i) => !i.complete || i.naturalWidth === 0); ) {
    const missing = document.querySelector(".page .page-missing");
    if (missing) throw new Error("page missing: " + missing.textContent);
    if (Date.now() > until) throw new Error("page images not drawn: " + imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src).join(", "));
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(imgs.map((i) => i.decode().catch(() => {})));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const canvases = new Map();
  const out = [];
  for (const box of document.querySelectorAll(".box[data-ref-field]")) {
    const page = box.closest(".page");
    page.scrollIntoView();
    const img = page.querySelector("img");
    if (!img) throw new Error(page.dataset.fileId + " page " + page.dataset.page + " has no image: " + page.textContent.trim());
    // A page off screen is not laid out (content-visibility: auto) until
    // the frame after it scrolled into view.
    for (let frames = 0; img.getBoundingClientRect().width === 0; frames++) {
      if (frames > 600) throw new Error(page.dataset.fileId + " page " + page.dataset.page + " was never laid out");
      await new Promise((r) => requestAnimationFrame(r));
    }
    const ir = img.getBoundingClientRect(), pr = page.getBoundingClientRect(), br = box.getBoundingClientRect();
    if (!canvases.has(img)) {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      c.getContext("2d").drawImage(img, 0, 0);
      canvases.set(img, c.getContext("2d"));
    }
    const rect = { left: (br.left - ir.left) / ir.width, top: (br.top - ir.top) / ir.height, right: (br.right - ir.left) / ir.width, bottom: (br.bottom - ir.top) / ir.height };
    const x = Math.floor(rect.left * img.naturalWidth), y = Math.floor(rect.top * img.naturalHeight);
    const w = Math.max(1, Math.ceil((rect.right - rect.left) * img.naturalWidth)), h = Math.max(1, Math.ceil((rect.bottom - rect.top) * img.naturalHeight));
    const px = canvases.get(img).getImageData(x, y, w, h).data;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (0.3 * px[i] + 0.59 * px[i + 1] + 0.11 * px[i + 2] < 220) dark++; // darker than paper: grey small print counts
    out.push({ field: box.dataset.refField, file: page.dataset.fileId, page: +page.dataset.page, rect,
      pageVsImage: Math.max(Math.abs(ir.left - pr.left), Math.abs(ir.top - pr.top), Math.abs(ir.width - pr.width), Math.abs(ir.height - pr.height)),
      ink: dark / (px.length / 4) });
  }
  return out;
})()`, zoom)
}

func decodePNG(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// quarter turns img a quarter, clockwise or not: a page scanned sideways.
func quarter(img image.Image, clockwise bool) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			if clockwise {
				out.Set(b.Dy()-1-y, x, img.At(b.Min.X+x, b.Min.Y+y))
			} else {
				out.Set(y, b.Dx()-1-x, img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return out
}
