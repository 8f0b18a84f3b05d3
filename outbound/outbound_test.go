package outbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/outbound"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

const secret = "whsec_receiver_0123456789"

// receiver verifies each delivery with the verifier reviewer uses for
// Extend's webhooks, fails the first `fail` requests, and records the rest.
type receiver struct {
	mu       sync.Mutex
	fail     int
	requests int
	got      []envelope
	srv      *httptest.Server
}

type envelope struct {
	EventID   string              `json:"eventId"`
	EventType string              `json:"eventType"`
	Payload   json.RawMessage     `json:"payload"`
	Audit     []review.AuditEntry `json:"reviewerAudit"`
}

func newReceiver(t *testing.T, fail int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := review.Verify([]string{secret}, req.Header.Get(review.HeaderTimestamp), req.Header.Get(review.HeaderSignature), body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		if r.requests <= r.fail {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		var e envelope
		json.Unmarshal(body, &e)
		r.got = append(r.got, e)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func setup(t *testing.T, dir string) (*storage.Store, *outbound.Worker) {
	t.Helper()
	s, err := storage.Open(context.Background(), dir, storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := outbound.NewWorker(s, extend.New("http://127.0.0.1:1", "", false), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Backoff = func(int) time.Duration { return 0 }
	return s, w
}

// queue puts a run of wf_1 in the queue, as its webhook does.
func queue(t *testing.T, s *storage.Store, runID string) {
	t.Helper()
	p := fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":"NEEDS_REVIEW","workflow":{"id":"wf_1","name":"W"}}`, runID)
	c, err := review.Interpret(review.Event{ID: "e_" + runID, Type: review.EventRunNeedsReview, Payload: json.RawMessage(p)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(context.Background(), []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
}

// decide queues a run and decides it, as the web layer does.
func decide(t *testing.T, s *storage.Store, runID string, approve bool, version int) {
	t.Helper()
	ctx := context.Background()
	if version == 0 {
		queue(t, s, runID)
	}
	typ := review.EventRunCompleted
	if !approve {
		typ = review.EventRunRejected
	}
	body, _ := json.Marshal(map[string]any{"eventId": "evt_" + runID + typ, "eventType": typ, "payload": map[string]string{"id": runID},
		"reviewerAudit": []review.AuditEntry{{Actor: "ana@example.com", Action: "approve"}}})
	d := review.Decision{Approved: approve, By: "ana@example.com", At: time.Now(), Note: "n"}
	out := review.Outbound{EventID: "evt_" + runID + typ, EventType: typ, Body: body}
	ds, err := s.Destinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ds {
		if x.Wants(typ, "wf_1") {
			out.To = append(out.To, x.ID)
		}
	}
	out.Seen = ds
	if err := s.Decide(ctx, runID, version, d, []byte(`{}`), nil, out); err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, w *outbound.Worker) {
	t.Helper()
	for range 50 {
		n, err := w.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("deliveries never settled")
}

func TestDeliveredOnceAfterFailures(t *testing.T) { pgtest.Each(t, testDeliveredOnceAfterFailures) }

func testDeliveredOnceAfterFailures(t *testing.T) {
	r := newReceiver(t, 3)
	s, w := setup(t, t.TempDir())
	if _, err := s.AddDestination(context.Background(), review.Destination{URL: r.srv.URL, Secret: secret, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	decide(t, s, "workflow_run_a", true, 0)
	drain(t, w)
	if r.requests != 4 || len(r.got) != 1 {
		t.Fatalf("%d requests, %d accepted; want 3 failures then one delivery", r.requests, len(r.got))
	}
	e := r.got[0]
	if e.EventType != review.EventRunCompleted || string(e.Payload) != `{"id":"workflow_run_a"}` || len(e.Audit) != 1 {
		t.Fatalf("envelope = %+v", e)
	}
	log, _ := s.RecentDeliveries(context.Background(), 10)
	if log[0].State != review.DeliveryDelivered || log[0].Attempts != 4 || log[0].LastStatus != 200 || log[0].LastSnippet != "" {
		t.Fatalf("log = %+v", log[0])
	}
}

// TestOrderPerRun: an approval that fails, then the run is reopened and
// rejected; the rejection waits for the approval to get through.
func TestOrderPerRun(t *testing.T) { pgtest.Each(t, testOrderPerRun) }

func testOrderPerRun(t *testing.T) {
	r := newReceiver(t, 2)
	s, w := setup(t, t.TempDir())
	s.AddDestination(context.Background(), review.Destination{URL: r.srv.URL, Secret: secret, AllowPrivate: true})
	decide(t, s, "workflow_run_b", true, 0)
	if err := desk.New(s, nil, nil, nil).Reopen(context.Background(), "workflow_run_b", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	decide(t, s, "workflow_run_b", false, 2)
	drain(t, w)
	if len(r.got) != 2 || r.got[0].EventType != review.EventRunCompleted || r.got[1].EventType != review.EventRunRejected {
		t.Fatalf("order = %+v", r.got)
	}
}

// TestSurvivesRestart: the receiver is down (it drops every connection),
// reviewer stops with the delivery pending; after a restart, with the
// receiver back, the delivery goes out.
func TestSurvivesRestart(t *testing.T) { pgtest.Each(t, testSurvivesRestart) }

func testSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t, 0)
	var down sync.Mutex
	isDown := true
	inner := r.srv.Config.Handler
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		down.Lock()
		d := isDown
		down.Unlock()
		if d {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		inner.ServeHTTP(w, req)
	})
	s, w := setup(t, dir)
	s.AddDestination(context.Background(), review.Destination{URL: r.srv.URL, Secret: secret, AllowPrivate: true})
	decide(t, s, "workflow_run_c", true, 0)
	if _, err := w.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	log, _ := s.RecentDeliveries(context.Background(), 10)
	if log[0].State != review.DeliveryPending || log[0].Attempts != 1 || log[0].LastError == "" || log[0].LastSnippet != "" {
		t.Fatalf("while down: %+v", log[0])
	}
	s.Close() // reviewer stops

	down.Lock()
	isDown = false
	down.Unlock()
	s2, w2 := setup(t, dir)
	drain(t, w2)
	if len(r.got) != 1 {
		t.Fatalf("after restart: %d deliveries", len(r.got))
	}
	log, _ = s2.RecentDeliveries(context.Background(), 10)
	if log[0].State != review.DeliveryDelivered || log[0].Attempts != 2 {
		t.Fatalf("after restart: %+v", log[0])
	}
}

func TestPrivateAddressRefused(t *testing.T) { pgtest.Each(t, testPrivateAddressRefused) }

func testPrivateAddressRefused(t *testing.T) {
	r := newReceiver(t, 0)
	s, w := setup(t, t.TempDir())
	s.AddDestination(context.Background(), review.Destination{URL: r.srv.URL, Secret: secret}) // 127.0.0.1, not allowed
	decide(t, s, "workflow_run_d", true, 0)
	drain(t, w)
	if r.requests != 0 {
		t.Fatal("a request reached a private address")
	}
	log, _ := s.RecentDeliveries(context.Background(), 10)
	if log[0].State != review.DeliveryDead || log[0].LastError != outbound.ErrPrivate.Error() {
		t.Fatalf("log = %+v", log[0])
	}
	if err := s.Redeliver(context.Background(), log[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestBackoffReachesADay(t *testing.T) {
	total := time.Duration(0)
	for a := 0; total < outbound.GiveUpAfter; a++ {
		total += outbound.Backoff(a)
		if a > 100 {
			t.Fatal("backoff never adds up to the give-up time")
		}
	}
	if d := outbound.Backoff(30); d > 72*time.Minute {
		t.Fatalf("backoff grows past an hour and a fifth: %s", d)
	}
}

// TestSnippetsKept: the start of a failed answer is kept for the admin.
func TestSnippetsKept(t *testing.T) { pgtest.Each(t, testSnippetsKept) }

func testSnippetsKept(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"schema mismatch on payload.outputs"}`, http.StatusUnprocessableEntity)
	}))
	defer srv.Close()
	s, w := setup(t, t.TempDir())
	s.AddDestination(context.Background(), review.Destination{URL: srv.URL, Secret: secret, AllowPrivate: true})
	decide(t, s, "workflow_run_e", true, 0)
	if _, err := w.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	log, _ := s.RecentDeliveries(context.Background(), 1)
	if log[0].LastStatus != 422 || log[0].LastSnippet != `{"error":"schema mismatch on payload.outputs"}` {
		t.Fatalf("log = %+v", log[0])
	}
}

// TestRedirectIsAFailure: a receiver answering 302 gets no GET without the
// body; the delivery fails with the Location shown, and is retried.
func TestRedirectIsAFailure(t *testing.T) { pgtest.Each(t, testRedirectIsAFailure) }

func testRedirectIsAFailure(t *testing.T) {
	followed := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed++ }))
	defer target.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	}))
	defer moved.Close()
	s, w := setup(t, t.TempDir())
	s.AddDestination(context.Background(), review.Destination{URL: moved.URL, Secret: secret, AllowPrivate: true})
	decide(t, s, "workflow_run_r", true, 0)
	if _, err := w.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	log, _ := s.RecentDeliveries(context.Background(), 10)
	if followed != 0 || log[0].State == review.DeliveryDelivered || !strings.Contains(log[0].LastError, "HTTP 302, redirected to "+target.URL+"/elsewhere") {
		t.Fatalf("followed %d times; log %+v", followed, log[0])
	}
}
