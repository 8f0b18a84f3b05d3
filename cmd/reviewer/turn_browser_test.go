package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/review"
)

// TestTurnKeepsBoxesOnWords: the sideways NICS table is turned a quarter
// with the key O, as a reviewer reads it; every box stays on its word
// (compared with pdftotext's word boxes, turned, and with the ink of the
// turned image under it), in the page as turned now and after a reload,
// for everyone; four turns bring it back.
func TestTurnKeepsBoxesOnWords(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	c := s.client("ana@example.com")
	const name = "nics-background-checks-2015-11-rotated"
	p := readBBox(t, "testdata/"+name+".bbox.html")[0]
	pw, ph := displayed(p, 90)
	value, metadata := map[string]any{}, map[string]any{}
	want := map[string]review.Rect{}
	for wi, w := range pick(p.words, 8) {
		key := fmt.Sprintf("w%d", wi)
		value[key] = w.text
		metadata[key] = map[string]any{"ocrConfidence": 0.9, "citations": []any{map[string]any{
			"fileId": "file_nics", "page": map[string]any{"number": 1, "width": p.width, "height": p.height}, "polygon": poly(w), "referenceText": w.text,
		}}}
		want[key] = frac(w, pw, ph)
	}
	s.send("evt_turn", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_turn", "status": "NEEDS_REVIEW", "workflow": map[string]any{"id": "workflow_t", "name": "Turned"},
		"files": []any{map[string]any{"object": "file", "id": "file_nics", "name": name + ".pdf", "type": "PDF", "metadata": map[string]any{"pageCount": 1}}},
		"stepRuns": []any{map[string]any{"id": "workflow_step_run_1", "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_turn", "output": map[string]any{"value": value, "metadata": metadata}}}}},
	})
	s.waitRun(c, "workflow_run_turn")
	b, err := os.ReadFile("testdata/" + name + ".pdf")
	if err != nil {
		t.Fatal(err)
	}
	s.upload(c, "workflow_run_turn", "file_nics", name+".pdf", b)

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	drawn := false
	open := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_turn"), chromedp.WaitVisible(chromedp.CSS(".page img")), settled(), chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
			t.Fatal(err)
		}
	}
	check := func(turn int, when string) {
		t.Helper()
		boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]measured](measureJS(1), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if len(boxes) != len(want) {
			t.Fatalf("%s: %d boxes, want %d", when, len(boxes), len(want))
		}
		for _, m := range boxes {
			w := want[m.Field].Turned(turn)
			if m.Field == "w0" && drawn {
				w = want["w1"].Turned(turn) // drawn over w1's word
			}
			if d := maxDiff(m.Rect, w); d > 0.005 {
				t.Errorf("%s: %s at %+v, its word turned %d° at %+v: off by %.2f%% of the page", when, m.Field, m.Rect, turn, w, d*100)
			}
			if m.Ink < 0.02 {
				t.Errorf("%s: %s has %.1f%% dark pixels under it: it is not on its word", when, m.Field, m.Ink*100)
			}
		}
	}
	open()
	check(0, "as it came")
	press(t, ctx, "o")
	waitFor(t, ctx, `document.querySelector(".page").dataset.turn === "90" && [...document.querySelectorAll(".page > img")].every((i) => i.complete && i.currentSrc.includes("turn=90"))`, "the key O did not turn the page")
	check(90, "turned by the key")
	open()
	check(90, "after a reload")

	// A box drawn on the turned page, over w1's word, for w0: kept where
	// it was drawn, in the document's own frame (checked turned back below).
	focusField(t, ctx, "w0")
	corners, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const b = document.querySelector('.box[data-ref-field="w1"]'); b.scrollIntoView({ block: "center" }); const r = b.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "d", chromedp.ModifierAlt)
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, corners[0], corners[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (corners[0]+corners[2])/2, (corners[1]+corners[3])/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, corners[2], corners[3], chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, corners[2], corners[3], chromedp.ButtonLeft),
	); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, ctx)
	drawn = true
	open()
	check(90, "a box drawn on the turned page, after a reload")
	for range 3 {
		press(t, ctx, "o")
	}
	waitFor(t, ctx, `document.querySelector(".page").dataset.turn === "0"`, "four turns did not bring the page back")
	open()
	check(0, "turned back")
}
