// Package egress makes the HTTP clients reviewer calls out with: bounded
// timeouts, and a server-side request forgery guard that runs on the
// resolved address of every connection (redirects and DNS answers
// included), so a URL from a payload cannot reach the machine's neighbours.
package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivate is a refused connection to a private, loopback or link-local
// address.
var ErrPrivate = errors.New("refused: the address is private")

// Options say what a client may reach.
type Options struct {
	Timeout      time.Duration     // a whole request, answer included
	AllowPrivate bool              // every address may be reached
	Trusted      func(string) bool // hosts that may be private (the configured API's); may be nil
	NoRedirects  bool              // a 3xx is the answer, not followed
}

// Private reports whether a is an address no URL from outside may reach:
// loopback, private, link-local, unspecified, multicast or carrier-grade NAT.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() || a.IsMulticast() ||
		cgnat.Contains(a)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Client returns an HTTP client that follows o.
func Client(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	open := &net.Dialer{Timeout: 10 * time.Second}
	guarded := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || Private(ap.Addr()) {
				return ErrPrivate
			}
			return nil
		},
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if o.AllowPrivate || o.Trusted != nil && o.Trusted(host) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	c := &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			DialContext:           dial,
			Proxy:                 nil,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: min(o.Timeout, time.Minute),
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	if o.NoRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}
