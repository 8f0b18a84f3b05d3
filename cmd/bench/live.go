package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

const sockets = 1000

// queueRuns is how many runs wait while the live queue is measured
// (100,000 with -long): make bench fills it once a pass.
var queueRuns = 20_000

// benchLive measures the queue page at queueRuns waiting runs and the fan-out
// of one change to 1,000 open dashboards, each beside a raw baseline.
func benchLive(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-live-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	defer e.close()
	t0 := time.Now()
	if err := fillQueue(ctx, e.store, queueRuns, 0); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "queued %d runs through desk.Arrive in %s\n", queueRuns, time.Since(t0).Round(time.Millisecond))

	measure := func(path string) (time.Duration, time.Duration, error) {
		ds, err := e.times(path)
		return percentile(ds, 50), percentile(ds, 99), err
	}
	queue, err := e.times("/")
	if err != nil {
		return nil, err
	}
	_, next, err := e.store.Queue(ctx, review.QueueFilter{Limit: queueRuns / 2})
	if err != nil {
		return nil, err
	}
	d50, d99, err := measure("/?after=" + next)
	if err != nil {
		return nil, err
	}
	c50, c99, err := measure("/?sort=confidence&conf=0.5")
	if err != nil {
		return nil, err
	}
	// Search: one run by its file's number, among 100,000 that all share
	// the word "invoice"; beside the bare FTS query.
	search, err := e.times(fmt.Sprintf("/?q=invoice-%06d", queueRuns/2))
	if err != nil {
		return nil, err
	}
	// Baseline: the same first page straight from SQLite, no HTTP, no HTML.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "reviewer.db")+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var raw []time.Duration
	for range 200 {
		t := time.Now()
		rows, err := db.QueryContext(ctx, `SELECT id, workflow_name, file_name, page_count, min_confidence, queued_at FROM runs WHERE status = 'NEEDS_REVIEW' ORDER BY queued_at, id LIMIT 100`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
		}
		rows.Close()
		raw = append(raw, time.Since(t))
	}
	var fts []time.Duration
	for range 200 {
		t := time.Now()
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT s.run_id FROM run_text t JOIN run_search s ON s.key = t.rowid WHERE run_text MATCH '"invoice"* AND "%06d"*'`, queueRuns/2))
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n != 1 {
			return nil, fmt.Errorf("the bare search found %d runs, want 1", n)
		}
		fts = append(fts, time.Since(t))
	}
	fmt.Fprintf(log, "queue page at %d: first p99 %s, page 501 p99 %s, lowest confidence p99 %s, search p99 %s; raw query p99 %s, bare FTS p99 %s\n",
		queueRuns, ms(percentile(queue, 99)), ms(d99), ms(c99), ms(percentile(search, 99)), ms(percentile(raw, 99)), ms(percentile(fts, 99)))

	fan, base, mem, err := benchFanOut(ctx, e)
	if err != nil {
		return nil, err
	}
	return append([]result{
		pageFigure(fmt.Sprintf("queue page (100 rows of %d waiting), server time p99 (p50)", queueRuns), queue, raw, "the bare SQL query of the page"),
		{Name: fmt.Sprintf("the same, page %d (keyset cursor)", queueRuns/200+1), Value: fmt.Sprintf("%s (%s)", ms(d99), ms(d50)), Goal: "p99 < 15 ms", Met: meets(d99 < 15*time.Millisecond)},
		{Name: "the same, lowest confidence first, below 50%", Value: fmt.Sprintf("%s (%s)", ms(c99), ms(c50)), Goal: "p99 < 15 ms", Met: meets(c99 < 15*time.Millisecond)},
		pageFigure("the same, searched for one invoice number (FTS5 over every value, file name and id)", search, fts, "the bare FTS5 query"),
	}, append(fan, append(base, mem...)...)...), nil
}

// fillQueue queues n small runs through the storage write path, in
// batches, as the ingest worker would. With spread, the runs began over
// that long before now, oldest first; otherwise now.
func fillQueue(ctx context.Context, s *storage.Store, n int, spread time.Duration) error {
	now := time.Now()
	for start := 0; start < n; start += 2000 {
		var outs []review.EventOutcome
		for i := start; i < min(start+2000, n); i++ {
			began := ""
			if spread > 0 {
				began = fmt.Sprintf(`"initialRunAt":%q,`, now.Add(-spread+spread*time.Duration(i)/time.Duration(n)).UTC().Format(time.RFC3339))
			}
			p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_q%06d",%s"status":"NEEDS_REVIEW","workflow":{"id":"wf_%d","name":"Workflow %d"},"files":[{"id":"file_q%06d","name":"invoice-%06d.pdf","type":"PDF","metadata":{"pageCount":%d}}],"outputs":[{"id":"dpr_q%06d","type":"EXTRACT","output":{"total":{"type":"number","value":%d,"confidence":0.%02d}}}]}`,
				i, began, i%5, i%5, i, i, 1+i%9, i, i, 10+i%89)
			c, err := review.Interpret(review.Event{ID: "x", Type: review.EventRunNeedsReview, Payload: []byte(p)})
			if err != nil {
				return err
			}
			outs = append(outs, review.EventOutcome{Change: c})
		}
		if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, outs); err != nil {
			return err
		}
	}
	return nil
}

// benchFanOut opens 1,000 signed-in sockets and times how long one change
// (a claim, committed) takes to reach each; then the same for a bare
// gorilla/websocket broadcast; then the memory in use.
func benchFanOut(ctx context.Context, e *viewerEnv) (fan, base, mem []result, err error) {
	// A thousand dashboards are a hundred people with ten tabs each (one
	// person may hold 32 sockets).
	var people []http.Header
	for i := range sockets / 10 {
		c, err := e.signIn(ctx, fmt.Sprintf("watcher%03d@example.com", i))
		if err != nil {
			return nil, nil, nil, err
		}
		people = append(people, http.Header{"Origin": {e.url}, "Cookie": {c.Name + "=" + c.Value}})
	}
	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	conns := make([]*websocket.Conn, 0, sockets)
	for i := range sockets {
		c, _, err := websocket.DefaultDialer.Dial("ws"+e.url[len("http"):]+"/ws", people[i%len(people)])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("dial: %w", err)
		}
		c.ReadMessage() // hello
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms1)

	lat, err := fanOutRounds(conns, func(i int) error {
		if i%2 == 0 {
			_, err := e.store.ClaimRun(ctx, "workflow_run_q000000", "bench@example.com", time.Minute)
			return err
		}
		return e.store.Release(ctx, "workflow_run_q000000", "bench@example.com", false)
	})
	if err != nil {
		return nil, nil, nil, err
	}

	// Baseline: a bare server that writes each message to every socket.
	var mu sync.Mutex
	var peers []*websocket.Conn
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		peers = append(peers, c)
		mu.Unlock()
	}))
	defer raw.Close()
	var rawConns []*websocket.Conn
	for range sockets {
		c, _, err := websocket.DefaultDialer.Dial("ws"+raw.URL[len("http"):], nil)
		if err != nil {
			return nil, nil, nil, err
		}
		rawConns = append(rawConns, c)
	}
	defer func() {
		for _, c := range rawConns {
			c.Close()
		}
	}()
	for {
		mu.Lock()
		n := len(peers)
		mu.Unlock()
		if n == sockets {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rawLat, err := fanOutRounds(rawConns, func(i int) error {
		msg := []byte(fmt.Sprintf(`{"kind":"claim","seq":%d,"runId":"workflow_run_q000000"}`, i))
		for _, p := range peers {
			if err := p.WriteMessage(websocket.TextMessage, msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	perSocket := float64(ms1.HeapInuse-ms0.HeapInuse) / sockets / 1024
	fmt.Fprintf(os.Stderr, "fan-out to %d: p99 %s (raw %s); heap +%.1f KiB per socket pair\n", sockets, ms(percentile(lat, 99)), ms(percentile(rawLat, 99)), perSocket)
	var rss string
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range bytesLines(b) {
			if len(line) > 6 && line[:6] == "VmRSS:" {
				rss = line[6:]
			}
		}
	}
	return []result{
			{Name: fmt.Sprintf("one queue change reaching %d open dashboards, p99 (p50) from the start of the write (claim, commit, feed, hub) to receipt", sockets),
				Value:    fmt.Sprintf("%s (%s)", ms(percentile(lat, 99)), ms(percentile(lat, 50))),
				Baseline: fmt.Sprintf("%s (%s) for a bare gorilla/websocket loop writing to every socket", ms(percentile(rawLat, 99)), ms(percentile(rawLat, 50))), Goal: "p99 < 50 ms"},
		}, nil, []result{
			{Name: fmt.Sprintf("memory with %d sockets open", sockets), Value: fmt.Sprintf("heap +%.1f MiB for %d server sockets and their %d in-process clients (the whole bench process: RSS %s, with two PDFium instances and the %d-run queue work)",
				float64(ms1.HeapInuse-ms0.HeapInuse)/(1<<20), sockets, sockets, trimSpace(rss), queueRuns), Baseline: "", Goal: "< 200 MB"},
		}, nil
}

// fanOutRounds runs 20 rounds of send and times, for every connection, the
// wait from the moment send began (for reviewer: the write, its commit, the
// feed, the hub) to the message's arrival.
func fanOutRounds(conns []*websocket.Conn, send func(i int) error) ([]time.Duration, error) {
	var lat []time.Duration
	for i := range 20 {
		var wg sync.WaitGroup
		got := make([]time.Time, len(conns))
		for j, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, _, err := c.ReadMessage(); err == nil {
					got[j] = time.Now()
				}
			}()
		}
		time.Sleep(50 * time.Millisecond) // every reader waiting
		sent := time.Now()
		if err := send(i); err != nil {
			return nil, err
		}
		wg.Wait()
		for _, g := range got {
			if g.IsZero() {
				return nil, fmt.Errorf("a socket missed a message")
			}
			lat = append(lat, g.Sub(sent))
		}
	}
	return lat, nil
}

func bytesLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}
