package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Sign-in limits. Guessing is slowed per client address and per account
// and address pair by refusing further tries for a window; an account is
// slowed from everywhere only by a delay that grows with its failures and
// never passes accountMaxDelay, so nobody can lock another person out.
const (
	addrFailures    = 20 // from one address, any accounts
	pairFailures    = 5  // for one account from one address
	accountFree     = 5  // failures of an account before its delay starts
	accountMaxDelay = time.Minute
)

// limiter counts failed sign-ins in memory; a restart forgives, which costs
// an attacker a restart they cannot cause.
type limiter struct {
	mu       sync.Mutex
	window   time.Duration
	failures map[string][]time.Time
}

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, failures: map[string][]time.Time{}}
}

// wait returns how long a sign-in to account from addr must wait, zero
// when it may try now.
func (l *limiter) wait(now time.Time, account, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	lock := func(key string, most int) {
		if fs := l.recent(key, now); len(fs) >= most {
			wait = max(wait, fs[len(fs)-most].Add(l.window).Sub(now))
		}
	}
	lock("addr:"+addr, addrFailures)
	lock("pair:"+account+"|"+addr, pairFailures)
	if fs := l.recent("account:"+account, now); len(fs) >= accountFree {
		delay := min(time.Second<<min(len(fs)-accountFree, 16), accountMaxDelay)
		wait = max(wait, fs[len(fs)-1].Add(delay).Sub(now))
	}
	return wait
}

// fail records a failed sign-in to account from addr.
func (l *limiter) fail(now time.Time, account, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 100_000 { // bounded: forget everything rather than grow
		l.failures = map[string][]time.Time{}
	}
	for _, k := range []string{"addr:" + addr, "pair:" + account + "|" + addr, "account:" + account} {
		l.failures[k] = append(l.recent(k, now), now)
	}
}

// forget clears an account after a successful sign-in from addr.
func (l *limiter) forget(account, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "account:"+account)
	delete(l.failures, "pair:"+account+"|"+addr)
}

func (l *limiter) recent(k string, now time.Time) []time.Time {
	fs := l.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > l.window {
		i++
	}
	return fs[i:]
}

// ParseProxies reads --trusted-proxies: addresses and CIDR ranges,
// comma-separated.
func ParseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// clientAddr is the address a request came from: the TCP peer, or, when
// the peer is a trusted proxy, the nearest address in X-Forwarded-For that
// is not one (read from the right: the left part is the client's to forge).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if !isTrusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // garbage: stop at the last address we could trust
		}
		if !isTrusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}
