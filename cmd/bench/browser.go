package main

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// firstPaint returns when, in milliseconds since navigation, the browser
// painted the first page image: its Largest Contentful Paint entry for that
// image (the browser's own record, buffered, so reading it after the load
// event still gives the paint time).
const firstPaint = `new Promise((done, fail) => {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.element && e.element.matches(".page > img")) return done(e.renderTime || e.startTime);
  }).observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => fail(new Error("no paint of a page image recorded")), 10000);
})`

// browserFirstPaint opens a review page in Debian's Chromium and returns
// the time from navigation to the first page image painted: the first visit
// (page rendered by the server) and later visits (image from the browser's
// cache, as the immutable page URLs allow).
func browserFirstPaint(ctx context.Context, e *viewerEnv, runID string) (first time.Duration, again []time.Duration, err error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return 0, nil, fmt.Errorf("chromium is needed for the browser figures (make bench installs it): %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelT()
	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "bench@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long enough password"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".topbar nav")),
	); err != nil {
		return 0, nil, err
	}
	for i := range 11 {
		if err := chromedp.Do(bctx, chromedp.Navigate(e.url+"/runs/"+runID)); err != nil {
			return 0, nil, err
		}
		ms, err := chromedp.Run(bctx, chromedp.Evaluate[float64](firstPaint, chromedp.EvalAwaitPromise))
		if err != nil {
			return 0, nil, err
		}
		d := time.Duration(ms * float64(time.Millisecond))
		if i == 0 {
			first = d
		} else {
			again = append(again, d)
		}
	}
	return first, again, nil
}
