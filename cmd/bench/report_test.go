package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The passes of one figure share a row: its goal once, then what each
// pass measured, its baseline, ratio and verdict side by side; a missed
// goal is written below the table with its reason.
func TestReportPutsPassesSideBySide(t *testing.T) {
	t.Parallel()
	fig := func(v, base string, m verdict) result {
		return result{Name: "ack p99", Value: v, Baseline: base, Goal: "p99 < 25 ms", Ratio: "1.20×", Met: m, Why: "waits for a core.", Item: "2"}
	}
	ps := []pass{
		{neighbours: 0, loadStart: "0.5", loadEnd: "0.9", results: []result{fig("20 ms", "700 rows/s", met)}},
		{neighbours: 1, loadStart: "1.5", loadEnd: "1.9", results: []result{fig("30 ms", "600 rows/s", missed), {Name: "heap", Value: "4 MiB", Item: "hardening"}}},
	}
	r := render(ps, "go run ./cmd/bench -neighbour 0,1")
	for _, want := range []string{
		"| quiet | 0.5 | 0.9 |",
		"| 1 neighbour | 1.5 | 1.9 |",
		"## 2. Acknowledgement under contention",
		"| figure | goal | | quiet | 1 neighbour |",
		"| ack p99 | p99 < 25 ms | measured | 20 ms | 30 ms |",
		"|  |  | baseline | 700 rows/s | 600 rows/s |",
		"|  |  | ratio | 1.20× | 1.20× |",
		"|  |  | goal met | yes | **no** |",
		"- **Below its goal** (1 neighbour): ack p99. waits for a core.",
		"## Also measured: a flood of large webhook bodies and a PDF bomb",
		"| heap | – | measured | not measured | 4 MiB |",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("the report lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r, "## 1. Acknowledged to visible") {
		t.Errorf("an item no pass measured has a table:\n%s", r)
	}
	if strings.Count(r, "| ack p99 |") != 1 {
		t.Errorf("a figure of two passes takes more than one row:\n%s", r)
	}
}

// The report replaces only what was generated before: the sections
// written by hand below the marker stay, and a file without the marker is
// refused rather than overwritten.
func TestReportKeepsTheSectionsWrittenByHand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "BENCHMARKS.md")
	hand := "## Before and after\n\nwritten by hand\n"
	if err := os.WriteFile(path, []byte("# old report\n\n| a | b |\n"+generatedEnd+"\n"+hand), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(path, "# new report\n\n"+generatedEnd+"\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "# new report\n\n"+generatedEnd+"\n"+hand; got != want {
		t.Errorf("BENCHMARKS.md is\n%s\nwant\n%s", got, want)
	}

	bare := filepath.Join(dir, "bare.md")
	if err := os.WriteFile(bare, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(bare, "# new report\n"); err == nil || !strings.Contains(err.Error(), "has no line") {
		t.Errorf("a file without the marker: %v, want it refused", err)
	}
	if b, _ := os.ReadFile(bare); string(b) != hand {
		t.Errorf("a refused file was changed: %q", b)
	}
}

// A p99 of few samples is their largest, not the one below it: with ten
// samples, the nearest rank of the 99th percentile is the tenth.
func TestPercentileIsTheNearestRank(t *testing.T) {
	t.Parallel()
	var ten []time.Duration
	for i := 10; i >= 1; i-- {
		ten = append(ten, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{ten, 99, 10 * time.Millisecond},
		{ten, 100, 10 * time.Millisecond},
		{ten, 50, 5 * time.Millisecond},
		{ten, 0, 1 * time.Millisecond},
		{ten[:5], 99, 10 * time.Millisecond},
		{[]time.Duration{3, 1, 2}, 50, 2},
	} {
		if got := percentile(c.ds, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.ds, c.p, got, c.want)
		}
	}
	var many []time.Duration
	for i := range 200 {
		many = append(many, time.Duration(i+1))
	}
	if got := percentile(many, 99); got != 198 {
		t.Errorf("p99 of 1..200 = %v, want 198 (two above it)", got)
	}
}

// The acknowledged-to-visible goals are set at 3,000 events/s for 60 s:
// make bench's shorter load met them says nothing of the goal, so the
// report must not say "yes"; a miss at the shorter load stands.
func TestVisibleGoalsMetOnlyAtTheirLoad(t *testing.T) {
	t.Parallel()
	fast := make([]time.Duration, 100)
	for i := range fast {
		fast[i] = time.Millisecond
	}
	at := func(l load, backend string) *visible {
		return &visible{load: l, backend: backend, acked: l.events(), shown: l.events(), ackLat: fast, toVisible: fast, ackRate: float64(l.perSecond), applyRate: float64(l.perSecond)}
	}
	for _, backend := range []string{"SQLite", "PostgreSQL"} {
		short := at(quietLoad, backend).results("base")
		for _, r := range short[1:3] {
			if r.Met != smaller || !strings.Contains(r.Why, "-long") {
				t.Errorf("%s at %d/s for %s: %q judged %v (%q), want not judged at the goal's load, pointing at -long", backend, quietLoad.perSecond, quietLoad.duration, r.Name, r.Met, r.Why)
			}
		}
		for _, r := range at(longLoad, backend).results("base")[1:3] {
			if r.Met != met {
				t.Errorf("%s at the goal's load: %q judged %v, want met", backend, r.Name, r.Met)
			}
		}
		late := at(quietLoad, backend)
		late.toVisible = append([]time.Duration(nil), fast...)
		late.toVisible[98], late.toVisible[99] = 2*time.Second, 2*time.Second // the 99th of 100 over 1 s
		if r := late.results("base")[1]; r.Met != missed {
			t.Errorf("%s: a p99 over 1 s at the shorter load judged %v, want missed", backend, r.Met)
		}
	}
	// The PostgreSQL acknowledgements were never profiled: SQLite's
	// profile is not their reason.
	pg := at(quietLoad, "PostgreSQL").results("base")[0]
	if pg.Why == whyAck {
		t.Errorf("PostgreSQL's acknowledgements give SQLite's profile as their reason: %q", pg.Why)
	}
}

// A figure met below its goal's scale is written as such, not as met.
func TestReportSaysWhenAGoalWasNotMeasuredAtItsScale(t *testing.T) {
	t.Parallel()
	r := render([]pass{{results: []result{{Name: "dashboard p99", Value: "3 ms", Goal: "< 100 ms", Met: smaller, Why: "Filled 20000 runs; the goal is at 1,000,000.", Item: "6"}}}}, "go run ./cmd/bench")
	for _, want := range []string{
		"|  |  | goal met | not at its scale |",
		"- **Not measured at the goal's scale** (quiet): dashboard p99. Filled 20000 runs; the goal is at 1,000,000.",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("the report lacks %q:\n%s", want, r)
		}
	}
}

// Below its goal's scale a miss stands and a figure without a goal stays
// without one; only a goal met turns into "not at its scale", with why.
func TestAtScale(t *testing.T) {
	t.Parallel()
	in := []result{{Name: "a", Met: met, Why: "x"}, {Name: "b", Met: missed, Why: "slow"}, {Name: "c"}}
	got := atScale(append([]result(nil), in...), false, "fill more")
	if got[0].Met != smaller || got[0].Why != "fill more" || got[1].Met != missed || got[1].Why != "slow" || got[2].Met != noGoal {
		t.Errorf("below its scale: %+v", got)
	}
	if got := atScale(append([]result(nil), in...), true, "fill more"); got[0].Met != met || got[0].Why != "x" {
		t.Errorf("at its scale: %+v", got)
	}
}
