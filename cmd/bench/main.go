// Command bench measures reviewer's speed goals, each beside a raw baseline
// measured in the same run, and writes the figures to BENCHMARKS.md.
//
//	go run ./cmd/bench -neighbour 0,1,2  # make bench: every benchmark quiet, then beside one and two CPU-bound neighbours
//	go run ./cmd/bench            # every benchmark once, quiet; writes the top of BENCHMARKS.md
//	go run ./cmd/bench -only ingest -out -
//	go run ./cmd/bench -only ack -out - -cpuprofile cpu.out # the closed loop alone, to profile
//	go run ./cmd/bench -only starvation -out -
//	go run ./cmd/bench -only ingest -long -out -   # 3,000 events/s for 60 s
//	go run ./cmd/bench -only dashboard -long -out - # 1,000,000 waiting runs (dashboard-postgres: on PostgreSQL)
//	go run ./cmd/bench -only dashboard-postgres -long -pg-db URL -out - # the same, on a database kept filled
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
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
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
	// Ratio is the figure over its baseline where both are of one unit
	// ("0.84×"); empty where there is none.
	Ratio string
	// Met says whether the figure reached its goal in this pass.
	Met verdict
	// Why is what profiling found a missed goal waits on; written beside
	// the figure when it misses.
	Why string
	// Item is the item the figure answers; empty: its benchmark's.
	Item string
}

// verdict is whether a figure reached its goal.
type verdict int8

const (
	noGoal verdict = iota // no goal, or none in this pass
	met
	missed
	// unjudged: this machine cannot show whether the goal is met; Why
	// says what it can show.
	unjudged
	// smaller: met at a smaller load or scale than the goal's own (make
	// bench keeps to its ten minutes), which says nothing of the goal; Why
	// says which -long measures it.
	smaller
)

// meets is the verdict of a goal that has one.
func meets(ok bool) verdict {
	if ok {
		return met
	}
	return missed
}

// atScale is the verdict of figures measured at their goal's scale (full)
// or below it: below it a miss stands, for more load only adds to it, but
// a goal met says nothing, and why says where it is measured.
func atScale(rs []result, full bool, why string) []result {
	for i := range rs {
		if rs[i].Met == met && !full {
			rs[i].Met, rs[i].Why = smaller, why
		}
	}
	return rs
}

// ratio is a over b, as the report writes it.
func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

type benchmark struct {
	name string
	item string // the item its figures answer, unless a figure says
	run  func(ctx context.Context, log io.Writer) ([]result, error)
}

// The items (issue 30), in the report's order; figures of no item
// are grouped by their benchmark after them.
var items = []struct{ key, title string }{
	{"1", "1. Acknowledged to visible: a sustained load through the real wiring"},
	{"2", "2. Acknowledgement under contention: 50 senders as fast as acknowledged"},
	{"3", "3. First page on screen"},
	{"4", "4. Word documents"},
	{"5", "5. Big runs"},
	{"6", "6. Scale of the queue, the dashboard and documents"},
	{"7", "7. PostgreSQL: ingest and two instances"},
}

// parts are the titles of the benchmarks whose figures answer no item.
var parts = map[string]string{
	"viewer":     "page images and the review page (`-only viewer`)",
	"live":       "the live queue and a change reaching 1,000 open pages (`-only live`)",
	"hardening":  "a flood of large webhook bodies and a PDF bomb (`-only hardening`)",
	"starvation": "webhooks beside connections that send nothing (`-only starvation`)",
	"decoding":   "the decoding budget against a hostile TIFF (`-only decoding`)",
	"rules":      "validation rules on a save (`-only rules`)",
	"accuracy":   "the accuracy page and scorecards (`-only accuracy`)",
	"postgres":   "PostgreSQL across instances and its queue (`-only postgres`)",
}

// neighbours is how many CPU-bound neighbours the pass being measured
// runs beside, for goals that differ with them.
var neighbours int

// pass is one run of every benchmark beside a number of neighbours.
type pass struct {
	neighbours         int
	loadStart, loadEnd string
	took               time.Duration
	results            []result
	parts              map[string]time.Duration // each benchmark's time
	cpu                map[string]time.Duration // and the CPU time it and its processes used
	order              []string
}

// counts is a comma-separated list of neighbour counts, one pass each.
type counts []int

func (c *counts) String() string {
	var s []string
	for _, n := range *c {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
}

func (c *counts) Set(v string) error {
	*c = nil
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a count of neighbours", f)
		}
		*c = append(*c, n)
	}
	return nil
}

// spin starts n CPU-bound neighbours, each a shell busy on one core, and
// returns what stops them.
func spin(n int) (func(), error) {
	var ps []*os.Process
	stop := func() {
		for _, p := range ps {
			p.Kill()
			p.Wait()
		}
	}
	for range n {
		busy := exec.Command("sh", "-c", "while :; do :; done")
		if err := busy.Start(); err != nil {
			stop()
			return nil, err
		}
		ps = append(ps, busy.Process)
	}
	return stop, nil
}

// runPass runs the benchmarks (only the one named, if any) beside n
// neighbours.
// besideNeighbours are the parts the passes with neighbours run again:
// those answering the items, which ask for each figure quiet and
// beside one and two neighbours. The others run quiet only, so that make
// bench keeps to its ten minutes on two cores.
var besideNeighbours = []string{"ingest", "ingest-postgres", "word", "firstpage", "bigrun", "boxes", "dashboard", "dashboard-postgres", "postgres"}

func runPass(ctx context.Context, benches []benchmark, only string, n int) (pass, error) {
	stop, err := spin(n)
	if err != nil {
		return pass{}, err
	}
	defer stop()
	neighbours, sqliteIngest = n, 0
	p := pass{neighbours: n, loadStart: loadAverage(), parts: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
	t0 := time.Now()
	for _, b := range benches {
		if only != "" && b.name != only || only == "" && strings.HasPrefix(b.name, "ack") { // parts of ingest and postgres, run alone to profile
			continue
		}
		if only == "" && n > 0 && !slices.Contains(besideNeighbours, b.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s, %s (load %s)\n", b.name, passName(n), loadAverage())
		bt, bcpu := time.Now(), cpuTime()+childrenCPU()
		rs, err := b.run(ctx, os.Stderr)
		if err != nil {
			// One part failing (a hostile document answered otherwise on a
			// loaded machine, say) is a finding of the pass, not its end.
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.name, err)
			rs = []result{{Name: fmt.Sprintf("`-only %s` failed", b.name), Value: err.Error(), Goal: "runs to its end", Met: missed,
				Why: "The part stopped with the error shown; its other figures were not measured in this pass."}}
		}
		p.parts[b.name], p.cpu[b.name] = time.Since(bt), cpuTime()+childrenCPU()-bcpu
		p.order = append(p.order, b.name)
		fmt.Fprintf(os.Stderr, "== %s took %s, %s of CPU\n", b.name, p.parts[b.name].Round(time.Second), p.cpu[b.name].Round(time.Second))
		for i := range rs {
			if rs[i].Item == "" {
				rs[i].Item = b.item
			}
			if rs[i].Item == "" {
				rs[i].Item = b.name
			}
		}
		p.results = append(p.results, rs...)
	}
	p.took, p.loadEnd = time.Since(t0), loadAverage()
	return p, nil
}

func passName(n int) string {
	switch n {
	case 0:
		return "quiet"
	case 1:
		return "1 neighbour"
	}
	return fmt.Sprintf("%d neighbours", n)
}

// generatedEnd marks where the generated report ends in BENCHMARKS.md; what
// follows it is written by hand and kept.
const generatedEnd = "<!-- end of the generated report; written by hand below -->"

// render writes the passes side by side: one table per item, each figure
// with its baseline, ratio and verdict in every pass.
func render(ps []pass, cmdline string) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# reviewer benchmarks\n\n")
	fmt.Fprintf(&b, "Measured %s on %s (%s/%s, %d CPUs, %s) with `%s`.\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), cmdline)
	fmt.Fprintf(&b, "Every benchmark runs once quiet, then beside each count of CPU-bound neighbours (a shell spinning on one core, started by the bench). "+
		"Each figure stands beside a baseline measured in the same pass; the ratio is the figure over that baseline where both are of one unit. "+
		"The machine is shared: the load average at the start and end of each pass says how quiet \"quiet\" was.\n\n")
	fmt.Fprintf(&b, "| pass | load average at start | at end | took |\n|---|---|---|---|\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", passName(p.neighbours), p.loadStart, p.loadEnd, p.took.Round(time.Second))
	}
	if len(ps) > 0 {
		var took []string
		for _, name := range ps[0].order {
			var each []string
			for _, p := range ps {
				each = append(each, fmt.Sprintf("%s (%s CPU)", p.parts[name].Round(time.Second), p.cpu[name].Round(time.Second)))
			}
			took = append(took, fmt.Sprintf("%s %s", name, strings.Join(each, " / ")))
		}
		fmt.Fprintf(&b, "\nEach part's time, pass by pass, and the CPU time the bench and the processes it started and ended used meanwhile (PostgreSQL, Chromium, LibreOffice, `reviewer serve`; on an idle machine a part takes about the greater of its fixed waits and its CPU time over the cores it can keep busy): %s.\n", strings.Join(took, "; "))
	}
	type row struct {
		name, goal string
		in         map[int]result // by pass
	}
	type group struct {
		key, title string
		rows       []*row
		byName     map[string]*row
	}
	var groups []*group
	byKey := map[string]*group{}
	add := func(key, title string) *group {
		g := &group{key: key, title: title, byName: map[string]*row{}}
		groups = append(groups, g)
		byKey[key] = g
		return g
	}
	for _, it := range items {
		add(it.key, it.title)
	}
	for i, p := range ps {
		for _, r := range p.results {
			g := byKey[r.Item]
			if g == nil {
				title := parts[r.Item]
				if title == "" {
					title = r.Item
				}
				g = add(r.Item, "Also measured: "+title)
			}
			w := g.byName[r.Name]
			if w == nil {
				w = &row{name: r.Name, goal: r.Goal, in: map[int]result{}}
				g.rows = append(g.rows, w)
				g.byName[r.Name] = w
			}
			w.in[i] = r
		}
	}
	cell := func(s string) string {
		if s == "" {
			return "–"
		}
		return strings.ReplaceAll(s, "|", "\\|")
	}
	for _, g := range groups {
		if len(g.rows) == 0 {
			continue // a part not run (-only)
		}
		fmt.Fprintf(&b, "\n## %s\n\n", g.title)
		fmt.Fprintf(&b, "| figure | goal | |")
		for _, p := range ps {
			fmt.Fprintf(&b, " %s |", passName(p.neighbours))
		}
		fmt.Fprintf(&b, "\n|---|---|---|")
		for range ps {
			fmt.Fprintf(&b, "---|")
		}
		b.WriteString("\n")
		var whys []string
		for _, w := range g.rows {
			lines := []struct {
				label string
				get   func(result) string
			}{
				{"measured", func(r result) string { return r.Value }},
				{"baseline", func(r result) string { return r.Baseline }},
				{"ratio", func(r result) string { return r.Ratio }},
				{"goal met", func(r result) string {
					switch r.Met {
					case met:
						return "yes"
					case missed:
						return "**no**"
					case unjudged:
						return "cannot tell here"
					case smaller:
						return "not at its scale"
					}
					return ""
				}},
			}
			first := true
			for _, l := range lines {
				var cells []string
				some := false
				for i := range ps {
					r, ok := w.in[i]
					s := ""
					if ok {
						s = l.get(r)
					} else if l.label == "measured" {
						s = "not measured"
					}
					some = some || s != ""
					cells = append(cells, cell(s))
				}
				if !some {
					continue
				}
				name, goal := "", ""
				if first {
					name, goal = cell(w.name), cell(w.goal)
					first = false
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, goal, l.label, strings.Join(cells, " | "))
			}
			for _, v := range []struct {
				verdict
				say string
			}{{missed, "**Below its goal**"}, {unjudged, "**Not judged on this machine**"}, {smaller, "**Not measured at the goal's scale**"}} {
				var in []string
				why := ""
				for i, p := range ps {
					if r, ok := w.in[i]; ok && r.Met == v.verdict {
						in = append(in, passName(p.neighbours))
						if r.Why != "" {
							why = r.Why
						}
					}
				}
				if len(in) > 0 {
					if why == "" {
						why = "Not profiled in this change."
					}
					whys = append(whys, fmt.Sprintf("- %s (%s): %s. %s", v.say, strings.Join(in, ", "), firstClause(w.name), why))
				}
			}
		}
		if len(whys) > 0 {
			fmt.Fprintf(&b, "\n%s\n", strings.Join(whys, "\n"))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", generatedEnd)
	return b.String()
}

// firstClause is a figure's name up to its first colon or semicolon past
// a one-word prefix ("PostgreSQL: "), to name it in a sentence.
func firstClause(name string) string {
	prefix := ""
	if p, rest, ok := strings.Cut(name, ": "); ok && !strings.Contains(p, " ") {
		prefix, name = p+": ", rest
	}
	if i := strings.IndexAny(name, ":;"); i > 0 {
		name = name[:i]
	}
	return prefix + name
}

// write puts report at the top of the file at path, keeping what follows
// the generated part there (the sections written by hand).
func write(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	kept := ""
	if len(old) > 0 {
		_, after, ok := strings.Cut(string(old), generatedEnd+"\n")
		if !ok {
			return fmt.Errorf("%s has no line %q after its generated report: add it where the sections written by hand begin, or write elsewhere with -out", path, generatedEnd)
		}
		kept = after
	}
	return os.WriteFile(path, []byte(report+kept), 0o644)
}

func main() {
	only := flag.String("only", "", "run only the benchmark with this name")
	out := flag.String("out", "BENCHMARKS.md", "where to write the report, above the sections written by hand (- for standard output)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	mutexprofile := flag.String("mutexprofile", "", "write a mutex contention profile here")
	blockprofile := flag.String("blockprofile", "", "write a profile of where goroutines blocked here")
	flag.StringVar(&traceDir, "traces", "", "keep each Chromium trace the browser benchmarks take in this directory (open them in the browser's Performance panel)")
	passes := counts{0}
	flag.Var(&passes, "neighbour", "how many CPU-bound neighbours (each a process spinning on a core) to run beside; a list (0,1,2) runs a pass for each and puts them side by side")
	long := flag.Bool("long", false, "the long variants: ingest sustained at 3,000 events/s for 60 s, the closed loops for 30 s, the dashboard and search at 1,000,000 waiting runs and 21,000 decided in the week on SQLite and PostgreSQL, the accuracy page at 100,000 decided runs")
	flag.StringVar(&dashboardDB, "pg-db", "", "dashboard-postgres on this PostgreSQL database (a postgres:// URL), filled only when it holds no runs, to measure builds on the same runs")
	flag.Parse()
	if *long {
		sustained = longLoad
		closedLoopEvents = 10_000
		closedLoopFor = 30 * time.Second
		dashboardRuns = goalRuns
		dashboardDecided = longDecided
		queueRuns = 100_000
		accuracyRuns = 100_000
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
		{"ingest", "", benchIngest},
		{"ack", "2", benchAck},
		{"ack-postgres", "7", benchAckPostgres},
		{"ingest-postgres", "1", benchIngestPostgres},
		{"viewer", "", benchViewer},
		{"word", "4", benchWord},
		{"firstpage", "3", benchFirstPage},
		{"bigrun", "5", benchBigRun},
		{"boxes", "5", benchBoxes},
		{"dashboard", "6", benchDashboard},
		{"dashboard-postgres", "6", benchDashboardPostgres},
		{"live", "", benchLive},
		{"hardening", "", benchHardening},
		{"starvation", "", benchStarvation},
		{"decoding", "", benchDecoding},
		{"rules", "", benchRules},
		{"postgres", "", benchPostgres},
		{"accuracy", "", benchAccuracy},
	}
	ctx := context.Background()
	var ps []pass
	for _, n := range passes {
		p, err := runPass(ctx, benches, *only, n)
		if err != nil {
			removeBinary()
			releaseFills()
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "== %s took %s, load average %s at the start, %s at the end\n", passName(n), p.took.Round(time.Second), p.loadStart, p.loadEnd)
		ps = append(ps, p)
	}
	removeBinary()
	releaseFills()
	report := render(ps, "go run ./cmd/bench "+strings.Join(os.Args[1:], " "))
	if *out == "-" {
		fmt.Print(report)
		return
	}
	defer fmt.Print(report)
	if err := write(*out, report); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// percentile returns the p-th percentile (0..100) of durations, by nearest
// rank: the smallest at or above p percent of them. Of ten samples the p99
// is the largest (rounding the rank down would give the one below it).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(float64(len(s))*p/100)) - 1
	return s[min(max(i, 0), len(s)-1)]
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
