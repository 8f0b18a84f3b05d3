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
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivate is a refused connection to a private, loopback or link-local
// address.
var ErrPrivate = errors.New("refused: the address is private")

// Options say what a client may reach.
type Options struct {
	Timeout      time.Duration // a whole request, answer included
	AllowPrivate bool          // every address may be reached
	Trusted      []string      // host:port pairs that may be private (the configured API's)
	NoRedirects  bool          // a 3xx is the answer, not followed
}

type trustKey struct{}

// Trust returns a context under which a client's requests may also reach
// link's host and port where they are private: a presigned URL the
// configured API returned, for the download of its own file. Connections
// made under it serve only its requests; none is kept for another.
func Trust(ctx context.Context, link string) context.Context {
	hp, ok := HostPort(link)
	if !ok {
		return ctx
	}
	return context.WithValue(ctx, trustKey{}, hp)
}

// HostPort is the host and port a connection to link dials, lower case,
// with the scheme's port where link names none.
func HostPort(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		default:
			return "", false
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}

// Private reports whether a is an address no URL from outside may reach:
// any block of the IANA special-purpose address registries that is not
// globally reachable, multicast, and the deprecated IPv6 site-local block.
// An IPv4 address inside IPv6 (mapped, or translated by NAT64) is judged
// as the IPv4 address it reaches.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if a.IsMulticast() {
		return true
	}
	for _, p := range special {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// nat64 is the well-known NAT64 prefix (RFC 6052): globally reachable in
// the registry, but a gateway turns 64:ff9b::7f00:1 into 127.0.0.1.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// special is every block of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (iana.org/assignments/iana-ipv4-special-registry and
// iana-ipv6-special-registry, as of 2025-10) whose addresses are not
// globally reachable, or reach something else (6to4, Teredo), plus
// fec0::/10 from the IPv6 address space registry. The few globally
// reachable anycast addresses inside 192.0.0.0/24 and 2001::/23 are
// refused with their block: no document lives there.
var special = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // this network
		"10.0.0.0/8",      // private use
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link local
		"172.16.0.0/12",   // private use
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"192.168.0.0/16",  // private use
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"240.0.0.0/4",     // reserved, and the limited broadcast address
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use IPv4/IPv6 translation
		"100::/64",        // discard-only
		"100:0:0:1::/64",  // dummy prefix
		"2001::/23",       // IETF protocol assignments (Teredo, benchmarking, ORCHID)
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing (SRv6) SIDs
		"fc00::/7",        // unique local
		"fe80::/10",       // link local
		"fec0::/10",       // site local (deprecated)
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

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
	trusted := map[string]bool{}
	for _, hp := range o.Trusted {
		trusted[strings.ToLower(hp)] = true
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		addr = strings.ToLower(addr)
		if o.AllowPrivate || trusted[addr] || ctx.Value(trustKey{}) == addr {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	c := &http.Client{
		Timeout: o.Timeout,
		Transport: unkept{&http.Transport{
			DialContext:           dial,
			Proxy:                 nil,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: min(o.Timeout, time.Minute),
			MaxIdleConnsPerHost:   4,
		}},
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

// unkept closes the connection after every request made under a Trust
// context, so a connection to a private address trusted for one file is
// never handed, kept alive, to a request that may not reach it.
type unkept struct{ *http.Transport }

func (t unkept) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Context().Value(trustKey{}) != nil && !r.Close {
		r = r.Clone(r.Context())
		r.Close = true
	}
	return t.Transport.RoundTrip(r)
}
