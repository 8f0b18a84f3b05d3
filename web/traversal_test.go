package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestPathTraversal tries hostile ids on every route that takes one: none
// reaches a file outside the store, none fails with a server error.
func TestPathTraversal(t *testing.T) { pgtest.Each(t, testPathTraversal) }

func testPathTraversal(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("admin@example.com", review.RoleAdmin)
	tok, _ := e.store.CreateToken(t.Context(), "t", review.RoleAdmin)
	ids := []string{
		"..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5C..%5Cwindows", "%00", "workflow_run_%27%20OR%201%3D1--",
		strings.Repeat("a", 4000), "..", "%2F", "0000000000000000000000000000000000000000000000000000000000000000",
	}
	paths := []string{
		"GET /runs/ID", "GET /pages/ID/1", "GET /pages/ID/ID", "GET /queue/rows/ID", "GET /queue/rows?id=ID", "GET /api/v1/runs/ID", "GET /api/v1/runs/ID/audit",
		"POST /runs/ID/edits", "POST /runs/ID/approve", "POST /runs/ID/reject", "POST /runs/ID/reopen", "POST /runs/ID/claim",
		"POST /runs/ID/release", "POST /runs/ID/files/ID", "POST /admin/deliveries/ID/redeliver", "POST /admin/events/ID/replay",
		"POST /admin/users/ID", "POST /admin/tokens/ID/revoke",
	}
	for _, p := range paths {
		method, path, _ := strings.Cut(p, " ")
		for _, id := range ids {
			req, _ := http.NewRequest(method, e.srv.URL+strings.ReplaceAll(path, "ID", id), strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s: %s", method, id, resp.Status)
			}
			if resp.StatusCode == 200 && method == "GET" && strings.HasPrefix(path, "/pages/") {
				t.Errorf("%s %s served something", method, id)
			}
		}
	}
}

// TestHostileIDsStayOneSegment reproduces the red team's promotion: an
// event id holding "../" and "?" turned the admin's Replay into
// POST /admin/users/N?role=admin. Such an event is now stored as failed,
// its Replay form path-escapes the id, and a POST reads no query values.
func TestHostileIDsStayOneSegment(t *testing.T) { pgtest.Each(t, testHostileIDsStayOneSegment) }

func testHostileIDsStayOneSegment(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	e.signIn("rev@example.com", review.RoleReviewer)
	roleOf := func(email string) review.User {
		users, _ := e.store.Users(t.Context())
		for _, u := range users {
			if u.Email == email {
				return u
			}
		}
		t.Fatalf("no user %s", email)
		return review.User{}
	}
	rev := roleOf("rev@example.com")

	hostile := "../../users/" + strconv.FormatInt(rev.ID, 10) + "?role=admin&x="
	body := demo.Event(hostile, review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run","id":"workflow_run_ok","status":"NEEDS_REVIEW"}`))
	if resp, b := e.post(body, secret, time.Now()); resp.StatusCode != 200 {
		t.Fatalf("webhook: %s %v", resp.Status, b)
	}
	e.process()
	failed, err := e.store.FailedEvents(t.Context(), 10)
	if err != nil || len(failed) != 1 || !strings.Contains(failed[0].Error, "is not an Extend id") {
		t.Fatalf("failed events %+v, %v", failed, err)
	}
	_, page := get(t, admin, e.srv.URL+"/admin/deliveries")
	want := `action="/admin/events/..%2F..%2Fusers%2F` + strconv.FormatInt(rev.ID, 10) + `%3Frole=admin&amp;x=/replay"`
	if !strings.Contains(page, want) {
		t.Fatalf("the replay form's action is not the escaped id; want %s in\n%s", want, page)
	}
	// A run id of the same kind in a run payload is refused too.
	body = demo.Event("evt_2", review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run","id":"workflow_run_x/../../admin","status":"NEEDS_REVIEW"}`))
	e.post(body, secret, time.Now())
	e.process()
	if failed, _ = e.store.FailedEvents(t.Context(), 10); len(failed) != 2 {
		t.Fatalf("a hostile run id was accepted: %+v", failed)
	}
	// Query values never drive a POST state change.
	resp, err := admin.PostForm(e.srv.URL+"/admin/users/"+strconv.FormatInt(rev.ID, 10)+"?role=admin", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if u := roleOf("rev@example.com"); u.Role != review.RoleReviewer {
		t.Fatalf("a query value changed the role to %s", u.Role)
	}
}
