package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// TestRouteAccessMatrix walks the route table and calls every route as
// every kind of caller, checking each gets in exactly where the route's
// declared rule says. A new route is checked the moment it is listed.
func TestRouteAccessMatrix(t *testing.T) { pgtest.Each(t, testRouteAccessMatrix) }

func testRouteAccessMatrix(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d := desk.New(store, nil, rules.New(nil), nil)
	d.Passwords = passwords.New(true)
	s, err := NewServer(ctx, Config{WebhookSecrets: []string{"wss_x"}}, Deps{Store: store, Desk: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]int64{}
	for _, role := range []review.Role{review.RoleReviewer, review.RoleSupervisor, review.RoleAdmin} {
		u, err := store.CreateUser(ctx, string(role)+"@example.com", "", role, passwordtest.Hash(t, "a long enough password"))
		if err != nil {
			t.Fatal(err)
		}
		users[string(role)] = u.ID
	}
	// A fresh session for every call: POST /logout ends the one it gets.
	cookie := func(role string) *http.Cookie {
		rec := httptest.NewRecorder()
		if err := s.startSession(rec, httptest.NewRequest("GET", "/", nil), users[role]); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()[0]
	}
	token, _ := store.CreateToken(ctx, "matrix", review.RoleAdmin)
	callers := []string{"anonymous", "reviewer", "supervisor", "admin", "token"}
	allowed := func(a access, caller string) bool {
		switch a {
		case anyone, signed:
			return true
		case apiToken, supervisorToken, extendToken, extendSupervisor: // the token is an admin's
			return caller == "token"
		case reviewer:
			return caller == "reviewer" || caller == "supervisor" || caller == "admin"
		case supervisor:
			return caller == "supervisor" || caller == "admin"
		case admin:
			return caller == "admin"
		}
		t.Fatalf("access level %d has no rule in this test", a)
		return false
	}
	for _, rt := range s.routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok { // a pattern for any method
			method, path = "GET", "/no-route-has-this-path"
		}
		path = strings.ReplaceAll(path, "{$}", "")
		for _, seg := range []string{"{runID}", "{fileID}", "{blob}", "{page}", "{id}", "{eventID}", "{workflowID}"} {
			path = strings.ReplaceAll(path, seg, "x")
		}
		if strings.Contains(path, "{") {
			t.Fatalf("%s: a path parameter this test does not fill", rt.pattern)
		}
		for _, caller := range callers {
			req := httptest.NewRequest(method, path, strings.NewReader(""))
			switch caller {
			case "anonymous":
			case "token":
				req.Header.Set("Authorization", "Bearer "+token)
			default:
				req.AddCookie(cookie(caller))
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			loc := rec.Header().Get("Location")
			toLogin := rec.Code == http.StatusSeeOther && strings.HasPrefix(loc, "/login") && path != "/logout" && path != "/setup"
			denied := rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || toLogin
			if rt.access == anyone || rt.access == signed {
				// Open routes answer on their own terms (a bad webhook
				// signature, a finished setup) but never ask to sign in.
				denied = toLogin
			}
			if want := allowed(rt.access, caller); want == denied {
				t.Errorf("%s as %s: %d %s; want allowed=%v", rt.pattern, caller, rec.Code, loc, want)
			}
		}
	}
}

// TestSignInLimits: guessing is slowed per address and per account and
// address; nobody can lock another person out (an account's own delay
// never passes a minute); behind a trusted proxy the client's address is
// read from X-Forwarded-For, and from nobody else.
func TestSignInLimits(t *testing.T) { pgtest.Each(t, testSignInLimits) }

func testSignInLimits(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
	proxies, _ := ParseProxies("10.0.0.1, 10.9.0.0/16")
	d := desk.New(store, nil, nil, nil)
	d.Passwords = passwords.New(true)
	s, _ := NewServer(ctx, Config{TrustedProxies: proxies}, Deps{Store: store, Desk: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	for _, e := range []string{"ana@example.com", "bo@example.com"} {
		store.CreateUser(ctx, e, "", review.RoleReviewer, passwordtest.Hash(t, "the right password"))
	}
	try := func(email, pw, from, xff string) int {
		t.Helper()
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"email": {email}, "password": {pw}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = from + ":1234"
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests && (rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "Too many failed sign-ins")) {
			t.Fatal("a refusal without Retry-After or a sentence")
		}
		return rec.Code
	}
	const ok, wrong, limited = http.StatusSeeOther, http.StatusUnauthorized, http.StatusTooManyRequests

	// One address guessing one account: five tries, then the window.
	for i := range 5 {
		if got := try("ana@example.com", "guess", "203.0.113.9", ""); got != wrong {
			t.Fatalf("guess %d: %d", i, got)
		}
	}
	if got := try("ana@example.com", "the right password", "203.0.113.9", ""); got != limited {
		t.Fatalf("sixth try from the guessing address: %d", got)
	}
	// Ana, elsewhere, waits a second, not fifteen minutes.
	if got := try("ana@example.com", "the right password", "198.51.100.20", ""); got != limited {
		t.Fatalf("right after the guesses: %d, want a short delay", got)
	}
	now = now.Add(2 * time.Second)
	if got := try("ana@example.com", "the right password", "198.51.100.20", ""); got != ok {
		t.Fatalf("Ana from her address: %d", got)
	}

	// Many addresses guessing Bo: his delay never passes a minute.
	for i := range 40 {
		try("bo@example.com", "guess", "192.0.2."+strconv.Itoa(i+1), "")
		now = now.Add(61 * time.Second)
	}
	if got := try("bo@example.com", "the right password", "198.51.100.30", ""); got != ok {
		t.Fatalf("Bo after 40 guesses from 40 addresses, a minute after the last: %d", got)
	}

	// One address guessing many accounts: refused for the window.
	for i := range 20 {
		try("nobody"+strconv.Itoa(i)+"@example.com", "guess", "203.0.113.50", "")
	}
	if got := try("bo@example.com", "the right password", "203.0.113.50", ""); got != limited {
		t.Fatalf("an address after 20 failures: %d", got)
	}

	// Behind the proxy, the client is the right-most untrusted hop: one
	// client's failures do not lock out everyone behind the proxy.
	for i := range 20 {
		try("nobody"+strconv.Itoa(i)+"@example.com", "guess", "10.0.0.1", "203.0.113.77, 10.9.3.4")
	}
	if got := try("bo@example.com", "the right password", "10.0.0.1", "198.51.100.40"); got != ok {
		t.Fatalf("another client behind the proxy: %d", got)
	}
	if got := try("bo@example.com", "the right password", "10.0.0.1", "203.0.113.77"); got != limited {
		t.Fatalf("the guessing client behind the proxy: %d", got)
	}
	// From an untrusted peer the header is ignored: a forged one changes nothing.
	if got := try("bo@example.com", "the right password", "203.0.113.50", "198.51.100.99"); got != limited {
		t.Fatalf("a forged X-Forwarded-For: %d", got)
	}
}

// TestSessionKeyRotation: after a rotation, a cookie signed with the old
// keys still opens its session; new cookies use the new keys.
func TestSessionKeyRotation(t *testing.T) { pgtest.Each(t, testSessionKeyRotation) }

func testSessionKeyRotation(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	old, _ := NewServer(ctx, Config{}, Deps{Store: store, Desk: desk.New(store, nil, nil, nil), Log: quiet})
	u, _ := store.CreateUser(ctx, "ana@example.com", "", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	rec := httptest.NewRecorder()
	old.startSession(rec, httptest.NewRequest("GET", "/", nil), u.ID)
	oldCookie := rec.Result().Cookies()[0]
	keys := desk.New(store, nil, nil, nil)
	if err := keys.RotateSessionKeys(ctx, "cli"); err != nil {
		t.Fatal(err)
	}
	rotated, _ := NewServer(ctx, Config{}, Deps{Store: store, Desk: desk.New(store, nil, nil, nil), Log: quiet})
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(oldCookie)
	if _, err := rotated.session(req); err != nil {
		t.Fatalf("an old cookie after one rotation: %v", err)
	}
	rec = httptest.NewRecorder()
	rotated.startSession(rec, httptest.NewRequest("GET", "/", nil), u.ID)
	fresh := rec.Result().Cookies()[0]
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(fresh)
	if _, err := old.session(req); err == nil {
		t.Fatal("a cookie signed with the new keys opened under the old keys alone")
	}
	keys.RotateSessionKeys(ctx, "cli")
	keys.RotateSessionKeys(ctx, "cli")
	retired, _ := NewServer(ctx, Config{}, Deps{Store: store, Desk: desk.New(store, nil, nil, nil), Log: quiet})
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(oldCookie)
	if _, err := retired.session(req); err == nil {
		t.Fatal("a cookie outlived its keys' retirement")
	}
}

// TestSafeNext: the sign-in redirect stays on this site after the
// normalisation a browser applies ("/\t/evil.example" passed before).
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/runs/workflow_run_1":  "/runs/workflow_run_1",
		"/?workflow=a&age=4":    "/?workflow=a&age=4",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/\\evil.example":       "/",
		"\\/evil.example":       "/",
		" //evil.example":       "/",
		"//evil.example":        "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/\r\n/evil.example":    "/",
		"\x01/runs":             "/runs",
		"":                      "/",
		"runs":                  "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
