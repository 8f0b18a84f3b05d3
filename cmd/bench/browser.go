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
    for (const e of list.getEntries()) if (e.element && e.element.matches(".page > img, .bare")) return done(e.renderTime || e.startTime);
  }).observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => fail(new Error("no paint of a page image recorded")), 10000);
})`

// paintSteps says where the time to the first page image went, in ms
// since navigation: the page's answer began and ended, the first page
// image was asked for and came, and the page's scripts had run.
const paintSteps = `(() => {
  const n = performance.getEntriesByType("navigation")[0];
  const img = document.querySelector(".page > img, .bare");
  const r = img && performance.getEntriesByName(img.currentSrc)[0];
  const f = (x) => Math.round(x || 0);
  return "html " + f(n.responseStart) + "-" + f(n.responseEnd) + ", image " + f(r?.startTime) + "-" + f(r?.responseEnd) + ", scripts done " + f(n.domContentLoadedEventEnd);
})()`

// newBrowser starts Debian's Chromium signed in to the reviewer at url as
// bench@example.com; cancel stops it.
func newBrowser(ctx context.Context, url string) (bctx context.Context, cancel func(), err error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, nil, fmt.Errorf("chromium is needed for the browser figures (make bench installs it): %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	bctx, cancelT := context.WithTimeout(bctx, 10*time.Minute)
	cancel = func() { cancelT(); cancelB(); cancelA() }
	if err := chromedp.Do(bctx,
		chromedp.Navigate(url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "bench@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long enough password"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".topbar nav")),
	); err != nil {
		cancel()
		return nil, nil, err
	}
	return bctx, cancel, nil
}

// paintAfter navigates to url and returns the time from navigation to the
// first page image painted.
func paintAfter(bctx context.Context, url string) (time.Duration, error) {
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return 0, err
	}
	ms, err := chromedp.Run(bctx, chromedp.Evaluate[float64](firstPaint, chromedp.EvalAwaitPromise))
	return time.Duration(ms * float64(time.Millisecond)), err
}

// browserFirstPaint opens a review page in Debian's Chromium and returns
// the time from navigation to the first page image painted: the first visit
// (page rendered by the server) and later visits (image from the browser's
// cache, as the immutable page URLs allow).
func browserFirstPaint(ctx context.Context, e *viewerEnv, runID string) (first time.Duration, again []time.Duration, err error) {
	bctx, cancel, err := newBrowser(ctx, e.url)
	if err != nil {
		return 0, nil, err
	}
	defer cancel()
	for i := range 11 {
		d, err := paintAfter(bctx, e.url+"/runs/"+runID)
		if err != nil {
			return 0, nil, err
		}
		if i == 0 {
			first = d
		} else {
			again = append(again, d)
		}
	}
	return first, again, nil
}
