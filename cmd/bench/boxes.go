package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// boxFrames runs step in each of n animation frames of the review page
// (with setup run first, outside them) and answers the frames' lengths and
// the long tasks the browser saw meanwhile. In both scripts v is the viewer,
// el the scroller of pages and i the frame's number.
func boxFrames(n int, setup, step string) string {
	return strings.NewReplacer("SETUP", setup, "STEP", step, "FRAMES", fmt.Sprint(n)).Replace(`new Promise((done) => {
  const v = window.reviewerViewer, el = document.getElementById("pages");
  SETUP;
  const long = [];
  const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
  po.observe({ type: "longtask" });
  const frames = [];
  let i = 0, last = 0;
  function frame(t) {
    if (last) frames.push(t - last);
    last = t;
    STEP;
    if (++i < FRAMES) return requestAnimationFrame(frame);
    setTimeout(() => { po.disconnect(); done({ frames: frames.length, longest: Math.max(...frames), over: frames.filter((d) => d > 50).length, long: long.length, longestTask: Math.max(0, ...long) }); }, 300);
  }
  requestAnimationFrame(frame);
})`)
}

// zoomInOut zooms the first page in to three times its width and out again
// over 60 frames; panAcross, zoomed in three times, pans across it over 120.
var (
	zoomInOut = boxFrames(60, "const base = v.scale", "v.setScale(base * (1 + 2 * Math.sin((i * Math.PI) / 60) ** 2))")
	panAcross = boxFrames(120, "v.setScale(v.scale * 3)", `const a = (i * Math.PI) / 30;
    el.scrollLeft = (el.scrollWidth - el.clientWidth) * (0.5 + 0.5 * Math.sin(a));
    el.scrollTop = (el.clientHeight * 3) * (0.5 + 0.5 * Math.cos(a))`)
)

type panFigures struct {
	Frames      int     `json:"frames"`
	Longest     float64 `json:"longest"`
	Over        int     `json:"over"`
	Long        int     `json:"long"`
	LongestTask float64 `json:"longestTask"`
}

// benchBoxes measures, in Chromium against the real wiring, the frames
// while zooming and panning a page with 2,000 boxes, each phase traced
// apart, with what its longest tasks did.
func benchBoxes(ctx context.Context, log io.Writer) ([]result, error) {
	e, stop, err := tempViewerEnv(ctx, "boxes")
	if err != nil {
		return nil, err
	}
	defer stop()
	bctx, cancel, err := newBrowser(ctx, e.url)
	if err != nil {
		return nil, err
	}
	defer cancel()
	boxes, err := loadBoxesRun(ctx, e)
	if err != nil {
		return nil, err
	}
	if _, err := paintAfter(bctx, e.url+"/runs/"+boxes); err != nil {
		return nil, err
	}
	var all panFigures
	var cpu, longest float64
	var over50 int
	var why []string
	for _, phase := range []struct{ name, script string }{{"zoomed in and out (60 frames)", zoomInOut}, {"panned zoomed in (120 frames)", panAcross}} {
		p, tr, err := traced[panFigures](bctx, phase.script)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "2,000 boxes %s: longest frame %.0f ms, %d over 50 ms; %d long tasks (longest %.0f ms); load %s\n", phase.name, p.Longest, p.Over, p.Long, p.LongestTask, loadAverage())
		fmt.Fprintf(log, "  trace of the main thread: %d tasks, %.0f ms of its own time, longest %.0f ms, %d over 50 ms; raster threads %.0f ms; %s\n", tr.Tasks, tr.CPU, tr.Longest, tr.Over50, tr.Raster, tr.top(8))
		for _, t := range tr.LongTasks {
			fmt.Fprintf(log, "  a task of %.0f ms (own %.0f ms): %s\n", t.Longest, t.CPU, t.top(6))
		}
		all.Frames += p.Frames
		all.Longest = max(all.Longest, p.Longest)
		all.Over += p.Over
		cpu += tr.CPU
		longest = max(longest, tr.Longest)
		over50 += tr.Over50
		why = append(why, fmt.Sprintf("%s: %s", strings.SplitN(phase.name, " (", 2)[0], tr.top(3)))
	}
	return []result{{
		Name:  "Chromium: a page with 2,000 boxes zoomed in and out (60 frames) then panned zoomed in (120 frames): longest frame, frames over 50 ms; in the trace, the main thread's longest task, tasks over 50 ms, its own time",
		Value: fmt.Sprintf("%.0f ms, %d; %.0f ms, %d, %.0f ms; load average %s", all.Longest, all.Over, longest, over50, cpu, loadAverage()), Goal: "no frame over 50 ms",
		Met: meets(all.Over == 0),
		Why: fmt.Sprintf("The main thread's trace, %s.", strings.Join(why, "; ")),
	}}, nil
}

// loadBoxesRun ingests a run of 200 fields with 10 references each, all on
// the first page of a 3-page PDF: 2,000 boxes on one page.
func loadBoxesRun(ctx context.Context, e *viewerEnv) (string, error) {
	return loadCited(ctx, e, "workflow_run_bench_boxes", "file_bench_boxes", manyPagePDFOf(3, "boxes"), 200, func(i, j int) (x, y, w, h float64) {
		return 20 + float64(j)*58, 20 + float64(i)*3.8, 50, 3
	})
}
