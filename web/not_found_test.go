package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestUnknownPathsGetThePage: a path no route has gets the designed 404
// page (with the navigation when signed in, the way to sign in otherwise),
// and API callers get JSON.
func TestUnknownPathsGetThePage(t *testing.T) { pgtest.Each(t, testUnknownPathsGetThePage) }

func testUnknownPathsGetThePage(t *testing.T) {
	e := newEnv(t, web.Config{})
	signedIn := e.signIn("rev@example.com", review.RoleReviewer)
	for _, c := range []struct {
		client *http.Client
		path   string
		want   []string
	}{
		{http.DefaultClient, "/no/such/page", []string{"There is no page at /no/such/page", `href="/login"`, "<main"}},
		{signedIn, "/runs", []string{"There is no page at /runs", "Sign out", `href="/"`}},
		{http.DefaultClient, "/api/v1/nothing", []string{`"code":"not_found"`}},
	} {
		resp, body := get(t, c.client, e.srv.URL+c.path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", c.path, resp.Status)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the answer lacks %q: %.300s", c.path, w, body)
			}
		}
	}
}
