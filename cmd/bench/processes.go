package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// twoProcessEvents is the most events each sender group of twoProcesses
// sends: three series of 20 KB bodies are held at once.
const twoProcessEvents = 5_000

// serveCeiling is how long a reviewer serve process may take to answer
// /readyz: its first start migrates the database and compiles PDFium.
const serveCeiling = 2 * time.Minute

// binDir is where reviewerBinary built, for removeBinary.
var binDir string

// reviewerBinary builds cmd/reviewer once for the whole bench run, into a
// directory removed by removeBinary.
var reviewerBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "reviewer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/reviewer")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/reviewer (make bench runs from the repository's root): %w: %s", err, out)
	}
	return bin, nil
})

// removeBinary removes what reviewerBinary built, if it did.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// serveProcess is a `reviewer serve` process of the real binary.
type serveProcess struct {
	cmd *exec.Cmd
	url string
}

// startServe runs `reviewer serve` on a free loopback port, data under dir
// and the PostgreSQL database db, and waits until it is ready. Documents
// are not fetched (the Extend API is a dead address), as in the in-process
// closed loop.
func startServe(ctx context.Context, dir, db string) (*serveProcess, error) {
	bin, err := reviewerBinary()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir, "--db", db, "--webhook-secret", benchSecret,
		"--extend-api-url", "http://127.0.0.1:1", "--compile-cache", compileCache(), "--log", "json")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serveProcess{cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(serveCeiling)
	for {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			return nil, fmt.Errorf("reviewer serve on %s not ready in %s: %s", addr, serveCeiling, tail(b, 2000))
		}
		select {
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop asks the process to shut down, and kills it if it has not within
// a minute.
func (p *serveProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-done
	}
}

// cpu is the CPU time the process has used so far, user and system.
func (p *serveProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name, which ends at the last ')':
	// utime and stime are the 12th and 13th, in clock ticks (100 a second).
	_, rest, _ := strings.Cut(string(b[strings.LastIndexByte(string(b), ')')+1:]), " ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// machineBusy is the machine's CPU time spent busy and in all, from
// /proc/stat: over an interval, their differences are how busy every core
// was, whoever kept it so.
func machineBusy() (busy, all time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * 10 * time.Millisecond
		all += d
		if i != 3 && i != 4 { // idle, iowait
			busy += d
		}
	}
	return busy, all
}

// twoFigures is what twoProcesses measured.
type twoFigures struct {
	one, both         float64       // events/s acknowledged
	oneCPU, bothCPU   time.Duration // the reviewer processes' CPU time during each
	oneBusy, bothBusy float64       // how busy the machine's cores were during each, 0..1
	oneTook, bothTook time.Duration
	loadBefore        string
	loadAfter         string
}

// twoProcesses measures item 7's two instances as a team would run them:
// two `reviewer serve` processes of the real binary on two ports and one
// PostgreSQL database. First one of them alone takes closedLoopEvents
// events from 50 senders as fast as acknowledged, then both at once take
// as many each, from 50 senders each. Beside each, how busy the machine
// was: two instances can only add what one left idle.
func twoProcesses(ctx context.Context, log io.Writer, dir, db string) (*twoFigures, error) {
	a, err := startServe(ctx, filepath.Join(dir, "a"), db)
	if err != nil {
		return nil, err
	}
	defer a.stop()
	b, err := startServe(ctx, filepath.Join(dir, "b"), db)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	m, err := newBodyMaker()
	if err != nil {
		return nil, err
	}
	series := func(name string, n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = m.body(name, i)
		}
		return out
	}
	n := min(closedLoopEvents, twoProcessEvents)
	alone, toA, toB := series("one", n), series("a", n), series("b", n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * ingestSenders}, Timeout: 30 * time.Second}
	f := &twoFigures{loadBefore: loadAverage()}

	// measure sends to each process its bodies at once, and returns the
	// rate of all together, the processes' CPU and the machine's.
	measure := func(ps []*serveProcess, bodies [][][]byte) (rate float64, cpu time.Duration, busy float64, took time.Duration, err error) {
		var cpu0 time.Duration
		for _, p := range ps {
			cpu0 += p.cpu()
		}
		busy0, all0 := machineBusy()
		var g errgroup.Group
		t0 := time.Now()
		total := 0
		for i, p := range ps {
			total += len(bodies[i])
			g.Go(func() error {
				_, _, err := sendAll(ctx, client, p.url+"/webhooks/extend", bodies[i])
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return 0, 0, 0, 0, err
		}
		took = time.Since(t0)
		busy1, all1 := machineBusy()
		for _, p := range ps {
			cpu += p.cpu()
		}
		if all1 > all0 {
			busy = float64(busy1-busy0) / float64(all1-all0)
		}
		return float64(total) / took.Seconds(), cpu - cpu0, busy, took, nil
	}
	if f.one, f.oneCPU, f.oneBusy, f.oneTook, err = measure([]*serveProcess{a}, [][][]byte{alone}); err != nil {
		return nil, err
	}
	if f.both, f.bothCPU, f.bothBusy, f.bothTook, err = measure([]*serveProcess{a, b}, [][][]byte{toA, toB}); err != nil {
		return nil, err
	}
	f.loadAfter = loadAverage()
	fmt.Fprintf(log, "two reviewer serve processes on one PostgreSQL: one alone %.0f/s (%.2f cores of reviewer, machine %.0f%% busy), both %.0f/s (%.2f cores, machine %.0f%% busy): %.2f×; load %s to %s\n",
		f.one, cores(f.oneCPU, f.oneTook), 100*f.oneBusy, f.both, cores(f.bothCPU, f.bothTook), 100*f.bothBusy, f.both/f.one, f.loadBefore, f.loadAfter)
	return f, nil
}

// cores is how many cores' worth of CPU time cpu is over took.
func cores(cpu, took time.Duration) float64 {
	if took == 0 {
		return 0
	}
	return cpu.Seconds() / took.Seconds()
}

// saturated is how busy the machine's cores may be while one instance
// takes its load for a second one to show what it adds: above it, a
// second process only takes a larger share of cores others want too.
const saturated = 0.9

func (f *twoFigures) result() result {
	perCPU := func(rate float64, cpu, took time.Duration) float64 {
		if c := cores(cpu, took); c > 0 {
			return rate / c
		}
		return 0
	}
	r := result{
		Name: fmt.Sprintf("PostgreSQL: two `reviewer serve` processes (the real binary, two ports, one database) together, %d events from 50 senders each, as fast as acknowledged", min(closedLoopEvents, twoProcessEvents)),
		Value: fmt.Sprintf("%.0f events/s; the two used %.2f cores of %d (%.0f events a CPU-second), the machine %.0f%% busy; load average %s to %s",
			f.both, cores(f.bothCPU, f.bothTook), runtime.NumCPU(), perCPU(f.both, f.bothCPU, f.bothTook), 100*f.bothBusy, f.loadBefore, f.loadAfter),
		Baseline: fmt.Sprintf("%.0f events/s from one of them alone, which used %.2f cores (%.0f events a CPU-second), the machine %.0f%% busy",
			f.one, cores(f.oneCPU, f.oneTook), perCPU(f.one, f.oneCPU, f.oneTook), 100*f.oneBusy),
		Goal:  "≥ 1.6× one",
		Ratio: ratio(f.both, f.one),
		Met:   meets(f.both >= 1.6*f.one),
		Item:  "7",
		Why: fmt.Sprintf("One instance left %.0f%% of the machine's %d cores idle, and the instances, PostgreSQL and the 100 senders share those cores; the 1.6× goal needs instances on cores of their own.",
			100*(1-f.oneBusy), runtime.NumCPU()),
	}
	if f.oneBusy >= saturated {
		r.Met = unjudged
		r.Why = fmt.Sprintf("While one instance took its load the machine's %d cores were already %.0f%% busy (it, PostgreSQL, the senders and whatever else runs here). A second process then adds no core, only a larger share of the busy ones (the kernel shares them by thread), so the ratio shows that share, not what a second instance adds; events per CPU-second say whether it added work or overhead. Two instances at 1.6× need cores of their own: this machine can show at most 1.0×.",
			runtime.NumCPU(), 100*f.oneBusy)
	}
	return r
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
