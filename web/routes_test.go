package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestRouteAccessMatrix walks the route table and calls every route as
// every kind of caller, checking each gets in exactly where the route's
// declared rule says. A new route is checked the moment it is listed.
func TestRouteAccessMatrix(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{FastPasswordHash: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := NewServer(ctx, Config{WebhookSecrets: []string{"wss_x"}}, Deps{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]int64{}
	for _, role := range []review.Role{review.RoleReviewer, review.RoleSupervisor, review.RoleAdmin} {
		u, err := store.CreateUser(ctx, string(role)+"@example.com", "", role, "a long enough password")
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
		case anyone:
			return true
		case apiToken:
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
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.ReplaceAll(path, "{$}", "")
		for _, seg := range []string{"{runID}", "{fileID}", "{blob}", "{page}", "{id}", "{eventID}"} {
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
			if rt.access == anyone {
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

func TestSignInIsRateLimited(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{FastPasswordHash: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, _ := NewServer(ctx, Config{}, Deps{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	store.CreateUser(ctx, "ana@example.com", "", review.RoleReviewer, "the right password")
	try := func(pw, from string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/login", strings.NewReader("email=ana%40example.com&password="+pw))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = from + ":1234"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for i := range 8 {
		if rec := try("wrong", "203.0.113.9"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	rec := try("the+right+password", "203.0.113.10") // another address, same account
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Too many failed sign-ins") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after 8 failures: %d", rec.Code)
	}
}

// TestSessionKeyRotation: after a rotation, a cookie signed with the old
// keys still opens its session; new cookies use the new keys.
func TestSessionKeyRotation(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, t.TempDir(), storage.Options{FastPasswordHash: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	old, _ := NewServer(ctx, Config{}, Deps{Store: store, Log: quiet})
	u, _ := store.CreateUser(ctx, "ana@example.com", "", review.RoleReviewer, "a long enough password")
	rec := httptest.NewRecorder()
	old.startSession(rec, httptest.NewRequest("GET", "/", nil), u.ID)
	oldCookie := rec.Result().Cookies()[0]
	if _, err := store.RotateSessionKeys(ctx); err != nil {
		t.Fatal(err)
	}
	rotated, _ := NewServer(ctx, Config{}, Deps{Store: store, Log: quiet})
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
	store.RotateSessionKeys(ctx)
	store.RotateSessionKeys(ctx)
	retired, _ := NewServer(ctx, Config{}, Deps{Store: store, Log: quiet})
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(oldCookie)
	if _, err := retired.session(req); err == nil {
		t.Fatal("a cookie outlived its keys' retirement")
	}
}
