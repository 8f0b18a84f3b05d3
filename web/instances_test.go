package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestInstancesOnOnePostgres: two reviewers through the one wiring, every
// worker running, on one PostgreSQL database, as behind a load balancer.
// A session made on one works on the other, failed sign-ins on one count
// on the other, and people with one run open on either see each other; webhooks acknowledged by one
// and a claim made on one reach a page open on the other; and 1,000 deliveries (ten destinations,
// fifty runs decided twice, decisions made on both) are each received
// once, a run's in the order of its decisions, whichever instance sends.
func TestInstancesOnOnePostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.URL(t)
	a := newEnvWith(t, web.Config{}, envOptions{db: db, undo: time.Millisecond})
	b := newEnvWith(t, web.Config{}, envOptions{db: db, undo: time.Millisecond})
	ctx := context.Background()

	c := a.signIn("sup@example.com", review.RoleSupervisor)
	if resp, _ := get(t, c, b.srv.URL+"/dashboard"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a session of instance a on instance b: %s", resp.Status)
	}
	// Sign-in limits hold across instances: failures on a count on b.
	for i := range 6 {
		e := []*env{a, b}[i%2]
		resp, err := http.PostForm(e.srv.URL+"/login", url.Values{"email": {"sup@example.com"}, "password": {"a wrong password"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: http.StatusUnauthorized, true: http.StatusTooManyRequests}[i == 5]; resp.StatusCode != want {
			t.Fatalf("failed sign-in %d on instance %d: %s, want %d", i+1, i%2, resp.Status, want)
		}
	}
	// Two people with one run open, on different instances, see each other.
	c2 := b.signIn("ana@example.com", review.RoleReviewer)
	pa, _, err := a.dial(c, a.srv.URL, "?run=workflow_run_00")
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Close()
	pb, _, err := b.dial(c2, b.srv.URL, "?run=workflow_run_00")
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	for _, p := range []*websocket.Conn{pa, pb} {
		for {
			p.SetReadDeadline(time.Now().Add(time.Minute)) // a ceiling
			_, raw, err := p.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for both viewers: %v", err)
			}
			if strings.Contains(string(raw), `"viewers":["ana@example.com","sup@example.com"]`) {
				break
			}
		}
	}
	conn, _, err := b.dial(c, b.srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 50 {
		payload := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%02d","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"Invoices"},
			"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{"total":{"type":"number","value":%d,"confidence":0.5}}}]}`, i, i, i)
		if resp, _ := a.post(demo.Event(fmt.Sprint("evt_", i), review.EventRunNeedsReview, json.RawMessage(payload)), secret, time.Now()); resp.StatusCode != 200 {
			t.Fatalf("webhook to a: %s", resp.Status)
		}
	}
	for seen := map[string]bool{}; len(seen) < 50; { // each run reaches the page on b
		seen[read(t, conn).RunID] = true
	}
	// A claim made on a, seen on the page open on b.
	var lat []time.Duration
	for i := range 50 {
		id := fmt.Sprintf("workflow_run_%02d", i)
		start := time.Now()
		if _, err := a.desk.Claim(ctx, id, "sup@example.com"); err != nil {
			t.Fatal(err)
		}
		for m := read(t, conn); m.RunID != id; m = read(t, conn) {
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("a claim on a, then on a page open on b: p50 %v, p99 %v (figures for the record; make bench measures)", lat[len(lat)/2], lat[len(lat)*99/100])

	var mu sync.Mutex
	got := map[string][]string{} // destination and run → event types, as received
	ids := map[string]int{}      // event id and destination → times received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			EventID   string `json:"eventId"`
			EventType string `json:"eventType"`
			Payload   struct {
				ID string `json:"id"`
			} `json:"payload"`
		}
		json.Unmarshal(body, &ev)
		mu.Lock()
		got[r.URL.Path+" "+ev.Payload.ID] = append(got[r.URL.Path+" "+ev.Payload.ID], ev.EventType)
		ids[r.URL.Path+" "+ev.EventID]++
		mu.Unlock()
	}))
	defer recv.Close()
	for d := range 10 {
		if _, err := a.store.AddDestination(ctx, review.Destination{URL: fmt.Sprintf("%s/d%d", recv.URL, d), Secret: "0123456789abcdef", AllowPrivate: true}); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(e *env, run string, approve bool) {
		t.Helper()
		rv, err := e.store.Review(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.desk.Decide(ctx, run, &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}, desk.Verdict{Version: rv.Version, Approve: approve, Note: "not ours"}); err != nil {
			t.Fatalf("decide %s: %v", run, err)
		}
	}
	for i := range 50 {
		run := fmt.Sprintf("workflow_run_%02d", i)
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		decide(first, run, true)
		if err := second.desk.Reopen(ctx, run, "sup@example.com"); err != nil {
			t.Fatal(err)
		}
		decide(second, run, false)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := 0
		for _, c := range ids {
			n += c
		}
		mu.Unlock()
		if n >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 1,000 deliveries received after two minutes", n)
		}
	}
	// Whatever would come twice comes now: every item is marked delivered.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		ds, err := b.store.RecentDeliveries(ctx, 2000)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, d := range ds {
			if d.State == review.DeliveryDelivered {
				done++
			}
		}
		if done == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries marked delivered", done, len(ds))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for k, n := range ids {
		if n != 1 {
			t.Errorf("%s received %d times", k, n)
		}
	}
	if len(got) != 500 {
		t.Fatalf("%d destination-run lines, want 500", len(got))
	}
	for k, types := range got {
		if strings.Join(types, ",") != review.EventRunCompleted+","+review.EventRunRejected {
			t.Errorf("%s received %v, want the approval then the rejection", k, types)
		}
	}
}
