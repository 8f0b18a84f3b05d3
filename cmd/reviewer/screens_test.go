package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/review"
)

// TestScreens takes the README's screenshots from the running demo, so they
// never go stale: `make screenshots` writes them to docs/. Every run checks
// that the pages render.
func TestScreens(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("ana@example.com", review.RoleSupervisor)
	c := s.client("ana@example.com")
	// Some history for the dashboard: one corrected and approved run.
	s.waitRun(c, "workflow_run_demo_qh_2025")
	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	shots := map[string]string{}
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/runs/workflow_run_demo_qh_2025"),
		chromedp.WaitVisible(chromedp.CSS(ed("payment_method"))),
		settled(),
		chromedp.Focus(chromedp.CSS(ed("total"))),
		chromedp.Sleep(800e6),
	)
	if err != nil {
		t.Fatal(err)
	}
	review1, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	shots["review-page.png"] = string(review1)
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(ed("payment_method")), "CARD"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.field[data-path="payment_method"] .ed').dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitSaved(t, ctx)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-action="approve"]`)),
		// The next run is the first due: the demo's mailroom packet, late.
		chromedp.WaitVisible(chromedp.CSS(`body[data-run-id="workflow_run_demo_packet_2026"]`)),
		chromedp.Navigate(s.base+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(".chart")),
	)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	shots["dashboard.png"] = string(dash)
	for name, png := range shots {
		if len(png) < 10_000 {
			t.Fatalf("%s is only %d bytes", name, len(png))
		}
		if dir := os.Getenv("REVIEWER_SCREENSHOTS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(png), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
