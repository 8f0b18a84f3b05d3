package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/reviewer-app/reviewer/review"
)

// TestPageWordsFillFields: on a born-digital PDF that came without
// Extend's parsed text, the page's own words (read by PDFium) are the text
// layer: with the text shown (Alt+T), clicking a word puts it in the
// focused field; drawing a box (Alt+D) around a word fills the field with
// it and keeps the box; the approved run carries the value.
func TestPageWordsFillFields(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	rect := func(js string) []float64 {
		t.Helper()
		r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const e = `+js+`; e.scrollIntoView({ block: "center" }); const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	focusField(t, ctx, "notes")
	press(t, ctx, "t", chromedp.ModifierAlt)
	waitFor(t, ctx, `[...document.querySelectorAll(".page .block.word")].some((b) => b.dataset.text === "Rechnung")`, "the page's words were not shown")
	w := rect(`[...document.querySelectorAll(".page .block.word")].find((b) => b.dataset.text === "Rechnung")`)
	x, y := (w[0]+w[2])/2, (w[1]+w[3])/2
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="notes"] .ed').value === "Rechnung"`, "clicking a word did not fill the field")
	waitSaved(t, ctx)
	press(t, ctx, "t", chromedp.ModifierAlt) // the text hidden again: a box is drawn over the page

	// A box drawn around the invoice number, a little larger than its word.
	b := rect(`document.querySelector('.box[data-ref-field="invoice_number"]')`)
	press(t, ctx, "d", chromedp.ModifierAlt)
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, b[0]-3, b[1]-3, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (b[0]+b[2])/2, (b[1]+b[3])/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, b[2]+3, b[3]+3, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, b[2]+3, b[3]+3, chromedp.ButtonLeft),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="notes"] .ed').value === "30064443"`, "the drawn box did not fill the field with its word")
	waitSaved(t, ctx)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.box[data-ref-field="notes"]').length`)); n != 1 {
		t.Fatalf("the field has %d boxes after drawing, want the drawn one", n)
	}
	approveByKey(t, ctx, runQH)
	if v := at(t, s.apiGet("/api/v1/runs/"+runQH), "outputs.0.reviewedOutput.notes.value"); v != `"30064443"` {
		t.Fatalf("the API has notes = %s", v)
	}
}

// TestFindInDocument: F (Alt+F in a field) opens the find box; typing marks
// every match on every page and goes to the first; Enter steps to the next
// match on the next page, Shift+Enter back; Esc takes the marks away and
// returns to the field.
func TestFindInDocument(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runFiber)
	focusField(t, ctx, "client_id")
	press(t, ctx, "f", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.activeElement.id === "find-q"`, "Alt+F did not open the find box")
	// The current match is on the page it names, and in view.
	current := func(n, page string) { // of the three: one on page 1, two on page 2
		t.Helper()
		waitFor(t, ctx, `(() => {
  const h = document.querySelector(".find-hit.current"), v = document.getElementById("pages").getBoundingClientRect();
  if (!h || h.parentElement.dataset.page !== "`+page+`") return false;
  const r = h.getBoundingClientRect();
  return document.getElementById("find-count").textContent === "`+n+` of 3, page `+page+`" && r.top >= v.top && r.bottom <= v.bottom;
})()`, "the current match is not "+n+" of 3 on page "+page)
	}
	// A pause in typing searches what is typed so far (the same three
	// places); typing on, the count waits for the whole text (it said the
	// older text's count until the next search, and an Enter meant for
	// the whole text's matches could land on the older one's).
	typeText(t, ctx, "5620443")
	current("1", "1")
	typeText(t, ctx, "87")
	if c, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#find-count"))); c != "Searching…" {
		t.Fatalf("typing on, the count says %q", c)
	}
	current("1", "1")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".find-hit").length`)); n != 3 {
		t.Fatalf("%d marks, want 3", n)
	}
	for _, want := range [][2]string{{"2", "2"}, {"3", "2"}, {"1", "1"}} {
		press(t, ctx, kb.Enter)
		current(want[0], want[1])
	}
	press(t, ctx, kb.Enter, chromedp.ModifierShift)
	current("3", "2")
	press(t, ctx, kb.Escape)
	waitFor(t, ctx, `!document.querySelector(".find-hit") && document.activeElement.closest?.(".field")?.dataset.path === "client_id"`, "Esc did not clear the marks and return to the field")

	// From the document: F, and a phrase the PDF cuts into words.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "f")
	typeText(t, ctx, "haut débit")
	waitFor(t, ctx, `document.getElementById("find-count").textContent === "1 of 1, page 2" && document.querySelectorAll(".find-hit").length === 2`, "a phrase across two words was not found")
	press(t, ctx, kb.Escape)
	typeText(t, ctx, "zzz")
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("find-q").value`)); v != "haut débit" {
		t.Fatalf("after Esc the find box has %q, and typing went into it", v)
	}
	press(t, ctx, "f")
	press(t, ctx, kb.Backspace)
	typeText(t, ctx, "no such words")
	waitFor(t, ctx, `document.getElementById("find-count").textContent === "Not found"`, "no match was not said")
	stayed(t, ctx, "finding")
}

// TestCitationFoundByText: a citation that came with its text and no
// position is drawn where its text is on the cited page, marked as found
// by text; one whose text is not on the page stays undrawn and says so.
func TestCitationFoundByText(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	cite := func(text string) map[string]any {
		return map[string]any{"citations": []any{map[string]any{"fileId": "file_fiber", "page": map[string]any{"number": 2}, "referenceText": text}}}
	}
	s.send("evt_1", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_text", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Text only"},
		"files":    []any{map[string]any{"object": "file", "id": "file_fiber", "name": "free_fiber.pdf", "type": "PDF"}},
		"stepRuns": []any{map[string]any{"id": "workflow_step_run_1", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_text", "output": map[string]any{
				"value":    map[string]any{"plan": "Free Haut Débit", "ghost": "Zanzibar"},
				"metadata": map[string]any{"plan": cite("Haut Débit"), "ghost": cite("Zanzibar")},
			}}}}},
	})
	s.waitRun(c, "workflow_run_text")
	pdf, err := os.ReadFile("../../demo/files/free_fiber.pdf")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_text", "file_fiber", "free_fiber.pdf", pdf)

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_text"), chromedp.WaitVisible(chromedp.CSS(".page img"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('.box.found-by-text[data-ref-field="plan"]')`, "the citation's text was not found on its page")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(async () => {
  const box = document.querySelector('.box[data-ref-field="plan"]'), page = box.closest(".page");
  const { words } = await (await fetch(page.dataset.image + "/words", { headers: { Accept: "application/json" } })).json();
  const w = words.filter((w) => w.text === "Haut" || w.text === "Débit");
  const want = { left: Math.min(...w.map((w) => w.rect.left)), top: Math.min(...w.map((w) => w.rect.top)), right: Math.max(...w.map((w) => w.rect.right)), bottom: Math.max(...w.map((w) => w.rect.bottom)) };
  const s = box.style, l = parseFloat(s.left) / 100, t = parseFloat(s.top) / 100;
  const off = Math.max(Math.abs(l - want.left), Math.abs(t - want.top), Math.abs(l + parseFloat(s.width) / 100 - want.right), Math.abs(t + parseFloat(s.height) / 100 - want.bottom));
  const where = (p) => document.querySelector('.field[data-path="' + p + '"] .where').textContent;
  return { page: page.dataset.page, words: w.length, off, title: box.title, visible: box.getBoundingClientRect().width > 0,
    plan: where("plan"), ghost: where("ghost"), ghostShown: document.querySelector('.box[data-ref-field="ghost"]').getBoundingClientRect().width > 0 };
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got["page"] != "2" || got["words"] != 2.0 || got["off"].(float64) > 0.005 || !got["visible"].(bool) || !strings.Contains(got["title"].(string), "found by text") {
		t.Fatalf("the box found by text: %v", got)
	}
	if !strings.Contains(got["plan"].(string), "found by text") || !strings.Contains(got["ghost"].(string), "no box") || got["ghostShown"].(bool) {
		t.Fatalf("what the fields say: %v", got)
	}
}

// TestOCRWordsOfAScan: a scanned page (an image) whose PARSE result came
// with OCR words has them as its text layer: a box drawn around a word
// fills the field with it, and with the text shown a click on another word
// puts that word in the field; the approved run carries the value.
func TestOCRWordsOfAScan(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	const dpi = 100.0 / 72
	aws := readBBox(t, "testdata/AmazonWebServices.bbox.html")[0]
	var words []any
	for _, w := range aws.words {
		words = append(words, map[string]any{"content": w.text, "confidence": 0.93, "pageNumber": 1,
			"boundingBox": map[string]any{"left": w.xMin * dpi, "top": w.yMin * dpi, "right": w.xMax * dpi, "bottom": w.yMax * dpi}})
	}
	picked := pick(aws.words, 6)
	drawn, clicked := picked[1].text, picked[4].text
	s.send("evt_1", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_ocr", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Scans"},
		"files":    []any{map[string]any{"object": "file", "id": "file_scan", "name": "scan.png", "type": "IMG"}},
		"stepRuns": []any{
			map[string]any{"id": "workflow_step_run_p", "status": "PROCESSED", "step": map[string]any{"name": "parse", "type": "PARSE"},
				"result": map[string]any{"parseRun": map[string]any{"object": "parse_run", "id": "pr_ocr", "file": map[string]any{"object": "file", "id": "file_scan"},
					"output": map[string]any{"chunks": []any{}, "ocr": map[string]any{"words": words}}}}},
			map[string]any{"id": "workflow_step_run_e", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
				"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_ocr", "output": map[string]any{
					"value": map[string]any{"reference": "?", "note": "?"}, "metadata": map[string]any{}}}}},
		},
	})
	s.waitRun(c, "workflow_run_ocr")
	png, err := os.ReadFile("testdata/aws-100dpi.png")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_ocr", "file_scan", "scan.png", png)

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_ocr"), chromedp.WaitVisible(chromedp.CSS(".page img")), settled()); err != nil {
		t.Fatal(err)
	}
	// Where a word is on the screen: from its place on the page, as the
	// text layer is hidden until shown.
	word := func(text string) []float64 {
		t.Helper()
		r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
  const b = [...document.querySelectorAll(".page .block")].find((b) => b.dataset.text === `+jsString(text)+`);
  const pages = document.getElementById("pages"), s = b.style;
  let p = b.parentElement.getBoundingClientRect();
  pages.scrollTop += p.top + p.height * parseFloat(s.top) / 100 - (pages.getBoundingClientRect().top + pages.clientHeight / 2); // the word in the middle
  p = b.parentElement.getBoundingClientRect();
  const l = p.left + p.width * parseFloat(s.left) / 100, t = p.top + p.height * parseFloat(s.top) / 100;
  return [l, t, l + p.width * parseFloat(s.width) / 100, t + p.height * parseFloat(s.height) / 100];
})()`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".page .block[title*='93%']").length`)); n != len(aws.words) {
		t.Fatalf("%d OCR words on the page, want %d", n, len(aws.words))
	}
	focusField(t, ctx, "reference")
	press(t, ctx, "d", chromedp.ModifierAlt)
	b := word(drawn)
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, b[0]-2, b[1]-2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (b[0]+b[2])/2, (b[1]+b[3])/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, b[2]+2, b[3]+2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, b[2]+2, b[3]+2, chromedp.ButtonLeft),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="reference"] .ed').value === `+jsString(drawn), "the drawn box did not fill the field with the OCR word")
	waitSaved(t, ctx)

	focusField(t, ctx, "note")
	press(t, ctx, "t", chromedp.ModifierAlt)
	w := word(clicked)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY((w[0]+w[2])/2, (w[1]+w[3])/2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="note"] .ed').value === `+jsString(clicked), "clicking an OCR word did not fill the field")
	waitSaved(t, ctx)
	press(t, ctx, "t", chromedp.ModifierAlt)
	approveByKey(t, ctx, "workflow_run_ocr")
	run := s.apiGet("/api/v1/runs/workflow_run_ocr")
	if r, n := at(t, run, "stepRuns.1.result.extractRun.reviewedOutput.value.reference"), at(t, run, "stepRuns.1.result.extractRun.reviewedOutput.value.note"); r != jsString(drawn) || n != jsString(clicked) {
		t.Fatalf("the API has reference %s and note %s, want %q and %q", r, n, drawn, clicked)
	}
}

// TestTesseractReadsADrawnBox: on a scan that came without words, a box
// drawn around a word is read by Tesseract on the server, and the field
// takes its reading; the approved run carries it.
func TestTesseractReadsADrawnBox(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatal("tesseract is not installed (make test installs Debian's tesseract-ocr): ", err)
	}
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	s.send("evt_1", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_scan", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Scans"},
		"files":    []any{map[string]any{"object": "file", "id": "file_scan", "name": "scan.png", "type": "IMG"}},
		"stepRuns": []any{map[string]any{"id": "workflow_step_run_e", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_scan", "output": map[string]any{
				"value": map[string]any{"title": "?"}, "metadata": map[string]any{}}}}}},
	})
	s.waitRun(c, "workflow_run_scan")
	png, err := os.ReadFile("testdata/aws-100dpi.png")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_scan", "file_scan", "scan.png", png)
	aws := readBBox(t, "testdata/AmazonWebServices.bbox.html")[0]
	var target word
	for _, w := range aws.words {
		if w.text == "Invoice" {
			target = w
			break
		}
	}

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_scan"), chromedp.WaitVisible(chromedp.CSS(".page img")), settled()); err != nil {
		t.Fatal(err)
	}
	focusField(t, ctx, "title")
	press(t, ctx, "d", chromedp.ModifierAlt)
	b, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
  const p = document.querySelector(".page").getBoundingClientRect();
  return [p.left + p.width * %f, p.top + p.height * %f, p.left + p.width * %f, p.top + p.height * %f];
})()`, target.xMin/aws.width, target.yMin/aws.height, target.xMax/aws.width, target.yMax/aws.height)))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, b[0]-4, b[1]-4, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (b[0]+b[2])/2, (b[1]+b[3])/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, b[2]+4, b[3]+4, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, b[2]+4, b[3]+4, chromedp.ButtonLeft),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="title"] .ed').value.toLowerCase().includes("invoice")`, "Tesseract's reading of the box did not fill the field")
	waitSaved(t, ctx)
	approveByKey(t, ctx, "workflow_run_scan")
	if v := at(t, s.apiGet("/api/v1/runs/workflow_run_scan"), "stepRuns.0.result.extractRun.reviewedOutput.value.title"); !strings.Contains(strings.ToLower(v), "invoice") {
		t.Fatalf("the API has title %s", v)
	}
}
