package storage

import (
	"context"
	"slices"
	"sync"
)

// writeGate hands SQLite's one writer to one transaction at a time, and to
// the group commit of acknowledgements before any other waiting. Left to
// database/sql, the connection went to a random waiter: an acknowledgement
// waited behind every apply batch, stored document and measurement queued
// before it, and under load that wait was most of its latency. Only the
// group commit asks first, one batch at a time, and it asks again only
// after handing the writer on, so the others still take turns between its
// batches (first come, first served) and are never starved.
type writeGate struct {
	mu     sync.Mutex
	held   bool
	first  []chan struct{} // the group commit
	others []chan struct{}
}

// lock waits for the writer, or for ctx to end.
func (g *writeGate) lock(ctx context.Context, first bool) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	q := &g.others
	if first {
		q = &g.first
	}
	*q = append(*q, turn)
	g.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(*q, turn); i >= 0 {
			*q = slices.Delete(*q, i, i+1)
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Unlock()
		g.unlock() // handed over meanwhile: pass it on
		return ctx.Err()
	}
}

// unlock hands the writer to the next waiting, the group commit first.
func (g *writeGate) unlock() {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := &g.first
	if len(*q) == 0 {
		q = &g.others
	}
	if len(*q) == 0 {
		g.held = false
		return
	}
	close((*q)[0])
	*q = (*q)[1:]
}
