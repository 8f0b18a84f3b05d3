package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/review"
)

// longDocPages is the long document's length: the 300 pages issue 30 asks
// a first page on screen of, text only, so it is made and measured fast.
const longDocPages = 300

// longDoc is a PDF of longDocPages pages, each saying its number, made once
// for the package.
var longDoc = sync.OnceValue(func() []byte {
	objs := [][]byte{
		hostile.Obj("<< /Type /Catalog /Pages 2 0 R >>"),
		nil, // the page tree, once its kids are known
		hostile.Obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
	}
	var kids strings.Builder
	for i := range longDocPages {
		fmt.Fprintf(&kids, "%d 0 R ", 4+2*i)
		objs = append(objs,
			hostile.Obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i)),
			hostile.Stream("", fmt.Appendf(nil, "BT /F1 28 Tf 72 700 Td (Page %d) Tj ET", i+1)))
	}
	objs[1] = hostile.Obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s] >>", longDocPages, kids.String()))
	return hostile.PDF(objs...)
})

// openLongDoc opens, in the browser, a run of the longDocPages-page
// document with a field cited on its first page ("first", the field the
// run opens in) and one on its last ("last"); atStart, if any, runs in the
// page before its own scripts.
func openLongDoc(t *testing.T, atStart string) context.Context {
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	// The title sits at 72 pt from the left, 92 pt from the top.
	cite := func(page int) map[string]any {
		return map[string]any{"ocrConfidence": 0.9, "citations": []any{map[string]any{
			"fileId": "file_long", "page": map[string]any{"number": page, "width": 612, "height": 792},
			"polygon":       []any{map[string]any{"x": 70, "y": 70}, map[string]any{"x": 240, "y": 70}, map[string]any{"x": 240, "y": 100}, map[string]any{"x": 70, "y": 100}},
			"referenceText": fmt.Sprintf("Page %d", page),
		}}}
	}
	s.send("evt_long", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_long", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Long"},
		"files":    []any{map[string]any{"id": "file_long", "name": "long.pdf", "type": "PDF", "metadata": map[string]any{"pageCount": longDocPages}}},
		"stepRuns": []any{map[string]any{"id": "workflow_step_run_long", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_long", "output": map[string]any{
				"value":    map[string]any{"first": "Page 1", "last": fmt.Sprintf("Page %d", longDocPages)},
				"metadata": map[string]any{"first": cite(1), "last": cite(longDocPages)},
			}}}}},
	})
	s.waitRun(c, "workflow_run_long")
	s.upload(c, "workflow_run_long", "file_long", "long.pdf", longDoc())
	// Measured: the review page lays out every page.
	last := fmt.Sprintf(`data-page="%d"`, longDocPages)
	for deadline := time.Now().Add(ceiling); ; time.Sleep(50 * time.Millisecond) {
		resp, err := c.Get(s.base + "/runs/workflow_run_long")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte(last)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the document was not measured within %s", ceiling)
		}
	}

	// Opened by the person who uploaded it (opening claims the run).
	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if atStart != "" {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: atStart}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_long"), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// TestLongDocumentOpensAndJumps: a 300-page document opens with page one
// drawn (in the first frame, not one after the browser finds it in view)
// and only the images near the view asked for; Tab to a field cited
// on page 300 shows that page, drawn, with the field's box in view.
func TestLongDocumentOpensAndJumps(t *testing.T) {
	t.Parallel()
	ctx := openLongDoc(t, "")
	waitFor(t, ctx, `(() => {
  const img = document.querySelector('.page[data-page="1"] > img');
  return !!img && img.complete && img.naturalWidth > 0 && document.getElementById("page-now").textContent === "1";
})()`, "page 1 was not drawn")
	made, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.querySelectorAll(".page").length, document.querySelectorAll(".page > img").length, document.querySelectorAll(".thumbs img").length]`))
	if err != nil {
		t.Fatal(err)
	}
	if made[0] != longDocPages || made[1] > 10 || made[2] > 40 {
		t.Fatalf("of %d pages, %d page images and %d thumbnails were made on opening; want every page, images only near the view", made[0], made[1], made[2])
	}
	// The pages sent with their image are drawn in the first frame; the
	// others wait until they come into view.
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[1, 2, 3].map((n) => getComputedStyle(document.querySelector('.page[data-page="' + n + '"]')).contentVisibility)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(shown, " ") != "visible visible auto" {
		t.Fatalf("pages 1 to 3 are content-visibility %q, want page one and two drawn at once and page three when near", shown)
	}
	if a := activePath(ctx); a != "first" {
		t.Fatalf("the run opened in %q, want the field first", a)
	}
	press(t, ctx, kb.Tab)
	waitFor(t, ctx, fmt.Sprintf(`(() => {
  const page = document.querySelector('.page[data-page="%d"]');
  const img = page.querySelector(":scope > img");
  const box = page.querySelector('.box[data-ref-field="last"].active');
  if (!img || !img.complete || img.naturalWidth === 0 || !box) return false;
  const v = document.getElementById("pages").getBoundingClientRect(), b = box.getBoundingClientRect();
  return document.getElementById("page-now").textContent === "%d" && b.top >= v.top && b.bottom <= v.bottom && b.width > 0;
})()`, longDocPages, longDocPages), "Tab to the field on the last page did not show that page, drawn, with its box")
}

// TestLongDocumentScrolledThroughAsksWhereItStops: scrolling through the
// long document two pages a frame asks for no image of the pages flown
// past (the server drew each while the browser waited for a core), and the
// page where the scroll stops is drawn, its thumbnail too; the pages drawn
// in the first frame are no longer drawn once far from the view.
func TestLongDocumentScrolledThroughAsksWhereItStops(t *testing.T) {
	t.Parallel()
	ctx := openLongDoc(t, "")
	waitFor(t, ctx, `(() => { const img = document.querySelector('.page[data-page="1"] > img'); return !!img && img.complete && img.naturalWidth > 0; })()`, "page 1 was not drawn")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((done) => {
  const el = document.getElementById("pages"), steps = 150;
  let i = 0;
  function frame() {
    el.scrollTop = ((el.scrollHeight - el.clientHeight) * ++i) / steps;
    if (i < steps) requestAnimationFrame(frame); else done(true);
  }
  requestAnimationFrame(frame);
})`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	// Pages 1 and 300 are each more than 60 thumbnails and 10 pages from
	// the middle.
	passed, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[
  [...document.querySelectorAll(".page > img")].filter((img) => Math.abs(img.parentElement.dataset.index - 150) < 140).length,
  [...document.querySelectorAll(".thumbs img")].filter((img) => Math.abs(img.parentElement.dataset.thumb - 150) < 90).length,
]`))
	if err != nil {
		t.Fatal(err)
	}
	if passed[0]+passed[1] > 0 {
		t.Fatalf("scrolling through %d pages made %d images of pages it passed and %d thumbnails; want only those near where it started and stopped", longDocPages, passed[0], passed[1])
	}
	waitFor(t, ctx, fmt.Sprintf(`(() => {
  const img = document.querySelector('.page[data-page="%[1]d"] > img'), thumb = document.querySelector('[data-thumb="%[1]d"] img');
  return !!img && img.complete && img.naturalWidth > 0 && !!thumb && thumb.complete && thumb.naturalWidth > 0 && document.getElementById("page-now").textContent === "%[1]d";
})()`, longDocPages), "the page the scroll stopped at was not drawn, with its thumbnail")
	// Far from the view, the pages drawn in the first frame are skipped as
	// any other (page one's boxes were walked on every frame of the scroll).
	waitFor(t, ctx, `[1, 2].every((n) => getComputedStyle(document.querySelector('.page[data-page="' + n + '"]')).contentVisibility === "auto")`, "pages 1 and 2 were still drawn far from the view")
}

// TestLongDocumentOpensRestylingPagesOnce: opening the long document, the
// viewer sets each page's zoom once. It set it twice (a first zoom, then
// the fit to the view's width), reading the layout after each: a restyle
// and layout of all 300 pages forced each time while the page's scripts
// ran, on some visits before page one was painted.
func TestLongDocumentOpensRestylingPagesOnce(t *testing.T) {
	t.Parallel()
	ctx := openLongDoc(t, `window.zoomsSet = 0;
new MutationObserver((ms) => { for (const m of ms) if (m.target.dataset.page === "3") window.zoomsSet++; })
  .observe(document, { subtree: true, attributeFilter: ["style"] });`)
	waitFor(t, ctx, `(() => { const img = document.querySelector('.page[data-page="1"] > img'); return !!img && img.complete && img.naturalWidth > 0; })()`, "page 1 was not drawn")
	if n := js(t, ctx, `String(window.zoomsSet)`); n != "1" {
		t.Fatalf("opening the document set page 3's style %s times; want once", n)
	}
}
