package egress_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/egress"
)

// TestGuard: a private address is refused unless allowed or its host is
// trusted, and a redirect from a trusted host into an untrusted private
// address is refused at the second connection.
func TestGuard(t *testing.T) {
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer inside.Close()
	bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL, http.StatusFound)
	}))
	defer bounce.Close()
	// bounce is reached by the name localhost, inside by 127.0.0.1.
	viaName := strings.Replace(bounce.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name string
		o    egress.Options
		url  string
		ok   bool
	}{
		{"private refused", egress.Options{}, inside.URL, false},
		{"private allowed", egress.Options{AllowPrivate: true}, inside.URL, true},
		{"trusted host", egress.Options{Trusted: func(h string) bool { return h == "127.0.0.1" }}, inside.URL, true},
		{"redirect into a private address", egress.Options{Trusted: func(h string) bool { return h == "localhost" }}, viaName, false},
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
	for s, want := range map[string]bool{"10.1.2.3": true, "169.254.169.254": true, "100.64.0.1": true, "::1": true, "fe80::1": true, "8.8.8.8": false, "::ffff:127.0.0.1": true} {
		if got := egress.Private(netip.MustParseAddr(s)); got != want {
			t.Errorf("Private(%s) = %v", s, got)
		}
	}
}
