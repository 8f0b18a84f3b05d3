package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// benchPostgres measures reviewer on PostgreSQL (a local server with fsync
// on): ingest from 50 senders beside raw one-row-per-transaction inserts of
// the same bytes and this run's SQLite figure; a change made on one
// instance reaching a page open on another, beside the bare NOTIFY round
// trip; and the queue page at 100,000 waiting runs beside its bare query.
func benchPostgres(ctx context.Context, log io.Writer) ([]result, error) {
	srv, err := pgtest.Start(true)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	dir, err := os.MkdirTemp("", "reviewer-bench-pg-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bodies, err := ingestBodies(rawRows)
	if err != nil {
		return nil, err
	}

	rawURL, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	single, err := rawPostgresInserts(ctx, rawURL, bodies[:rawRows/2], 1)
	if err != nil {
		return nil, err
	}
	base, err := rawPostgresInserts(ctx, rawURL, bodies, ingestSenders)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "raw PostgreSQL, one row per transaction: %.0f rows/s from %d connections, %.0f rows/s from one\n", base, ingestSenders, single)
	ingestDB, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	ingest, err := closedLoop(ctx, log, filepath.Join(dir, "ingest"), ingestDB, base)
	if err != nil {
		return nil, err
	}
	ingest[0].Baseline += fmt.Sprintf("; %.0f rows/s from one", single)

	db, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	a, err := newViewerEnv(ctx, filepath.Join(dir, "a"), db)
	if err != nil {
		return nil, err
	}
	defer a.close()
	b, err := newViewerEnv(ctx, filepath.Join(dir, "b"), db)
	if err != nil {
		return nil, err
	}
	defer b.close()

	db2, err := srv.NewDB()
	if err != nil {
		return nil, err
	}
	two, err := twoProcesses(ctx, log, filepath.Join(dir, "processes"), db2)
	if err != nil {
		return nil, err
	}

	live, notify, err := crossInstance(ctx, a, b, db)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "cross-instance change to page: p50 %s p99 %s; bare NOTIFY p50 %s p99 %s\n",
		ms(percentile(live, 50)), ms(percentile(live, 99)), ms(percentile(notify, 50)), ms(percentile(notify, 99)))

	rs := append(ingest,
		two.result(),
		result{Name: "PostgreSQL: a claim made on one instance reaching a page open on another (commit, NOTIFY, feed read, hub, websocket), p99 (p50)",
			Value:    fmt.Sprintf("%s (%s)", ms(percentile(live, 99)), ms(percentile(live, 50))),
			Baseline: fmt.Sprintf("%s (%s) for a bare NOTIFY from one connection to a LISTENing one", ms(percentile(notify, 99)), ms(percentile(notify, 50))),
			Ratio:    ratio(float64(percentile(live, 99)), float64(percentile(notify, 99)))},
	)
	if neighbours > 0 {
		return rs, nil // the queue on PostgreSQL beside neighbours is dashboard-postgres's
	}
	t0 := time.Now()
	if err := fillQueue(ctx, a.store, queueRuns, 0); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "queued %d runs on PostgreSQL in %s\n", queueRuns, time.Since(t0).Round(time.Millisecond))
	page, err := b.times("/")
	if err != nil {
		return nil, err
	}
	found, err := b.times("/?q=invoice-054321")
	if err != nil {
		return nil, err
	}
	bare, err := bareQuery(ctx, db, `SELECT id, workflow_name, file_name, page_count, min_confidence, queued_at FROM runs WHERE status = 'NEEDS_REVIEW' ORDER BY queued_at, id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	bareFound, err := bareQuery(ctx, db, `SELECT run_id FROM run_text WHERE tsv @@ to_tsquery('simple', 'invoice:* & 054321:*')`)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "queue page on PostgreSQL at %d: p99 %s; bare query p99 %s\n", queueRuns, ms(percentile(page, 99)), ms(percentile(bare, 99)))

	return append(rs,
		pageFigure(fmt.Sprintf("PostgreSQL: queue page (100 rows of %d waiting), served by the other instance, server time p99 (p50)", queueRuns), page, bare, "the bare SQL query of the page"),
		pageFigure("PostgreSQL: the same, searched for one invoice number (GIN word index)", found, bareFound, "the bare tsquery"),
	), nil
}

// whyPostgres is what is known of PostgreSQL ingest's time (BENCHMARKS.md,
// "PostgreSQL: the raw insert at 50 connections").
const whyPostgres = "Profiled on 2026-12-07 (`-only postgres -neighbour 2 -cpuprofile -blockprofile`, load 37): 12 s of the product's CPU in a 356 s run and no lock waits: each acknowledgement waited for PostgreSQL's commit, one group commit at a time per instance, while the raw insert keeps 50 commits in flight. Now four are in flight (storage.pgGroupCommits): in nine pairs at load 14-22 the closed loop went from a median 263 to 321 events/s (0.31x to 0.44x the raw insert of the same run), and a profiled run got 3.3 s of CPU in 30 s, the group commit 4% of it: on 2 cores shared with other work the commit's latency (its fsync, PostgreSQL's own CPU, each waiting for a core) sets the rate; a quiet machine is needed to say whether 1.0x is met."

// rawPostgresInserts inserts the bodies into a bare table, one row per
// transaction, from conns connections at once, and returns rows/s.
func rawPostgresInserts(ctx context.Context, url string, bodies [][]byte, conns int) (float64, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(conns)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)`); err != nil {
		return 0, err
	}
	g, ctx := errgroup.WithContext(ctx)
	next := make(chan []byte)
	for range conns {
		g.Go(func() error {
			for b := range next {
				if _, err := db.ExecContext(ctx, `INSERT INTO events (body) VALUES ($1)`, b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	start := time.Now()
	go func() {
		defer close(next)
		for _, b := range bodies {
			select {
			case next <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return float64(len(bodies)) / time.Since(start).Seconds(), nil
}

// crossInstance times 200 claims and releases made on instance a until a
// page open on b hears of each, then 200 bare NOTIFY round trips.
func crossInstance(ctx context.Context, a, b *viewerEnv, db string) (live, notify []time.Duration, err error) {
	if err := fillQueue(ctx, a.store, 1, 0); err != nil {
		return nil, nil, err
	}
	h := http.Header{"Origin": {b.url}, "Cookie": {b.cookie.Name + "=" + b.cookie.Value}}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+b.url[len("http"):]+"/ws", h)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.ReadMessage() // hello
	const run = "workflow_run_q000000"
	for i := range 200 {
		t0 := time.Now()
		if i%2 == 0 {
			_, err = a.store.ClaimRun(ctx, run, "bench@example.com", time.Minute)
		} else {
			err = a.store.Release(ctx, run, "bench@example.com", false)
		}
		if err != nil {
			return nil, nil, err
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var m struct {
				Kind  string `json:"kind"`
				RunID string `json:"runId"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				return nil, nil, err
			}
			if m.Kind == review.FeedClaim && m.RunID == run {
				break
			}
		}
		live = append(live, time.Since(t0))
	}

	listen, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer listen.Close(ctx)
	send, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer send.Close(ctx)
	if _, err := listen.Exec(ctx, `LISTEN bench`); err != nil {
		return nil, nil, err
	}
	for range 200 {
		t0 := time.Now()
		if _, err := send.Exec(ctx, `NOTIFY bench`); err != nil {
			return nil, nil, err
		}
		if _, err := listen.WaitForNotification(ctx); err != nil {
			return nil, nil, err
		}
		notify = append(notify, time.Since(t0))
	}
	return live, notify, nil
}

// bareQuery times a query straight from PostgreSQL, 200 times.
func bareQuery(ctx context.Context, url, q string) ([]time.Duration, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return bareTimes(ctx, db, 200, q)
}
