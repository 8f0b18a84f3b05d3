package egress_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/egress"
)

// TestGuard: a private address is refused unless allowed or its host and
// port are trusted; another port of a trusted host is not; a redirect from
// a trusted host into an untrusted private address is refused at the
// second connection.
func TestGuard(t *testing.T) {
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer inside.Close()
	bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL, http.StatusFound)
	}))
	defer bounce.Close()
	// bounce is reached by the name localhost, inside by 127.0.0.1.
	viaName := strings.Replace(bounce.URL, "127.0.0.1", "localhost", 1)
	insideByName := strings.Replace(inside.URL, "127.0.0.1", "localhost", 1)
	hostPort := func(u string) string { return strings.TrimPrefix(u, "http://") }

	tests := []struct {
		name string
		o    egress.Options
		url  string
		ok   bool
	}{
		{"private refused", egress.Options{}, inside.URL, false},
		{"private allowed", egress.Options{AllowPrivate: true}, inside.URL, true},
		{"trusted host and port", egress.Options{Trusted: []string{hostPort(inside.URL)}}, inside.URL, true},
		{"trusted host, another port", egress.Options{Trusted: []string{hostPort(viaName)}}, insideByName, false},
		{"redirect into a private address", egress.Options{Trusted: []string{hostPort(viaName)}}, viaName, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := egress.Client(tt.o).Get(tt.url)
			if err == nil {
				resp.Body.Close()
			}
			if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, egress.ErrPrivate) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestTrustIsForItsRequests: a context trusting a host and port lets its
// requests reach them, and nothing else: a request without it is refused,
// even one that a kept-alive connection could have carried.
func TestTrustIsForItsRequests(t *testing.T) {
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("file")) }))
	defer inside.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer other.Close()
	c := egress.Client(egress.Options{})
	get := func(ctx context.Context, url string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	trusting := egress.Trust(context.Background(), inside.URL+"/blob?X-Amz-Signature=abc")
	if err := get(trusting, inside.URL+"/blob"); err != nil {
		t.Fatalf("under its trust: %v", err)
	}
	if err := get(trusting, other.URL); !errors.Is(err, egress.ErrPrivate) {
		t.Fatalf("another port under the trust: err = %v", err)
	}
	if err := get(context.Background(), inside.URL+"/blob"); !errors.Is(err, egress.ErrPrivate) {
		t.Fatalf("the same host and port afterwards, without the trust: err = %v", err)
	}
}
