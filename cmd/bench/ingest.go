package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

// sqliteIngest is the closed-loop ingest rate on SQLite of this run, for
// the PostgreSQL figure to stand beside.
var sqliteIngest float64

const (
	ingestEvents  = 20000
	ingestSenders = 50
	benchSecret   = "wss_bench"
)

// benchIngest sends signed needs_review events of about 20 KB through the
// real HTTP endpoint from 50 concurrent senders, with the ingest worker
// applying them meanwhile, and compares with inserting the same bytes into
// SQLite one row per transaction.
func benchIngest(ctx context.Context, log io.Writer) ([]result, error) {
	bodies, err := ingestBodies(ingestEvents)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reviewer-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	base, err := rawInsertBaseline(ctx, filepath.Join(dir, "raw"), bodies[:4000])
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "raw SQLite, one row per transaction: %.0f rows/s\n", base)

	// The real wiring, every worker running while the events arrive.
	in, stop, err := start(ctx, filepath.Join(dir, "server"), "")
	if err != nil {
		return nil, err
	}
	defer stop()
	target := in.URL + "/webhooks/extend"

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: ingestSenders}, Timeout: 30 * time.Second}
	start := time.Now()
	// Closed loop: 50 senders, each sending its next event as soon as the
	// last is acknowledged. This finds the most the server can take.
	rate, lat, err := sendAll(ctx, client, target, bodies[:ingestEvents/2], 0)
	if err != nil {
		return nil, err
	}
	sqliteIngest = rate
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	fmt.Fprintf(log, "ingest closed loop: %d events of %d bytes, %.0f acknowledged/s, p50 %s, p99 %s\n", len(lat), len(bodies[0]), rate, ms(p50), ms(p99))
	// Open loop: events offered at the goal's 3,000/s (still at most 50 in
	// flight), the latency a sender sees at that load.
	openRate, openLat, err := sendAll(ctx, client, target, bodies[ingestEvents/2:], 3000)
	if err != nil {
		return nil, err
	}
	o50, o99 := percentile(openLat, 50), percentile(openLat, 99)
	fmt.Fprintf(log, "ingest open loop at 3,000/s offered: %.0f acknowledged/s, p50 %s, p99 %s\n", openRate, ms(o50), ms(o99))

	// How long until the worker has applied them all.
	for {
		c, err := in.Store.EventCounts(ctx)
		if err != nil {
			return nil, err
		}
		if c["pending"] == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	applied := time.Since(start)
	fmt.Fprintf(log, "all applied after %s\n", applied.Round(time.Millisecond))
	return []result{
		{"webhook ingest, signed 20 KB `needs_review`, 50 senders as fast as acknowledged, each after a durable commit", fmt.Sprintf("%.0f events/s", rate),
			fmt.Sprintf("%.0f rows/s (raw SQLite insert, same bytes, one row per transaction)", base), "≥ 3,000 events/s"},
		{"acknowledgement latency p99 (p50), same closed loop", fmt.Sprintf("%s (%s)", ms(p99), ms(p50)), "", "< 25 ms"},
		{"acknowledgement latency p99 (p50), 3,000 events/s offered, ≤ 50 in flight", fmt.Sprintf("%s (%s), %.0f/s acknowledged", ms(o99), ms(o50), openRate), "", "< 25 ms"},
		{"all events applied to runs (worker running during the load)", fmt.Sprintf("%s for %d events (%.0f/s)", applied.Round(time.Millisecond), len(bodies), float64(len(bodies))/applied.Seconds()), "", ""},
	}, nil
}

// sendAll sends bodies from ingestSenders goroutines. With perSecond > 0 the
// sends are paced to that total rate; otherwise each sender goes as fast as
// it is answered. It returns the acknowledged rate and each latency.
func sendAll(ctx context.Context, client *http.Client, target string, bodies [][]byte, perSecond int) (float64, []time.Duration, error) {
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
		if perSecond > 0 {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))); d > 0 {
				time.Sleep(d)
			}
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, nil, fmt.Errorf("%d deliveries failed", n)
	}
	return float64(len(bodies)) / time.Since(start).Seconds(), lat, nil
}

// ingestBodies makes n distinct webhook bodies of 20 KB from a 2026 demo
// run, each for its own run.
func ingestBodies(n int) ([][]byte, error) {
	payload, err := demo.Payload("nics_rotated_2026.json")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err != nil {
		return nil, err
	}
	tmpl := buf.String()
	// The demo run is about 6 KB compact: metadata pads it to 20 KB, as
	// Extend's payloads with a long document's outputs are.
	if pad := 20<<10 - len(tmpl) - 300; pad > 0 {
		tmpl = `{"metadata":{"padding":"` + strings.Repeat("x", pad) + `"},` + tmpl[1:]
	}
	out := make([][]byte, n)
	for i := range out {
		p := strings.Replace(tmpl, "workflow_run_demo_aws_2026", fmt.Sprintf("workflow_run_bench_%06d", i), 1)
		out[i] = demo.Event(fmt.Sprintf("evt_bench_%06d", i), review.EventRunNeedsReview, []byte(p))
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
	start := time.Now()
	for _, b := range bodies {
		if _, err := db.ExecContext(ctx, `INSERT INTO events (body) VALUES (?)`, b); err != nil {
			return 0, err
		}
	}
	return float64(len(bodies)) / time.Since(start).Seconds(), nil
}
