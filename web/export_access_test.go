package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestExportsAreASupervisorsRight: an export is every decided run at once,
// so a reviewer's API token is refused it (403, with a sentence) and a
// supervisor's or an admin's gets it; the reviewer's token still reads runs.
func TestExportsAreASupervisorsRight(t *testing.T) {
	e := newEnv(t, web.Config{})
	for _, tt := range []struct {
		role   review.Role
		path   string
		status int
	}{
		{review.RoleReviewer, "/api/v1/exports/runs.csv", http.StatusForbidden},
		{review.RoleReviewer, "/api/v1/exports/runs.jsonl", http.StatusForbidden},
		{review.RoleReviewer, "/api/v1/runs", http.StatusOK},
		{review.RoleSupervisor, "/api/v1/exports/runs.csv", http.StatusOK},
		{review.RoleSupervisor, "/api/v1/exports/runs.jsonl", http.StatusOK},
		{review.RoleAdmin, "/api/v1/exports/runs.csv", http.StatusOK},
	} {
		tok, err := e.store.CreateToken(t.Context(), string(tt.role), tt.role)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s token, %s: %s %s; want %d", tt.role, tt.path, resp.Status, b, tt.status)
		}
		if tt.status == http.StatusForbidden && !json.Valid(b) {
			t.Errorf("%s token, %s: the refusal is not a JSON sentence: %s", tt.role, tt.path, b)
		}
	}
}
