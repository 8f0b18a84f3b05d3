package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/wakeup"
)

// presence is which runs' viewers changed on this instance and are yet to
// be written to the store, where every instance reads them (live.Relay).
type presence struct {
	instance string // this process, among those sharing the database
	mu       sync.Mutex
	runs     map[string]bool
	wake     wakeup.Signal
}

func newPresence() *presence {
	b := make([]byte, 8)
	rand.Read(b)
	return &presence{instance: hex.EncodeToString(b), runs: map[string]bool{}}
}

// changed notes that a page on run opened or closed.
func (p *presence) changed(run string) {
	if run == "" {
		return
	}
	p.mu.Lock()
	p.runs[run] = true
	p.mu.Unlock()
	p.wake.Notify()
}

func (p *presence) take() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	runs := p.runs
	p.runs = map[string]bool{}
	return runs
}

// viewersRefresh is how often an instance says its viewers are still
// there; the store forgets an instance's viewers after two minutes.
const viewersRefresh = 30 * time.Second

// tellPresence writes this instance's viewers of each changed run, one run
// at a time from one goroutine, so what the store holds is the hub's
// latest; it refreshes them while it runs and drops them when it stops.
func (s *Server) tellPresence(ctx context.Context) {
	t := time.NewTicker(viewersRefresh)
	defer t.Stop()
	p := s.presence
	for {
		wake := p.wake.C()
		for run := range p.take() {
			if err := s.store.SetViewers(ctx, p.instance, run, s.hub.Viewers(run)); err != nil && ctx.Err() == nil {
				s.log.Warn("presence", "run", run, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			s.store.KeepViewers(stop, p.instance, true)
			return
		case <-wake:
		case <-t.C:
			s.store.KeepViewers(ctx, p.instance, false)
		}
	}
}
