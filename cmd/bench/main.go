// Command bench measures reviewer's speed goals, each beside a raw baseline
// measured in the same run, and writes the figures to BENCHMARKS.md.
//
//	go run ./cmd/bench            # every benchmark, writes BENCHMARKS.md
//	go run ./cmd/bench -only ingest -out -
//	go run ./cmd/bench -only ack -out - -cpuprofile cpu.out # the closed loop alone, to profile
//	go run ./cmd/bench -only starvation -out -
//	go run ./cmd/bench -only ingest -long -out -   # 3,000 events/s for 60 s
//	go run ./cmd/bench -only dashboard -long -out - # 1,000,000 waiting runs
//	go run ./cmd/bench -only accuracy -long -out - # the accuracy page at 100,000 decided runs
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/pages"
)

// result is one measured figure beside its baseline and goal.
type result struct {
	Name     string
	Value    string
	Baseline string
	Goal     string
}

type benchmark struct {
	name string
	run  func(ctx context.Context, log io.Writer) ([]result, error)
}

func main() {
	only := flag.String("only", "", "run only the benchmark with this name")
	out := flag.String("out", "BENCHMARKS.md", "where to write the report (- for standard output)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	mutexprofile := flag.String("mutexprofile", "", "write a mutex contention profile here")
	blockprofile := flag.String("blockprofile", "", "write a profile of where goroutines blocked here")
	neighbour := flag.Bool("neighbour", false, "run beside a CPU neighbour (a busy process on one core) and append the report")
	long := flag.Bool("long", false, "the long variants: ingest sustained at 3,000 events/s for 60 s, the dashboard at 1,000,000 waiting runs, the accuracy page at 100,000 decided runs")
	flag.Parse()
	if *long {
		sustained = longLoad
		dashboardRuns = 1_000_000
		accuracyRuns = 100_000
	}
	if *neighbour {
		busy := exec.Command("sh", "-c", "while :; do :; done")
		if err := busy.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer busy.Process.Kill()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for _, p := range []struct{ name, path string }{{"mutex", *mutexprofile}, {"block", *blockprofile}} {
		if p.path == "" {
			continue
		}
		if p.name == "mutex" {
			runtime.SetMutexProfileFraction(1)
		} else {
			runtime.SetBlockProfileRate(int(time.Millisecond / 10)) // blocking of 100 µs and more
		}
		defer func() {
			f, err := os.Create(p.path)
			if err == nil {
				err = errors.Join(pprof.Lookup(p.name).WriteTo(f, 0), f.Close())
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}()
	}
	benches := []benchmark{
		{"ingest", benchIngest},
		{"ack", benchAck},
		{"ack-postgres", benchAckPostgres},
		{"ingest-postgres", benchIngestPostgres},
		{"viewer", benchViewer},
		{"word", benchWord},
		{"firstpage", benchFirstPage},
		{"bigrun", benchBigRun},
		{"dashboard", benchDashboard},
		{"dashboard-postgres", benchDashboardPostgres},
		{"live", benchLive},
		{"hardening", benchHardening},
		{"starvation", benchStarvation},
		{"decoding", benchDecoding},
		{"rules", benchRules},
		{"postgres", benchPostgres},
		{"accuracy", benchAccuracy},
	}
	ctx := context.Background()
	var all []result
	for _, b := range benches {
		if *only != "" && b.name != *only || *only == "" && strings.HasPrefix(b.name, "ack") { // parts of ingest and postgres, run alone to profile
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", b.name)
		rs, err := b.run(ctx, os.Stderr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.name, err)
			os.Exit(1)
		}
		all = append(all, rs...)
	}
	report := render(all, *neighbour)
	if *out == "-" {
		fmt.Print(report)
		return
	}
	defer fmt.Print(report)
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if *neighbour {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(*out, flags, 0o644)
	if err == nil {
		_, err = f.WriteString(report)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func render(rs []result, neighbour bool) string {
	var b strings.Builder
	host, _ := os.Hostname()
	if neighbour {
		fmt.Fprintf(&b, "\n## With a CPU neighbour\n\nThe same, beside a busy process that keeps one core spinning (`go run ./cmd/bench -neighbour`).\n")
	} else {
		fmt.Fprintf(&b, "# reviewer benchmarks\n\nQuiet machine first, then the same beside a CPU neighbour.\n")
	}
	fmt.Fprintf(&b, "Measured %s on %s (%s/%s, %d CPUs, %s) with `make bench`.\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Each figure stands beside a baseline measured in the same run.\n\n")
	fmt.Fprintf(&b, "| what | measured | baseline (same run) | goal |\n|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Name, r.Value, r.Baseline, r.Goal)
	}
	return b.String()
}

// percentile returns the p-th percentile (0..100) of durations.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// start runs a reviewer on dir (and db: "" for SQLite under dir) through
// the one wiring, every worker running, on a free loopback port, until stop
// is called.
func start(ctx context.Context, dir, db string) (in *instance.Instance, stop func(), err error) {
	return startWith(ctx, instance.Config{Data: dir, DB: db, ExtendURL: "http://127.0.0.1:1"})
}

// startPDFium has r read a one-page PDF.
func startPDFium(ctx context.Context, r *pages.Renderer, dir string) error {
	pdf := manyPagePDF(1)
	sum := sha256.Sum256(pdf)
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(dir, "pdfium-start-"+hash)
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		return err
	}
	_, _, err := r.Inspect(ctx, hash, file)
	return err
}
