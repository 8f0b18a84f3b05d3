package web

import (
	"sync"
	"time"
)

// limiter slows password guessing: after max failures within window for an
// account or from an address, sign-in is refused until the window passes.
// It lives in memory; a restart forgives, which costs an attacker a restart
// they cannot cause.
type limiter struct {
	mu       sync.Mutex
	max      int
	window   time.Duration
	failures map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// wait returns how long the keys must wait before trying again, zero when
// they may try now.
func (l *limiter) wait(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		fs := l.recent(k, now)
		if len(fs) >= l.max {
			wait = max(wait, fs[0].Add(l.window).Sub(now))
		}
	}
	return wait
}

// fail records a failed attempt for every key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 100_000 { // bounded: forget everything rather than grow
		l.failures = map[string][]time.Time{}
	}
	for _, k := range keys {
		l.failures[k] = append(l.recent(k, now), now)
	}
}

// forget clears an account after a successful sign-in.
func (l *limiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

func (l *limiter) recent(k string, now time.Time) []time.Time {
	fs := l.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > l.window {
		i++
	}
	return fs[i:]
}
