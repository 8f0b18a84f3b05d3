package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// load is a sustained offered rate for a stated time.
type load struct {
	perSecond int
	duration  time.Duration
}

func (l load) events() int { return int(float64(l.perSecond) * l.duration.Seconds()) }

// The loads of the acknowledged-to-visible benchmark: a quiet default that
// fits make bench, and the goal (-long).
var (
	quietLoad = load{200, 20 * time.Second}
	longLoad  = load{3000, 60 * time.Second}
	sustained = quietLoad
)

const (
	queueSockets = 12              // queue pages open while the load runs
	drainCeiling = 5 * time.Minute // how long the bench waits for the backlog after the load
)

// visible is what one sustained load measured.
type visible struct {
	load
	acked, shown, fetched, measured int
	ackLat, toVisible               []time.Duration // from the scheduled send; from the 200 to the row on every socket
	ackRate, applyRate              float64
	drained                         time.Duration // from the first scheduled send to the last row shown
	backlog                         []int         // acknowledged, not yet on the sockets, each second
	docsRate                        float64
	docsDone                        time.Duration
}

// benchVisible offers l's rate of signed needs_review events, each its own
// run and document, to a reviewer on dir through the one wiring, with
// queueSockets queue pages open, and times each event from its scheduled
// send to its acknowledgement and from its acknowledgement to its row
// published on every socket. Events are scheduled at fixed times whatever
// the server does, and a late acknowledgement counts from its scheduled
// time (no coordinated omission).
func benchVisible(ctx context.Context, log io.Writer, dir string, l load) (*visible, error) {
	f, err := demo.File("nics-background-checks-2015-11-rotated.pdf")
	if err != nil {
		return nil, err
	}
	pdf, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	api := fakeExtend(pdf)
	defer api.Close()
	in, stop, err := startWith(ctx, dir, "", api.URL, "sk_bench")
	if err != nil {
		return nil, err
	}
	defer stop()
	env := &viewerEnv{url: in.URL, store: in.Store, handler: in.Server}
	cookie, err := env.signIn(ctx, "watcher@example.com")
	if err != nil {
		return nil, err
	}
	n := l.events()
	v := &visible{load: l}
	sched := make([]time.Time, n)
	ackAt := make([]atomic.Int64, n)
	shownAt := make([]atomic.Int64, n)
	seen := make([]atomic.Int32, n)
	var acked, shown atomic.Int64

	// The sockets: a run is shown when its row reached every one of them.
	var readers sync.WaitGroup
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		readers.Wait()
	}()
	for range queueSockets {
		c, _, err := websocket.DefaultDialer.Dial("ws"+in.URL[len("http"):]+"/ws", http.Header{"Origin": {in.URL}, "Cookie": {cookie.Name + "=" + cookie.Value}})
		if err != nil {
			return nil, fmt.Errorf("dial: %w", err)
		}
		c.ReadMessage() // hello
		conns = append(conns, c)
		readers.Add(1)
		go func() {
			defer readers.Done()
			readSocket(ctx, c, in, n, func(i int) {
				if seen[i].Add(1) == queueSockets {
					shownAt[i].Store(time.Now().UnixNano())
					shown.Add(1)
				}
			})
		}()
	}

	m, err := newBodyMaker()
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: ingestSenders}, Timeout: time.Minute}
	target := in.URL + "/webhooks/extend"
	jobs := make(chan int, n) // never full: the schedule does not wait for the senders
	var failed atomic.Int64
	var senders sync.WaitGroup
	for range ingestSenders {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				if err := demo.Send(ctx, client, target, benchSecret, m.body("s", i)); err != nil {
					failed.Add(1)
					continue
				}
				ackAt[i].Store(time.Now().UnixNano())
				acked.Add(1)
			}
		}()
	}
	start := time.Now().Add(100 * time.Millisecond)
	sampled := make(chan struct{})
	go func() { // the backlog each second, until every run is shown or the ceiling
		defer close(sampled)
		for s := 1; ; s++ {
			time.Sleep(time.Until(start.Add(time.Duration(s) * time.Second)))
			a, sh := acked.Load(), shown.Load()
			v.backlog = append(v.backlog, int(a-sh))
			fmt.Fprintf(log, "  %3d s: %d acknowledged, %d shown, backlog %d, %d documents fetched\n", s, a, sh, a-sh, in.Ingest.FilesFetched.Load())
			if int(sh) == n || time.Since(start) > l.duration+drainCeiling {
				return
			}
		}
	}()
	for i := range n {
		sched[i] = start.Add(time.Duration(i) * time.Second / time.Duration(l.perSecond))
		if d := time.Until(sched[i]); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	senders.Wait()
	sent := time.Since(start)
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("%d deliveries failed", f)
	}
	<-sampled
	v.acked, v.shown = int(acked.Load()), int(shown.Load())
	v.ackRate = float64(v.acked) / sent.Seconds()
	var last int64
	for i := range n {
		ack := time.Unix(0, ackAt[i].Load())
		v.ackLat = append(v.ackLat, ack.Sub(sched[i]))
		if at := shownAt[i].Load(); at != 0 {
			v.toVisible = append(v.toVisible, time.Unix(0, at).Sub(ack))
			last = max(last, at)
		}
	}
	v.drained = time.Unix(0, last).Sub(start)
	v.applyRate = float64(v.shown) / v.drained.Seconds()

	// The documents, each fetched from the fake Extend and measured.
	docs := func() (fetched, measured int) {
		fetched = int(in.Ingest.FilesFetched.Load())
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "reviewer.db")+"?mode=ro")
		if err == nil {
			db.QueryRowContext(ctx, `SELECT count(*) FROM documents`).Scan(&measured)
			db.Close()
		}
		return fetched, measured
	}
	for {
		v.fetched, v.measured = docs()
		v.docsDone = time.Since(start)
		if v.measured >= n || v.docsDone > l.duration+drainCeiling {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	v.docsRate = float64(v.measured) / v.docsDone.Seconds()
	fmt.Fprintf(log, "sustained %d/s for %s: %d acknowledged (%.0f/s), ack p50 %s p99 %s from the scheduled send; %d shown on %d sockets, ack-to-row p50 %s p99 %s; applied %.0f/s, last row %s after the first send; %d documents fetched, %d measured (%.0f/s)\n",
		l.perSecond, l.duration, v.acked, v.ackRate, ms(percentile(v.ackLat, 50)), ms(percentile(v.ackLat, 99)), v.shown, queueSockets,
		ms(percentile(v.toVisible, 50)), ms(percentile(v.toVisible, 99)), v.applyRate, v.drained.Round(time.Millisecond), v.fetched, v.measured, v.docsRate)
	return v, nil
}

// readSocket reads queue messages from c until it closes, calling shown
// with the index of each run of the "s" series the first time c tells of
// it. A burst too large to name its runs is read back from the feed.
func readSocket(ctx context.Context, c *websocket.Conn, in *instance.Instance, n int, shown func(int)) {
	mine := make([]bool, n)
	note := func(id string) {
		i, ok := seriesIndex("s", id)
		if ok && i < n && !mine[i] {
			mine[i] = true
			shown(i)
		}
	}
	var seq int64
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			return
		}
		var msg struct {
			Kind   string   `json:"kind"`
			Seq    int64    `json:"seq"`
			RunID  string   `json:"runId"`
			RunIDs []string `json:"runIds"`
			All    bool     `json:"all"`
		}
		if json.Unmarshal(b, &msg) != nil {
			continue
		}
		if msg.All {
			for seq < msg.Seq {
				chs, err := in.Store.ChangesSince(ctx, seq, 500)
				if err != nil || len(chs) == 0 {
					break
				}
				for _, ch := range chs {
					if ch.Seq <= msg.Seq && ch.Kind == review.FeedRun {
						note(ch.RunID)
					}
					seq = ch.Seq
				}
			}
		}
		note(msg.RunID)
		for _, id := range msg.RunIDs {
			note(id)
		}
		seq = max(seq, msg.Seq)
	}
}

// seriesIndex is the index of a run of series made by bodyMaker.
func seriesIndex(series, runID string) (int, bool) {
	s, ok := strings.CutPrefix(runID, "workflow_run_"+series+"_")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(s, "_rotated"))
	return i, err == nil
}

func (v *visible) results(base float64) []result {
	var marks []string
	for s := 5; s <= len(v.backlog); s += 5 {
		marks = append(marks, fmt.Sprintf("%d at %d s", v.backlog[s-1], s))
	}
	what := fmt.Sprintf("%d signed 20 KB `needs_review` events/s offered for %s by 50 senders, each its own run and document (fake Extend API serving a real PDF), %d queue sockets open", v.perSecond, v.duration, queueSockets)
	return []result{
		{what + ": acknowledged, latency from the scheduled send p99 (p50)",
			fmt.Sprintf("%d of %d, %.0f/s; %s (%s)", v.acked, v.events(), v.ackRate, ms(percentile(v.ackLat, 99)), ms(percentile(v.ackLat, 50))),
			fmt.Sprintf("%.0f rows/s (raw SQLite insert, one row per transaction)", base), "every one; p99 < 25 ms"},
		{"the same: from the acknowledgement to the run's row published on every socket, p99 (p50)",
			fmt.Sprintf("%s (%s), %d of %d shown", ms(percentile(v.toVisible, 99)), ms(percentile(v.toVisible, 50)), v.shown, v.acked), "", "p99 < 1 s"},
		{"the same: applied (rows shown per second, first send to last row); backlog (acknowledged, not shown) every 5 s",
			fmt.Sprintf("%.0f/s, last row %s after the first send; backlog %s", v.applyRate, v.drained.Round(time.Millisecond), strings.Join(marks, ", ")),
			fmt.Sprintf("%.0f/s acknowledged", v.ackRate), "≥ the acknowledged rate; backlog bounded"},
		{"the same: documents fetched from the fake Extend and measured",
			fmt.Sprintf("%d fetched, %d measured, %.0f/s (last after %s)", v.fetched, v.measured, v.docsRate, v.docsDone.Round(time.Millisecond)), "", "≥ 100 documents/s"},
	}
}

// fakeExtend serves GET /files/{id} with a presigned link to itself and, at
// that link, pdf with the file's id appended after its end (so every
// document is its own blob, measured on its own).
func fakeExtend(pdf []byte) *httptest.Server {
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_bench" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		id := r.PathValue("id")
		json.NewEncoder(w).Encode(map[string]string{"object": "file", "id": id, "type": "PDF", "presignedUrl": srv.URL + "/blob/" + id + "?X-Amz-Signature=bench"})
	})
	mux.HandleFunc("GET /blob/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdf)
		fmt.Fprintf(w, "%%bench %s\n", r.PathValue("id"))
	})
	srv = httptest.NewServer(mux)
	return srv
}

// startWith runs a reviewer on dir (and db: "" for SQLite under dir)
// through the one wiring, every worker running, fetching documents from
// the Extend API at extendURL with key, until stop is called.
func startWith(ctx context.Context, dir, db, extendURL, key string) (in *instance.Instance, stop func(), err error) {
	in, err = instance.New(ctx, instance.Config{
		Addr: "127.0.0.1:0", Data: dir, DB: db, ExtendURL: extendURL, ExtendKey: key, FastPasswordHash: true,
		Web: web.Config{WebhookSecrets: []string{benchSecret}},
	})
	if err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(runCtx) }()
	return in, func() { cancel(); <-done }, nil
}
