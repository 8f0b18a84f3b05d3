package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestPathTraversal tries hostile ids on every route that takes one: none
// reaches a file outside the store, none fails with a server error.
func TestPathTraversal(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("admin@example.com", review.RoleAdmin)
	tok, _ := e.store.CreateToken(t.Context(), "t", review.RoleAdmin)
	ids := []string{
		"..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5C..%5Cwindows", "%00", "workflow_run_%27%20OR%201%3D1--",
		strings.Repeat("a", 4000), "..", "%2F", "0000000000000000000000000000000000000000000000000000000000000000",
	}
	paths := []string{
		"GET /runs/ID", "GET /pages/ID/1", "GET /pages/ID/ID", "GET /queue/rows/ID", "GET /api/v1/runs/ID", "GET /api/v1/runs/ID/audit",
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
