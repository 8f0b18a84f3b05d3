package storage

import (
	"context"
	"slices"
	"sync"
	"time"
)

// ackPatience is the longest a background write (a worker's: applying
// events, storing and measuring documents, delivering) waits for the
// acknowledgements in flight to be answered before it asks for the writer.
// While webhooks keep arriving there is always one in flight, so this is
// also the most a worker is held back between writes: short enough that a
// run still shows up in the queue within a second, long enough that a
// worker writes a batch between many group commits, not between each two.
const ackPatience = 100 * time.Millisecond

// backgroundKey marks the context of a worker (see Store.Lead), whose
// writes yield to acknowledgements.
type backgroundKey struct{}

func background(ctx context.Context) bool { return ctx.Value(backgroundKey{}) != nil }

// writeGate hands SQLite's one writer to one transaction at a time, and to
// the group commit of acknowledgements before any other waiting. Left to
// database/sql, the connection went to a random waiter: an acknowledgement
// waited behind every apply batch, stored document and measurement queued
// before it, and under load that wait was most of its latency. Only the
// group commit asks first, one batch at a time, and it asks again only
// after handing the writer on, so the others still take turns between its
// batches (first come, first served) and are never starved.
//
// Asking first is not enough when acknowledgements arrive one after
// another: a worker's write that finds the writer free between two group
// commits takes it, and the next acknowledgement waits for the whole of
// that write. So a worker's write first waits, at most ackPatience, until
// no acknowledgement is in flight.
type writeGate struct {
	mu       sync.Mutex
	held     bool
	first    []chan struct{} // the group commit
	others   []chan struct{}
	acks     int           // acknowledgements in flight (Store.AppendEvent)
	idle     chan struct{} // closed when the last of them is answered
	yielding int           // background writes waiting for idle
	patience time.Duration // ackPatience, but in tests
}

// ackBegin and ackEnd count an acknowledgement in flight, from its
// arrival at the store to its answer.
func (g *writeGate) ackBegin() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.acks == 0 {
		g.idle = make(chan struct{})
	}
	g.acks++
}

func (g *writeGate) ackEnd() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.acks--; g.acks == 0 {
		close(g.idle)
	}
}

// yield waits until no acknowledgement is in flight, at most g.patience,
// or for ctx to end.
func (g *writeGate) yield(ctx context.Context) error {
	g.mu.Lock()
	if g.acks == 0 {
		g.mu.Unlock()
		return nil
	}
	idle := g.idle
	g.yielding++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.yielding--
		g.mu.Unlock()
	}()
	t := time.NewTimer(g.patience)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// lock waits for the writer, or for ctx to end. A worker's write first
// yields to acknowledgements.
func (g *writeGate) lock(ctx context.Context, first bool) error {
	if !first && background(ctx) {
		if err := g.yield(ctx); err != nil {
			return err
		}
	}
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
