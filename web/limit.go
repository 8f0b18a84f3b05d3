package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// limiter counts failed sign-ins in the database, so every instance
// sharing it applies the same limits.
type limiter struct {
	store  SignIns
	window time.Duration
}

// SignIns keeps failed sign-ins: storage implements it.
type SignIns interface {
	// SignInFailures returns the times of the failures recorded under
	// each key since since, oldest first.
	SignInFailures(ctx context.Context, keys []string, since time.Time) (map[string][]time.Time, error)
	// FailSignIn records a failure at at under each key, and forgets
	// every failure from before before.
	FailSignIn(ctx context.Context, keys []string, at, before time.Time) error
	// ForgetSignIns drops the failures recorded under keys.
	ForgetSignIns(ctx context.Context, keys []string) error
}

func limitKeys(account, addr string) (addrKey, pairKey, accountKey string) {
	return "addr:" + addr, "pair:" + account + "|" + addr, "account:" + account
}

// wait returns how long a sign-in to account from addr must wait, zero
// when it may try now.
func (l *limiter) wait(ctx context.Context, now time.Time, account, addr string) (time.Duration, error) {
	a, p, acc := limitKeys(account, addr)
	fs, err := l.store.SignInFailures(ctx, []string{a, p, acc}, now.Add(-l.window))
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	lock := func(key string, most int) {
		if f := fs[key]; len(f) >= most {
			wait = max(wait, f[len(f)-most].Add(l.window).Sub(now))
		}
	}
	lock(a, addrFailures)
	lock(p, pairFailures)
	if f := fs[acc]; len(f) >= accountFree {
		delay := min(time.Second<<min(len(f)-accountFree, 16), accountMaxDelay)
		wait = max(wait, f[len(f)-1].Add(delay).Sub(now))
	}
	return wait, nil
}

// fail records a failed sign-in to account from addr.
func (l *limiter) fail(ctx context.Context, now time.Time, account, addr string) error {
	a, p, acc := limitKeys(account, addr)
	return l.store.FailSignIn(ctx, []string{a, p, acc}, now, now.Add(-l.window))
}

// forget clears an account after a successful sign-in from addr.
func (l *limiter) forget(ctx context.Context, account, addr string) error {
	_, p, acc := limitKeys(account, addr)
	return l.store.ForgetSignIns(ctx, []string{p, acc})
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
