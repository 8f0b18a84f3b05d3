package main

import (
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
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
