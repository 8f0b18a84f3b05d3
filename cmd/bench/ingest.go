package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// sqliteIngest is the closed-loop ingest rate on SQLite of this run, for
// the PostgreSQL figure to stand beside.
var sqliteIngest float64

const (
	ingestSenders = 50
	benchSecret   = "wss_bench"
	// rawRows is how many rows the raw insert baselines write: enough for a
	// steady rate, few enough for three passes of make bench.
	rawRows = 1000
)

// closedLoopEvents is how many events each of the two processes sends (10,000
// with -long): at a few hundred a second, seconds of sending in make bench.
var closedLoopEvents = 2_000

// closedLoopFor is how long the closed loops keep their 50 senders busy
// (30 s with -long): a sustained rate, with documents fetched meanwhile,
// not a burst over before the workers behind it start.
var closedLoopFor = 5 * time.Second

// benchIngest measures ingest as a team feels it, through the real wiring
// (every worker running, documents fetched from a fake Extend API that
// serves a real PDF for each run): a sustained open-loop load, timed from
// each event's scheduled send, from the acknowledgement to the run's row
// on every open queue page (fetched as queue.js fetches it); then the
// most the endpoint acknowledges with 50 senders as fast as answered.
// Both beside inserting the same bytes into SQLite one row per
// transaction.
func benchIngest(ctx context.Context, log io.Writer) ([]result, error) {
	return ingestSQLite(ctx, log, true)
}

// benchAck is benchIngest's closed loop alone beside its baseline: the
// figure to profile acknowledgements by, without the sustained load's
// backlog and documents in the profile.
func benchAck(ctx context.Context, log io.Writer) ([]result, error) {
	return ingestSQLite(ctx, log, false)
}

// ingestSQLite is benchIngest, the sustained load only when asked for.
func ingestSQLite(ctx context.Context, log io.Writer, withSustained bool) ([]result, error) {
	bodies, err := ingestBodies(rawRows)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reviewer-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	base, err := rawInsertBaseline(ctx, filepath.Join(dir, "raw"), bodies)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "raw SQLite, one row per transaction: %.0f rows/s (load %s)\n", base, loadAverage())

	var out []result
	if withSustained {
		vis, err := benchVisible(ctx, log, filepath.Join(dir, "visible"), "", sustained)
		if err != nil {
			return nil, err
		}
		out = vis.results(fmt.Sprintf("%.0f rows/s (raw SQLite insert, one row per transaction)", base))
	}
	ack, err := closedLoop(ctx, log, filepath.Join(dir, "server"), "", base)
	if err != nil {
		return nil, err
	}
	return append(out, ack...), nil
}

// benchAckPostgres is benchAck on PostgreSQL (a local server with fsync
// on), beside the raw insert from as many connections as senders.
func benchAckPostgres(ctx context.Context, log io.Writer) ([]result, error) {
	srv, err := pgtest.Start(true)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	bodies, err := ingestBodies(rawRows)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reviewer-bench-ack-pg-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rawURL, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	base, err := rawPostgresInserts(ctx, rawURL, bodies, ingestSenders)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "raw PostgreSQL, one row per transaction, %d connections: %.0f rows/s (load %s)\n", ingestSenders, base, loadAverage())
	db, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	return closedLoop(ctx, log, filepath.Join(dir, "server"), db, base)
}

// closedLoop measures the most the real wiring on a fresh database (db,
// SQLite in dir when empty) acknowledges, sustained for closedLoopFor: 50
// senders, each sending its next event as soon as the last is
// acknowledged, every event its own run whose document the instance
// fetches meanwhile from a fake Extend serving a real PDF.
func closedLoop(ctx context.Context, log io.Writer, dir, db string, base float64) ([]result, error) {
	pdf, err := benchPDF()
	if err != nil {
		return nil, err
	}
	api := fakeExtend(pdf)
	defer api.Close()
	in, stop, err := startWith(ctx, instance.Config{Data: dir, DB: db, ExtendURL: api.URL, ExtendKey: "sk_bench"})
	if err != nil {
		return nil, err
	}
	defer stop()
	m, err := newBodyMaker()
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: ingestSenders}, Timeout: 30 * time.Second}
	load, cpu := loadAverage(), cpuTime()
	rate, lat, err := sendFor(ctx, client, in.URL+"/webhooks/extend", m, closedLoopFor)
	if err != nil {
		return nil, err
	}
	cpu = cpuTime() - cpu
	loadAfter := loadAverage()
	// On a shared machine the rate follows the CPU the process is given;
	// the CPU an acknowledgement costs (senders included) and what was
	// left to apply say where it went.
	counts, err := in.Store.EventCounts(ctx)
	if err != nil {
		return nil, err
	}
	if db == "" {
		sqliteIngest = rate
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	fmt.Fprintf(log, "ingest closed loop (load %s to %s): %d events for %s, %.0f acknowledged/s (%.2fx the raw insert), p50 %s, p99 %s; CPU %s an event, %d left to apply",
		load, loadAfter, len(lat), closedLoopFor, rate, rate/base, ms(p50), ms(p99), ms(cpu/time.Duration(len(lat))), counts["pending"])
	t0 := time.Now()
	for counts["pending"] > 0 && time.Since(t0) < drainCeiling {
		time.Sleep(100 * time.Millisecond)
		if counts, err = in.Store.EventCounts(ctx); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(log, ", %d left %s later\n", counts["pending"], time.Since(t0).Round(100*time.Millisecond))
	what := fmt.Sprintf("signed 20 KB `needs_review`, each its own run and document (fetched meanwhile from a fake Extend serving a real PDF), 50 senders as fast as acknowledged for %s, each after a durable commit", closedLoopFor)
	if db != "" {
		// Item 7: PostgreSQL keeps up with its own raw insert at the same
		// concurrency, and with half of SQLite.
		vsSQLite := "SQLite not measured in this pass"
		if sqliteIngest > 0 {
			vsSQLite = fmt.Sprintf("%.2f× this pass's SQLite figure (%.0f/s)", rate/sqliteIngest, sqliteIngest)
		}
		return []result{{Name: "PostgreSQL: webhook ingest, " + what + " (fsync on)",
			Value:    fmt.Sprintf("%.0f events/s (%d events), p99 %s (p50 %s); %s; load average %s to %s", rate, len(lat), ms(p99), ms(p50), vsSQLite, load, loadAfter),
			Baseline: fmt.Sprintf("%.0f rows/s (raw PostgreSQL insert, same bytes, one row per transaction, %d connections)", base, ingestSenders),
			Goal:     "≥ the raw insert at 50 connections, ≥ 0.5× SQLite",
			Ratio:    ratio(rate, base), Met: meets(rate >= base && rate >= sqliteIngest/2), Item: "7", Why: whyPostgres}}, nil
	}
	// The goal of item 2: group commit puts many acknowledgements in one
	// fsync, so the endpoint outruns one row per transaction.
	goal, want := "≥ 1.5× the raw insert quiet, ≥ 1.0× beside neighbours", 1.5
	if neighbours > 0 {
		want = 1.0
	}
	return []result{
		{Name: "webhook ingest, " + what, Value: fmt.Sprintf("%.0f events/s (%d events); load average %s to %s", rate, len(lat), load, loadAfter),
			Baseline: fmt.Sprintf("%.0f rows/s (raw SQLite insert, same bytes, one row per transaction)", base), Goal: goal,
			Ratio: ratio(rate, base), Met: meets(rate >= want*base), Item: "2", Why: whyAck},
		{Name: "acknowledgement latency p99 (p50), same closed loop", Value: fmt.Sprintf("%s (%s)", ms(p99), ms(p50)), Goal: "p99 < 25 ms quiet",
			Met: quietGoal(p99 < 25*time.Millisecond), Item: "2", Why: whyAck},
	}, nil
}

// whyAck is where the acknowledgement's time went when profiled
// (BENCHMARKS.md, "Acknowledgement under contention"; NOTE30).
const whyAck = "Timed on 2026-12-07 (`-only ingest` with the group commit instrumented, load 17-21): at 200/s an acknowledgement spends its time in the store waiting for the group commit before its own to end, then its own batch's wait for SQLite's one writer (11-17 ms mean, under 0.1 ms p50) and its fsync (14-20 ms mean, 7-9 ms p50); workers now commit without their own fsync and hold the writer 7-8 s of a run instead of 19-21 s, and an acknowledgement that arrives while its batch waits for the writer joins it. The handler costs about 0.1 ms of CPU an event, applying 0.4 ms, against 0.25 ms per raw row, so on 2 shared cores the rest is the wait for a core. With 50 senders a p99 under 25 ms needs over 2,000 acknowledgements a second (Little's law)."

// quietGoal is the verdict of a goal set for the quiet pass only.
func quietGoal(ok bool) verdict {
	if neighbours > 0 {
		return noGoal
	}
	return meets(ok)
}

// benchIngestPostgres is benchIngest's sustained load on PostgreSQL (a
// local server with fsync on).
func benchIngestPostgres(ctx context.Context, log io.Writer) ([]result, error) {
	srv, err := pgtest.Start(true)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	dir, err := os.MkdirTemp("", "reviewer-bench-pg-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bodies, err := ingestBodies(closedLoopEvents)
	if err != nil {
		return nil, err
	}
	rawURL, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	base, err := rawPostgresInserts(ctx, rawURL, bodies, ingestSenders)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "raw PostgreSQL, one row per transaction, %d connections: %.0f rows/s\n", ingestSenders, base)
	db, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	v, err := benchVisible(ctx, log, filepath.Join(dir, "visible"), db, sustained)
	if err != nil {
		return nil, err
	}
	return v.results(fmt.Sprintf("%.0f rows/s (raw PostgreSQL insert, one row per transaction, %d connections)", base, ingestSenders)), nil
}

// sendAll sends bodies from ingestSenders goroutines, each sending its
// next as soon as the last is acknowledged. It returns the acknowledged
// rate and each latency.
func sendAll(ctx context.Context, client *http.Client, target string, bodies [][]byte) (float64, []time.Duration, error) {
	lat := make([]time.Duration, len(bodies))
	jobs := make(chan int)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range ingestSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				if err := demo.Send(ctx, client, target, benchSecret, bodies[i]); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	start := time.Now()
	for i := range bodies {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, nil, fmt.Errorf("%d deliveries failed", n)
	}
	return float64(len(bodies)) / time.Since(start).Seconds(), lat, nil
}

// sendFor sends m's bodies (series "loop") from ingestSenders goroutines
// for d, each sending its next as soon as the last is acknowledged. It
// returns the acknowledged rate and each latency.
func sendFor(ctx context.Context, client *http.Client, target string, m bodyMaker, d time.Duration) (float64, []time.Duration, error) {
	lats := make([][]time.Duration, ingestSenders)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for s := range lats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				b := m.body("loop", int(next.Add(1)))
				t0 := time.Now()
				if err := demo.Send(ctx, client, target, benchSecret, b); err != nil {
					failed.Add(1)
				}
				lats[s] = append(lats[s], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, nil, fmt.Errorf("%d deliveries failed", n)
	}
	lat := slices.Concat(lats...)
	return float64(len(lat)) / time.Since(start).Seconds(), lat, nil
}

// bodyMaker makes webhook bodies of about 20 KB, each its own run with its
// own document (demo.Arrival), in series.
type bodyMaker struct {
	arrival func(tag string) json.RawMessage
}

func newBodyMaker() (bodyMaker, error) {
	a, err := demo.Arrival()
	return bodyMaker{a}, err
}

// tag is the part of every id of body i of a series.
func tag(series string, i int) string { return fmt.Sprintf("%s_%07d", series, i) }

func (m bodyMaker) body(series string, i int) []byte {
	return demo.Event("evt_"+tag(series, i), review.EventRunNeedsReview, m.arrival(tag(series, i)))
}

// ingestBodies makes n distinct webhook bodies of 20 KB, each its own run
// with its own document.
func ingestBodies(n int) ([][]byte, error) {
	m, err := newBodyMaker()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = m.body("bench", i)
	}
	return out, nil
}

// rawInsertBaseline inserts the bodies into a bare SQLite table with the
// same durability settings, one row per transaction, and returns rows/s.
func rawInsertBaseline(ctx context.Context, dir string, bodies [][]byte) (float64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE events (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return 0, err
	}
	start, cpu := time.Now(), cpuTime()
	for _, b := range bodies {
		if _, err := db.ExecContext(ctx, `INSERT INTO events (body) VALUES (?)`, b); err != nil {
			return 0, err
		}
	}
	rate := float64(len(bodies)) / time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "raw SQLite insert: CPU %s a row\n", ms((cpuTime()-cpu)/time.Duration(len(bodies))))
	return rate, nil
}

// benchPDF is the document of Arrival's runs, which the fake Extend serves.
func benchPDF() ([]byte, error) {
	f, err := demo.File("nics-background-checks-2015-11-rotated.pdf")
	if err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
