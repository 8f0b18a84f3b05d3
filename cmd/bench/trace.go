package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/chromedp/cdproto/cdp"
	cdpio "github.com/chromedp/cdproto/io"
	tracingapi "github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// traceDir is where the Chromium traces are kept (-traces); none if empty.
var traceDir string

// traceCount numbers the traces kept.
var traceCount atomic.Int64

// mainThreadTrace is what a Chromium trace says of the page's main thread
// while a script ran: its tasks (a frame's work is one), and where their
// time went by trace event.
type mainThreadTrace struct {
	Tasks   int     // tasks run
	Longest float64 // the longest, in ms
	Over50  int     // tasks over 50 ms
	CPU     float64 // the main thread's own time in its tasks, in ms: wall time less the waits for a core

	// ImagePainted is the same from the start until the largest image on
	// the page was first painted, if it was.
	ImagePainted *mainThreadTrace
	ByEvent      map[string]float64 // the thread's own ms in each named event (nested ones counted in each)

	// LongTasks are the longest tasks (at most longTasksKept), each with
	// its own length as Longest and its events in ByEvent.
	LongTasks []mainThreadTrace
	// Raster is the own time of the raster threads' tasks (tiles drawn
	// off the main thread, as a zoom or a pan asks).
	Raster float64
}

// longTasksKept is how many of the longest tasks a trace keeps apart: the
// frames over a goal are a handful, and each says what made it long.
const longTasksKept = 3

// top names the n events that took most of the main thread's time.
func (t mainThreadTrace) top(n int) string {
	names := make([]string, 0, len(t.ByEvent))
	for k := range t.ByEvent {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return t.ByEvent[names[i]] > t.ByEvent[names[j]] })
	var b strings.Builder
	for i, k := range names[:min(n, len(names))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.0f ms", k, t.ByEvent[k])
	}
	return b.String()
}

// traced runs script (a promise) in the page with Chromium tracing on and
// returns its answer and what the trace says of the renderer's main thread.
func traced[T any](bctx context.Context, script string) (T, mainThreadTrace, error) {
	var out T
	tr, err := tracing(bctx, func(ctx context.Context, tg *chromedp.Target) (err error) {
		out, err = chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise)(ctx, tg)
		return err
	})
	return out, tr, err
}

// tracing runs do with Chromium tracing on and returns what the trace says
// of the renderer's main thread meanwhile.
func tracing(bctx context.Context, do func(ctx context.Context, tg *chromedp.Target) error) (mainThreadTrace, error) {
	var tr mainThreadTrace
	err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		complete := cdp.Events(ctx, tg, tracingapi.TracingComplete)
		if _, err := cdp.Call(ctx, tg, tracingapi.Start, tracingapi.StartParams{
			TransferMode: tracingapi.StartTransferModeReturnAsStream, StreamFormat: tracingapi.StreamFormatJSON,
			TraceConfig: &tracingapi.TraceConfig{IncludedCategories: []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel"}},
		}); err != nil {
			return err
		}
		if err := do(ctx, tg); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, tracingapi.End, cdp.Empty{}); err != nil {
			return err
		}
		for ev, err := range complete {
			if err != nil {
				return err
			}
			var data bytes.Buffer
			for {
				r, err := cdp.Call(ctx, tg, cdpio.Read, cdpio.ReadParams{Handle: ev.Stream})
				if err != nil {
					return err
				}
				data.Write(r.Data)
				if r.EOF {
					break
				}
			}
			cdp.Call(ctx, tg, cdpio.Close, cdpio.CloseParams{Handle: ev.Stream})
			if traceDir != "" {
				name := filepath.Join(traceDir, fmt.Sprintf("trace-%02d.json", traceCount.Add(1)))
				if err := os.WriteFile(name, data.Bytes(), 0o644); err != nil {
					return err
				}
			}
			tr, err = mainThread(data.Bytes())
			return err
		}
		return fmt.Errorf("the trace never completed")
	}))
	return tr, err
}

// mainThread reads a JSON trace for the renderer's main threads.
func mainThread(data []byte) (mainThreadTrace, error) {
	var trace struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Ts   float64 `json:"ts"`
			Dur  float64 `json:"dur"`
			TDur float64 `json:"tdur"`
			Pid  int64   `json:"pid"`
			Tid  int64   `json:"tid"`
			Args struct {
				Name string `json:"name"`
				Data struct {
					Type string `json:"type"`
				} `json:"data"`
			} `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &trace); err != nil {
		return mainThreadTrace{}, fmt.Errorf("reading the trace: %w", err)
	}
	type thread struct{ pid, tid int64 }
	main := map[thread]bool{}
	for _, e := range trace.TraceEvents {
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[thread{e.Pid, e.Tid}] = true
		}
	}
	// A task is traced as RunTask with ThreadControllerImpl::RunTask inside
	// it, or either alone: count only tasks not inside another.
	events := trace.TraceEvents
	sort.SliceStable(events, func(i, j int) bool { return events[i].Ts < events[j].Ts })
	taskEnd := map[thread]float64{}
	tr := mainThreadTrace{ByEvent: map[string]float64{}}
	var tasks []mainThreadTrace
	inTask := map[thread]int{} // each thread's task now, in tasks
	for _, e := range events {
		th := thread{e.Pid, e.Tid}
		if e.Ph == "X" && e.Name == "RasterTask" {
			tr.Raster += e.TDur / 1000
		}
		if e.Name == "largestContentfulPaint::Candidate" && e.Args.Data.Type == "image" && tr.ImagePainted == nil {
			tr.ImagePainted = &mainThreadTrace{Tasks: tr.Tasks, Longest: tr.Longest, Over50: tr.Over50, CPU: tr.CPU, ByEvent: maps.Clone(tr.ByEvent)}
		}
		if e.Ph != "X" || !main[th] {
			continue
		}
		d := e.Dur / 1000
		if e.Name == "RunTask" || e.Name == "ThreadControllerImpl::RunTask" {
			if e.Ts < taskEnd[th] {
				continue
			}
			taskEnd[th] = e.Ts + e.Dur
			tr.Tasks++
			tr.CPU += e.TDur / 1000
			inTask[th] = len(tasks)
			tasks = append(tasks, mainThreadTrace{Tasks: 1, Longest: d, CPU: e.TDur / 1000, ByEvent: map[string]float64{}})
			tr.Longest = max(tr.Longest, d)
			if d > 50 {
				tr.Over50++
			}
			continue
		}
		tr.ByEvent[e.Name] += e.TDur / 1000
		if i, ok := inTask[th]; ok && e.Ts < taskEnd[th] {
			tasks[i].ByEvent[e.Name] += e.TDur / 1000
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Longest > tasks[j].Longest })
	tr.LongTasks = tasks[:min(longTasksKept, len(tasks))]
	return tr, nil
}
