package web

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// livez answers while the process serves: an orchestrator restarts the
// process when it does not. It reads nothing, so a slow database never
// gets a healthy process killed.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
	return nil
}

// readyz answers 200 when this instance can do its work: the database
// answers with the schema this binary knows, the blob store takes writes
// and the renderer is up; otherwise 503 with the reason, so a load
// balancer sends requests elsewhere and an operator reads why.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := s.store.Ready(r.Context())
	if err == nil && s.pages != nil {
		if rerr := s.pages.Ready(); rerr != nil {
			err = fmt.Errorf("renderer: %w", rerr)
		}
	}
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return nil
	}
	w.Write([]byte("ready\n"))
	return nil
}

// Loopback is the networks /metrics answers by default: a scraper on the
// same machine.
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// metricsAllowed says whether r may read /metrics: metrics are on, the
// client is in an allowed network (behind a trusted proxy, the client the
// proxy names), and it carries the token when one is set. A refusal looks
// like a route that does not exist.
func (s *Server) metricsAllowed(r *http.Request) bool {
	m := s.cfg.Metrics
	if m.Off {
		return false
	}
	allow := m.Allow
	if allow == nil {
		allow = Loopback
	}
	a, err := netip.ParseAddr(clientAddr(r, s.cfg.TrustedProxies))
	if err != nil {
		return false
	}
	in := false
	for _, p := range allow {
		in = in || p.Contains(a.Unmap())
	}
	if !in {
		return false
	}
	if m.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(m.Token)) == 1
}

// MetricsAccess says who may read /metrics.
type MetricsAccess struct {
	Off   bool           // no one: /metrics answers 404
	Allow []netip.Prefix // the networks that may; Loopback when nil
	Token string         // when set, also Authorization: Bearer <Token>
}

// ParseMetrics reads --metrics: "off", or networks (addresses or CIDR
// ranges, comma-separated) that may read /metrics.
func ParseMetrics(v string) (MetricsAccess, error) {
	if strings.TrimSpace(v) == "off" {
		return MetricsAccess{Off: true}, nil
	}
	allow, err := ParseProxies(v)
	if err != nil {
		return MetricsAccess{}, err
	}
	if allow == nil {
		return MetricsAccess{Off: true}, nil
	}
	return MetricsAccess{Allow: allow}, nil
}
