package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/web"
)

// TestProbes: /livez answers while the process serves; /readyz says ready
// when the database, its schema, the blob store and the renderer are.
func TestProbes(t *testing.T) { pgtest.Each(t, testProbes) }

func testProbes(t *testing.T) {
	e := newEnv(t, web.Config{})
	if resp, body := get(t, http.DefaultClient, e.srv.URL+"/livez"); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("livez: %s %q", resp.Status, body)
	}
	if resp, body := get(t, http.DefaultClient, e.srv.URL+"/readyz"); resp.StatusCode != 200 || body != "ready\n" {
		t.Fatalf("readyz: %s %q", resp.Status, body)
	}
}

// TestMetricsAccess: /metrics answers the networks allowed (loopback by
// default) and, when a token is set, only requests carrying it; anyone
// else gets the 404 of a route that does not exist.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	other, _ := web.ParseMetrics("10.0.0.0/8, 192.168.1.7")
	off, _ := web.ParseMetrics("off")
	for _, c := range []struct {
		name   string
		access web.MetricsAccess
		token  string
		want   int
	}{
		{"loopback by default", web.MetricsAccess{}, "", 200},
		{"another network", other, "", 404},
		{"off", off, "", 404},
		{"token missing", web.MetricsAccess{Allow: web.Loopback, Token: "scrape-me"}, "", 404},
		{"token wrong", web.MetricsAccess{Allow: web.Loopback, Token: "scrape-me"}, "scrape-you", 404},
		{"token right", web.MetricsAccess{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Token: "scrape-me"}, "scrape-me", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, web.Config{Metrics: c.access}, envOptions{db: "sqlite:"})
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, body := get(t, &http.Client{Transport: authTransport{req.Header}}, req.URL.String())
			if resp.StatusCode != c.want {
				t.Fatalf("%s: %s %q", c.name, resp.Status, body)
			}
			if c.want == 200 && !strings.Contains(body, "reviewer_queue_depth") {
				t.Fatalf("%s: %q", c.name, body)
			}
			if c.want == 404 && strings.Contains(body, "reviewer_") {
				t.Fatalf("%s: a refusal shows metrics: %q", c.name, body)
			}
		})
	}
	if _, err := web.ParseMetrics("10.0.0.0/33"); err == nil {
		t.Fatal("a bad network was accepted")
	}
}

// authTransport adds headers to every request.
type authTransport struct{ h http.Header }

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range a.h {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}
