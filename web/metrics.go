package web

import (
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/reviewer-app/reviewer/review"
)

// metrics counts what happens at the HTTP edge. Gauges (queue depth, event
// and file states) are read from the database at scrape time.
type metrics struct {
	mu       sync.Mutex
	webhooks map[string]int64 // by result
}

func newMetrics() *metrics { return &metrics{webhooks: map[string]int64{}} }

// webhook counts one webhook delivery by its outcome.
func (m *metrics) webhook(err error) {
	result := "accepted"
	if err != nil {
		result = review.ErrorCode(err)
	}
	m.mu.Lock()
	m.webhooks[result]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if !s.metricsAllowed(r) {
		http.NotFound(w, r)
		return nil
	}
	ctx := r.Context()
	depth, err := s.store.QueueDepth(ctx)
	if err != nil {
		return err
	}
	events, err := s.store.EventCounts(ctx)
	if err != nil {
		return err
	}
	files, err := s.store.FileCounts(ctx)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	p("# HELP reviewer_webhook_requests_total Webhook deliveries received, by result.\n# TYPE reviewer_webhook_requests_total counter\n")
	s.metrics.mu.Lock()
	for _, k := range sortedKeys(s.metrics.webhooks) {
		p("reviewer_webhook_requests_total{result=%q} %d\n", k, s.metrics.webhooks[k])
	}
	s.metrics.mu.Unlock()
	reading, held := s.bodies.inUse()
	p("# HELP reviewer_webhook_bodies_reading Webhook bodies being received now.\n# TYPE reviewer_webhook_bodies_reading gauge\nreviewer_webhook_bodies_reading %d\n", reading)
	p("# HELP reviewer_webhook_body_bytes Bytes held for webhook bodies being received now.\n# TYPE reviewer_webhook_body_bytes gauge\nreviewer_webhook_body_bytes %d\n", held)
	p("# HELP reviewer_live_bursts_total Times a page's queue of changes was folded into one burst message.\n# TYPE reviewer_live_bursts_total counter\nreviewer_live_bursts_total %d\n", s.hub.Bursts())
	p("# HELP reviewer_websockets_open Live-update connections open.\n# TYPE reviewer_websockets_open gauge\nreviewer_websockets_open %d\n", s.sockets.count())
	if s.pages != nil {
		p("# HELP reviewer_pdfium_restarts_total PDFium instances replaced after running out of time or memory, or failing.\n# TYPE reviewer_pdfium_restarts_total counter\nreviewer_pdfium_restarts_total %d\n", s.pages.Restarts())
		b := s.pages.Decoding()
		p("# HELP reviewer_decode_bytes_held Bytes the decoders hold now, of the decoding budget.\n# TYPE reviewer_decode_bytes_held gauge\nreviewer_decode_bytes_held %d\n", b.Held)
		p("# HELP reviewer_decode_bytes_peak The most bytes the decoders held at once since start.\n# TYPE reviewer_decode_bytes_peak gauge\nreviewer_decode_bytes_peak %d\n", b.Peak)
		p("# HELP reviewer_decode_busy_total Requests told to come back because the decoding budget was taken.\n# TYPE reviewer_decode_busy_total counter\nreviewer_decode_busy_total %d\n", b.Busy)
	}
	if s.worker != nil {
		processed, failed, fetched, fetchErrors := s.worker.Counts()
		p("# HELP reviewer_events_processed_total Events applied since start.\n# TYPE reviewer_events_processed_total counter\nreviewer_events_processed_total %d\n", processed)
		p("# HELP reviewer_events_failed_total Events whose processing failed since start.\n# TYPE reviewer_events_failed_total counter\nreviewer_events_failed_total %d\n", failed)
		p("# HELP reviewer_files_fetched_total Documents fetched from Extend since start.\n# TYPE reviewer_files_fetched_total counter\nreviewer_files_fetched_total %d\n", fetched)
		p("# HELP reviewer_file_fetch_errors_total Failed document fetch attempts since start.\n# TYPE reviewer_file_fetch_errors_total counter\nreviewer_file_fetch_errors_total %d\n", fetchErrors)
	}
	p("# HELP reviewer_events Stored webhook events, by processing state.\n# TYPE reviewer_events gauge\n")
	for _, k := range sortedKeys(events) {
		p("reviewer_events{state=%q} %d\n", k, events[k])
	}
	p("# HELP reviewer_files Documents, by fetch state.\n# TYPE reviewer_files gauge\n")
	for _, k := range sortedKeys(files) {
		p("reviewer_files{state=%q} %d\n", k, files[k])
	}
	p("# HELP reviewer_queue_depth Runs waiting for review.\n# TYPE reviewer_queue_depth gauge\nreviewer_queue_depth %d\n", depth)
	return nil
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		return review.Errorf(review.EUNAVAILABLE, "database: %v", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
	return nil
}
