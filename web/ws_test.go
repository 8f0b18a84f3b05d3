package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// dial opens /ws as the signed-in client c, from origin.
func (e *env) dial(c *http.Client, origin, query string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(e.srv.URL)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if c != nil {
		var cookies []string
		for _, ck := range c.Jar.Cookies(u) {
			cookies = append(cookies, ck.Name+"="+ck.Value)
		}
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	return websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws"+query, h)
}

type wsMsg struct {
	Kind  string `json:"kind"`
	Seq   int64  `json:"seq"`
	RunID string `json:"runId"`
}

func read(t *testing.T, conn *websocket.Conn) wsMsg {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(time.Minute)) // a ceiling, not an expectation
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m wsMsg
	json.Unmarshal(b, &m)
	return m
}

func TestSocketChecksSessionAndOrigin(t *testing.T) { pgtest.Each(t, testSocketChecksSessionAndOrigin) }

func testSocketChecksSessionAndOrigin(t *testing.T) {
	e := newEnv(t, web.Config{})
	if _, resp, err := e.dial(nil, e.srv.URL, ""); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a session: %v %v", resp.Status, err)
	}
	c := e.signIn("rev@example.com", review.RoleReviewer)
	if _, resp, err := e.dial(c, "https://evil.example", ""); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("from another origin: %v %v", resp.Status, err)
	}
	conn, _, err := e.dial(c, e.srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

// TestSocketFanOutAndCatchUp: a change reaches every open page after its
// commit; a page that was away catches up from its last sequence number.
func TestSocketFanOutAndCatchUp(t *testing.T) { pgtest.Each(t, testSocketFanOutAndCatchUp) }

func testSocketFanOutAndCatchUp(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("rev@example.com", review.RoleReviewer)
	var conns []*websocket.Conn
	for range 10 {
		conn, _, err := e.dial(c, e.srv.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if m := read(t, conn); m.Kind != "hello" {
			t.Fatalf("first message %+v", m)
		}
		conns = append(conns, conn)
	}
	runs := invoiceRuns(t)
	e.post(demo.Event("evt_1", review.EventRunNeedsReview, runs[0].Payload), secret, time.Now())
	e.process()
	var last int64
	for i, conn := range conns {
		m := read(t, conn)
		if m.Kind != "run" || m.RunID != "workflow_run_demo_aws_2026" {
			t.Fatalf("page %d got %+v", i, m)
		}
		last = m.Seq
	}
	// One page goes away; two changes happen; it comes back.
	conns[0].Close()
	e.post(demo.Event("evt_2", review.EventRunNeedsReview, runs[1].Payload), secret, time.Now())
	e.process()
	if _, err := e.store.ClaimRun(t.Context(), "workflow_run_demo_qh_2025", "bo@example.com", time.Minute); err != nil {
		t.Fatal(err)
	}
	back, _, err := e.dial(c, e.srv.URL, fmt.Sprintf("?since=%d", last))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	read(t, back) // hello
	got := []wsMsg{read(t, back), read(t, back)}
	if got[0].Kind != "run" || got[0].RunID != "workflow_run_demo_qh_2025" || got[1].Kind != "claim" || got[1].Seq <= got[0].Seq {
		t.Fatalf("catch-up = %+v", got)
	}
}

func TestSocketPresence(t *testing.T) { pgtest.Each(t, testSocketPresence) }

func testSocketPresence(t *testing.T) {
	e := newEnv(t, web.Config{})
	a := e.signIn("ana@example.com", review.RoleReviewer)
	b := e.signIn("bo@example.com", review.RoleReviewer)
	ca, _, err := e.dial(a, e.srv.URL, "?run=workflow_run_x")
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	read(t, ca) // hello or presence, in either order
	read(t, ca)
	cb, _, err := e.dial(b, e.srv.URL, "?run=workflow_run_x")
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	ca.SetReadDeadline(time.Now().Add(time.Minute)) // a ceiling, not an expectation
	_, raw, err := ca.ReadMessage()
	if err != nil || !strings.Contains(string(raw), `"viewers":["ana@example.com","bo@example.com"]`) {
		t.Fatalf("presence for ana: %s %v", raw, err)
	}
}

// TestBurstKeepsPromptPages reproduces the red team's burst: more than 64
// webhooks at once disconnected every live page. A page that reads as it
// should now stays connected and learns of every run that arrived.
func TestBurstKeepsPromptPages(t *testing.T) { pgtest.Each(t, testBurstKeepsPromptPages) }

func testBurstKeepsPromptPages(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("rev@example.com", review.RoleReviewer)
	conn, _, err := e.dial(c, e.srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read(t, conn) // hello
	qh, _ := demo.Payload("qualityhosting_2025.json")
	const n = 300
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := bytes.ReplaceAll(qh, []byte("demo_qh"), []byte(fmt.Sprintf("b%03d", i)))
			e.post(demo.Event(fmt.Sprintf("evt_b%03d", i), review.EventRunNeedsReview, p), secret, time.Now())
		})
	}
	wg.Wait()
	e.process()
	seen := map[string]bool{}
	for len(seen) < n {
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d of %d runs: %v", len(seen), n, err)
		}
		var m struct {
			RunID  string   `json:"runId"`
			RunIDs []string `json:"runIds"`
			All    bool     `json:"all"`
		}
		json.Unmarshal(b, &m)
		if m.All {
			return // told to refresh everything: nothing is missed
		}
		for _, id := range append(m.RunIDs, m.RunID) {
			if strings.HasPrefix(id, "workflow_run_b") {
				seen[id] = true
			}
		}
	}
}
