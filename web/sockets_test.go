package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// login signs an existing user in again: a second session.
func (e *env) login(email string) *http.Client {
	return e.loginWith(email, "a long enough password")
}

func (e *env) loginWith(email, password string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	return c
}

// closed waits, with a generous ceiling, for the server to end conn.
func closed(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the socket is still open")
			}
			return
		}
	}
}

// waitFor polls cond until it holds, failing after a generous ceiling.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
	}
}

// TestSocketCaps reproduces the red team's 20,000 sockets on one cookie:
// past 16 a session, 32 a person or the server's cap, a socket is refused
// with a sentence, and the webhook and health check still answer.
func TestSocketCaps(t *testing.T) { pgtest.Each(t, testSocketCaps) }

func testSocketCaps(t *testing.T) {
	e := newEnv(t, web.Config{MaxSockets: 40})
	c := e.signIn("rev@example.com", review.RoleReviewer)
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	refused := func(c *http.Client, status int, says string) {
		t.Helper()
		conn, resp, err := e.dial(c, e.srv.URL, "")
		if err == nil {
			conn.Close()
			t.Fatalf("socket %d accepted, want %d", len(open)+1, status)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status || !strings.Contains(string(b), says) {
			t.Fatalf("refusal: %s %s, want %d saying %q", resp.Status, b, status, says)
		}
	}
	dial := func(c *http.Client) {
		t.Helper()
		conn, resp, err := e.dial(c, e.srv.URL, "")
		if err != nil {
			t.Fatalf("socket %d: %v %v", len(open)+1, resp.Status, err)
		}
		read(t, conn) // hello
		open = append(open, conn)
	}
	for range 16 {
		dial(c)
	}
	refused(c, http.StatusTooManyRequests, "close some tabs")
	sessions := []*http.Client{c}
	for len(open) < 32 {
		if len(open)%16 == 0 {
			sessions = append(sessions, e.login("rev@example.com"))
		}
		dial(sessions[len(sessions)-1])
	}
	refused(e.login("rev@example.com"), http.StatusTooManyRequests, "the most one person may")
	other := e.signIn("other@example.com", review.RoleReviewer)
	for len(open) < 40 {
		if len(open)%16 == 0 {
			other = e.login("other@example.com")
		}
		dial(other)
	}
	refused(e.signIn("third@example.com", review.RoleReviewer), http.StatusServiceUnavailable, "as many live connections as it takes")

	if resp, body := get(t, http.DefaultClient, e.srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("health while full: %s %s", resp.Status, body)
	}
	if _, b := get(t, http.DefaultClient, e.srv.URL+"/metrics"); !strings.Contains(b, "reviewer_websockets_open 40") {
		t.Fatal("metrics do not count the open sockets")
	}
	// A socket closed gives its place back.
	open[0].Close()
	open = open[1:]
	waitFor(t, func() bool {
		_, b := get(t, http.DefaultClient, e.srv.URL+"/metrics")
		return strings.Contains(b, "reviewer_websockets_open 39")
	})
}

// TestSocketsEndWithAccess: sign-out closes the session's sockets; a
// disabled account's, and a reset password's, close at once.
func TestSocketsEndWithAccess(t *testing.T) { pgtest.Each(t, testSocketsEndWithAccess) }

func testSocketsEndWithAccess(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("rev@example.com", review.RoleReviewer)
	conn, _, err := e.dial(c, e.srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	read(t, conn)
	resp, err := c.PostForm(e.srv.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	closed(t, conn)

	admin := e.signIn("admin@example.com", review.RoleAdmin)
	users, _ := e.store.Users(t.Context())
	var id string
	for _, u := range users {
		if u.Email == "rev@example.com" {
			id = strconvI(u.ID)
		}
	}
	for _, change := range []url.Values{{"password": {"another long password"}}, {"disabled": {"1"}}} {
		password := "a long enough password"
		if change.Has("disabled") { // after the reset
			password = "another long password"
		}
		c = e.loginWith("rev@example.com", password)
		conn, _, err = e.dial(c, e.srv.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		read(t, conn)
		resp, err = admin.PostForm(e.srv.URL+"/admin/users/"+id, change)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		closed(t, conn)
	}
}
