package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/review"
)

// TestPageTooComplexSaysWhy: a PDF whose page PDFium cannot draw within its
// bounds (a Flate bomb; its size is read fine when it arrives) shows, in
// the page's place, the sentence saying why, not a broken image.
func TestPageTooComplexSaysWhy(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("sup@example.com", review.RoleSupervisor)
	c := s.client("sup@example.com")
	s.send("evt_bomb", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_bomb", "status": "NEEDS_REVIEW",
		"files": []any{map[string]any{"id": "file_bomb", "name": "bomb.pdf", "type": "PDF"}},
		"outputs": []any{map[string]any{"object": "document_processor_run", "id": "dpr_bomb", "type": "EXTRACT",
			"output": map[string]any{"total": map[string]any{"type": "number", "value": 1, "confidence": 0.5}}}},
	})
	s.waitRun(c, "workflow_run_bomb")
	s.upload(c, "workflow_run_bomb", "file_bomb", "bomb.pdf", hostile.FlateBomb())

	ctx := browser(t)
	signIn(t, ctx, s.base, "sup@example.com")
	// PDFium takes its time to run out of memory: the wait ends when the
	// sentence shows, within the browser context's ceiling.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/runs/workflow_run_bomb"),
		chromedp.WaitVisible(chromedp.CSS(`.page[data-page="1"] .page-missing[role="status"]`)),
	); err != nil {
		t.Fatalf("the page never said why it cannot be shown: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.page[data-page="1"] .page-missing`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "too complex to show") {
		t.Fatalf("the page says %q", text)
	}
	broken, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.page > img[data-failed]').length`))
	if err != nil || broken != 0 {
		t.Fatalf("a broken image stayed: %d %v", broken, err)
	}
}
