package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// declared is what the silent and slow senders announce: the largest body
// the webhook takes by default.
const declared = 32 << 20

// silentHold bounds what a connection that has sent no body may hold: far
// below the 32 MiB it declares.
const silentHold = 64 << 10

// TestWebhookSilentBodiesDoNotStarve reproduces the attack on the body
// budget: connections that send the webhook headers with a 32 MiB length
// and then nothing. While they stay open, signed webhooks keep answering
// 200, and the silent ones hold almost nothing; closed, they hold nothing.
func TestWebhookSilentBodiesDoNotStarve(t *testing.T) {
	// A grace longer than the test: the silent connections stay for all of it.
	e := newEnv(t, web.Config{BodyGrace: 10 * time.Minute})
	const silent = 8
	var conns []net.Conn
	for range silent {
		c := openBody(t, e, declared, time.Now())
		defer c.Close()
		conns = append(conns, c)
	}
	waitBodies(t, e, func(reading, _ int64) bool { return reading == silent })
	for i := range 10 {
		start := time.Now()
		body := demo.Event(fmt.Sprintf("evt_silent_%d", i), review.EventWorkflowCreated, json.RawMessage(`{"object":"workflow","id":"workflow_s","name":"S"}`))
		resp, out := e.post(body, secret, time.Now())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("signed webhook %d beside %d silent connections: %s %v after %s", i, silent, resp.Status, out, time.Since(start))
		}
	}
	reading, held := bodyGauges(t, e)
	if reading != silent {
		t.Fatalf("%d bodies being read after the signed ones, want the %d silent", reading, silent)
	}
	t.Logf("%d silent connections declaring %d MiB hold %d bytes", silent, declared>>20, held)
	if held > silent*silentHold {
		t.Fatalf("%d silent connections hold %d bytes; at most %d each", silent, held, silentHold)
	}

	for _, c := range conns {
		c.Close()
	}
	waitBodies(t, e, func(reading, held int64) bool { return reading == 0 && held == 0 })
}

// TestWebhookSlowBodyIsCut: after the grace, a body must average the
// minimum rate. One dripping a byte at a time is cut with a sentence and
// gives its room back; one that sent a good part at once may pause within
// what it has sent, and is answered 200.
func TestWebhookSlowBodyIsCut(t *testing.T) {
	const grace, rate = 300 * time.Millisecond, 4 << 10
	e := newEnv(t, web.Config{BodyGrace: grace, BodyRate: rate})

	// Signed and sent in two halves, with the slow one's life between them.
	ts := time.Now()
	body := demo.Event("evt_halves", review.EventWorkflowCreated, json.RawMessage(`{"object":"workflow","id":"workflow_h","name":"`+strings.Repeat("h", 16<<10)+`"}`))
	halves := openSigned(t, e, body, ts)
	defer halves.Close()
	half := len(body) / 2
	if _, err := halves.Write(body[:half]); err != nil {
		t.Fatal(err)
	}

	slow := openBody(t, e, declared, time.Now())
	defer slow.Close()
	dripped := make(chan struct{})
	go func() { // a byte every 10 ms, 100 bytes a second: until the server cuts it
		defer close(dripped)
		for {
			if _, err := slow.Write([]byte{' '}); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	resp, answer := readAnswer(t, slow)
	t.Logf("slow body cut after %s: %s %s", time.Since(start).Round(time.Millisecond), resp.Status, answer)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(answer, "too slowly") {
		t.Fatalf("a body dripping below %d bytes a second: %s %s", rate, resp.Status, answer)
	}
	slow.Close()
	<-dripped

	if _, err := halves.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	if resp, answer := readAnswer(t, halves); resp.StatusCode != http.StatusOK {
		t.Fatalf("a body that paused within what it had sent: %s %s", resp.Status, answer)
	}
	waitBodies(t, e, func(reading, held int64) bool { return reading == 0 && held == 0 })
}

// openBody connects and sends the headers of a webhook with a fresh,
// well-formed signature and the declared length, and no body.
func openBody(t *testing.T, e *env, length int, ts time.Time) net.Conn {
	t.Helper()
	return openRaw(t, e, length, ts, review.Sign(secret, ts.Unix(), nil))
}

// openSigned sends the headers of body rightly signed, and no body yet.
func openSigned(t *testing.T, e *env, body []byte, ts time.Time) net.Conn {
	t.Helper()
	return openRaw(t, e, len(body), ts, review.Sign(secret, ts.Unix(), body))
}

func openRaw(t *testing.T, e *env, length int, ts time.Time, sig string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c, "POST /webhooks/extend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %d\r\n%s: %s\r\n\r\n",
		length, review.HeaderTimestamp, ts.Unix(), review.HeaderSignature, sig); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads the server's answer on c, waiting at most a minute (a
// ceiling, not the expectation).
func readAnswer(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// bodyGauges reads from /metrics the webhook bodies being read and the
// bytes held for them.
func bodyGauges(t *testing.T, e *env) (reading, held int64) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.ParseInt(value, 10, 64)
		switch name {
		case "reviewer_webhook_bodies_reading":
			reading, found = n, found+1
		case "reviewer_webhook_body_bytes":
			held, found = n, found+1
		}
	}
	if found != 2 {
		t.Fatal("/metrics shows no webhook body gauges")
	}
	return reading, held
}

// waitBodies waits, with a generous ceiling, until the body gauges satisfy ok.
func waitBodies(t *testing.T, e *env, ok func(reading, held int64) bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		reading, held := bodyGauges(t, e)
		if ok(reading, held) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d bodies being read, %d bytes held", reading, held)
		}
	}
}
