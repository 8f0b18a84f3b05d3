package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// firstPageVisits is how many fresh documents of each length are opened:
// each visit is a first one (a document never shown, the browser's cache
// off).
const firstPageVisits = 3

// tracedVisits is how many more fresh visits are traced for the main
// thread's own time until the paint.
const tracedVisits = 2

// scrollThrough scrolls the document from its first page to its last in
// 300 animation frames (one a page) and answers the long tasks seen
// meanwhile (the browser's own record) and the longest frame.
const scrollThrough = `new Promise((done) => {
  const long = [];
  const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
  po.observe({ type: "longtask" });
  const el = document.getElementById("pages");
  const end = el.scrollHeight - el.clientHeight, steps = 300;
  let i = 0, last = 0, worst = 0;
  function frame(t) {
    if (last) worst = Math.max(worst, t - last);
    last = t;
    el.scrollTop = (end * ++i) / steps;
    if (i < steps) return requestAnimationFrame(frame);
    setTimeout(() => { po.disconnect(); done({ long: long.length, longest: Math.max(0, ...long), frame: worst }); }, 500);
  }
  requestAnimationFrame(frame);
})`

type scrollFigures struct {
	Long    int     `json:"long"`
	Longest float64 `json:"longest"`
	Frame   float64 `json:"frame"`
}

// benchFirstPage measures, in Chromium against the real wiring, navigation
// to the first page image painted for fresh 300- and 1,000-page PDFs, beside
// a bare HTML page holding only that page's image from the same server; the
// long tasks while scrolling through 300 pages.
func benchFirstPage(ctx context.Context, log io.Writer) ([]result, error) {
	e, stop, err := tempViewerEnv(ctx, "firstpage")
	if err != nil {
		return nil, err
	}
	defer stop()
	// The product's handler, and beside it the bare page: one image.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bench/bare", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>bare</title><img class="bare" alt="" src="%s">`, html.EscapeString(r.URL.Query().Get("src")))
	})
	mux.Handle("/", e.handler)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	bctx, cancel, err := newBrowser(ctx, srv.URL)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		return nil, err
	}
	if _, err := chromedp.Call(bctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return nil, err
	}
	var rs []result
	var scrollRun string
	for _, n := range []int{300, 1000} {
		var product, bare []time.Duration
		var size int
		for i := range firstPageVisits {
			id := fmt.Sprintf("bench_first_%d_%d", n, i)
			runID, err := loadBigRunOn(ctx, e, "workflow_run_"+id, "file_"+id, manyPagePDFOf(n, id))
			if err != nil {
				return nil, err
			}
			scrollRun = runID
			_, rec := e.get("/runs/" + runID)
			size = rec.Body.Len()
			d, err := paintAfter(bctx, srv.URL+"/runs/"+runID)
			if err != nil {
				return nil, fmt.Errorf("%d pages: %w", n, err)
			}
			product = append(product, d)
			steps, err := chromedp.Run(bctx, chromedp.Evaluate[string](paintSteps))
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "  %d pages, visit %d: painted %s: %s\n", n, i+1, ms(d), steps)
			src, ok := firstImage(rec.Body.String())
			if !ok {
				return nil, fmt.Errorf("%d pages: no page image on the review page", n)
			}
			if d, err = paintAfter(bctx, srv.URL+"/bench/bare?src="+src); err != nil {
				return nil, fmt.Errorf("%d pages, bare: %w", n, err)
			}
			bare = append(bare, d)
		}
		// More fresh visits, traced (not counted: tracing slows them), say
		// what the main thread did before the paint, in its own time, which
		// a loaded machine changes less than the wall clock.
		var cpu []time.Duration
		for i := range tracedVisits {
			id := fmt.Sprintf("bench_first_%d_traced_%d", n, i)
			runID, err := loadBigRunOn(ctx, e, "workflow_run_"+id, "file_"+id, manyPagePDFOf(n, id))
			if err != nil {
				return nil, err
			}
			var d time.Duration
			tr, err := tracing(bctx, func(ctx context.Context, tg *chromedp.Target) (err error) {
				d, err = paintAfter(ctx, srv.URL+"/runs/"+runID)
				return err
			})
			if err != nil {
				return nil, err
			}
			before := tr.ImagePainted
			if before == nil {
				return nil, fmt.Errorf("%d pages: the trace holds no paint of the first page image", n)
			}
			cpu = append(cpu, time.Duration(before.CPU*float64(time.Millisecond)))
			fmt.Fprintf(log, "  %d pages, traced visit %d: painted %s; main thread until then: %d tasks, %.0f ms of its own time, longest task %.0f ms; %s\n", n, i+1, ms(d), before.Tasks, before.CPU, before.Longest, before.top(6))
		}
		goal, limit := "< 150 ms", 150*time.Millisecond
		if n == 1000 {
			goal, limit = "< 300 ms", 300*time.Millisecond
		}
		fmt.Fprintf(log, "%d pages: first page painted p50 %s (max %s), bare image p50 %s; main thread's own time until painted p50 %s; review page %d KB; load %s\n",
			n, ms(percentile(product, 50)), ms(percentile(product, 100)), ms(percentile(bare, 50)), ms(percentile(cpu, 50)), size/1000, loadAverage())
		rs = append(rs, result{
			Name:     fmt.Sprintf("Chromium: navigation to the first page image painted, fresh %d-page PDF (50 fields, 500 boxes), first visit, p50 (max) of %d; review page %d KB", n, firstPageVisits, size/1000),
			Value:    fmt.Sprintf("%s (%s); main thread's own time until painted, traced, p50 of %d: %s; load average %s", ms(percentile(product, 50)), ms(percentile(product, 100)), tracedVisits, ms(percentile(cpu, 50)), loadAverage()),
			Baseline: fmt.Sprintf("%s p50: a bare page of that one image, same server", ms(percentile(bare, 50))), Goal: goal,
			Ratio: ratio(float64(percentile(product, 50)), float64(percentile(bare, 50))) + " (p50s)", Met: meets(percentile(product, 50) < limit),
			Why: fmt.Sprintf("The same image on a bare page took %s (p50) in this pass: what is over it is the review page's own work (the main thread's own time until the paint is beside the figure; the steps of each visit are in the bench's log).", ms(percentile(bare, 50))),
		})
		if n == 300 {
			var s scrollFigures
			if _, err := paintAfter(bctx, srv.URL+"/runs/"+scrollRun); err != nil {
				return nil, err
			}
			var tr mainThreadTrace
			if s, tr, err = traced[scrollFigures](bctx, scrollThrough); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "scrolling 300 pages in 300 frames: %d long tasks, longest %.0f ms, longest frame %.0f ms; load %s\n", s.Long, s.Longest, s.Frame, loadAverage())
			fmt.Fprintf(log, "  trace of the main thread: %d tasks, %.0f ms of its own time, longest %.0f ms, %d over 50 ms; %s\n", tr.Tasks, tr.CPU, tr.Longest, tr.Over50, tr.top(8))
			rs = append(rs, result{
				Name:  "Chromium: scrolling a 300-page PDF from first page to last in 300 frames: long tasks (longest), longest frame; the main thread's own time in the trace",
				Value: fmt.Sprintf("%d (%.0f ms), %.0f ms; %.0f ms; load average %s", s.Long, s.Longest, s.Frame, tr.CPU, loadAverage()), Goal: "no long task over 50 ms",
				Met: meets(s.Longest <= 50),
				Why: fmt.Sprintf("The main thread's trace of the scroll, in the bench's log: %d tasks, longest %.0f ms, %d over 50 ms; %s.", tr.Tasks, tr.Longest, tr.Over50, tr.top(4)),
			})
		}
	}
	return rs, nil
}

// tempViewerEnv is a viewerEnv on a temporary directory named for the
// benchmark; stop ends it and removes the directory.
func tempViewerEnv(ctx context.Context, name string) (*viewerEnv, func(), error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-"+name+"-")
	if err != nil {
		return nil, nil, err
	}
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return e, func() { e.close(); os.RemoveAll(dir) }, nil
}

// firstImage is the src of the first page image on a review page.
func firstImage(page string) (string, bool) {
	_, rest, ok := strings.Cut(page, `<div class="page`)
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, ` src="`)
	if !ok {
		return "", false
	}
	src, _, ok := strings.Cut(rest, `"`)
	return html.UnescapeString(src), ok
}
