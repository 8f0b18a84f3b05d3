package main

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
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

// TestBusyServerIsAskedAgain: a page the server answers 503 for (drawing it
// ran out of time on a busy machine) is asked for again, with growing
// pauses, and shows once the server answers (the real server, on a machine
// busy with other tests, may itself answer 503 once more: any number of
// tries that ends in the page shown will do); a page that stays 503 says
// the server's sentence in its place after the last try. The browser's
// requests for page images are answered by the test (the DevTools fetch
// domain), so the server's business is the test's to choose.
func TestBusyServerIsAskedAgain(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")

	const busy = `{"error":{"code":"unavailable","message":"Drawing this page took longer than 10s; the server may be busy. Try again."}}`
	image := regexp.MustCompile(`/pages/[^/]+/([0-9]+)(\?|$)`)
	var mu sync.Mutex
	asked := map[string]int{} // requests for each page's large image
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		paused := cdp.Events(ctx, tg, fetch.RequestPaused)
		go func() {
			for ev, err := range paused {
				if err != nil {
					return
				}
				m := image.FindStringSubmatch(ev.Request.URL)
				mu.Lock()
				n := 0
				if m != nil && !strings.Contains(ev.Request.URL, "w=240") { // thumbnails pass
					asked[m[1]]++
					n = asked[m[1]]
				}
				mu.Unlock()
				// Page 1: busy for the image and the viewer's first question, then drawn.
				// Page 2: busy whatever is asked.
				if (m != nil && m[1] == "1" && n >= 1 && n <= 2) || (m != nil && m[1] == "2" && n >= 1) {
					cdp.Call(ctx, tg, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: 503,
						ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(busy)})
					continue
				}
				cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			}
		}()
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/pages/*"}}})
		return err
	}), chromedp.Navigate(s.base+"/runs/"+runFiber))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `(() => { const i = document.querySelector('.page[data-page="1"] img'); return !!i && i.complete && i.naturalWidth > 0 && +i.dataset.tries >= 1; })()`,
		"page 1 was not asked for again and shown")
	waitFor(t, ctx, `document.querySelector('.page[data-page="2"] .page-missing[role="status"]')?.textContent.includes("the server may be busy")`,
		"page 2 does not say the server is busy after the last try")
	mu.Lock()
	defer mu.Unlock()
	if asked["2"] < 8 { // the image and the viewer's question, four times
		t.Fatalf("page 2 was asked for %d times, want 8 or more", asked["2"])
	}
}
