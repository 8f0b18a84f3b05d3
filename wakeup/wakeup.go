// Package wakeup broadcasts "something changed": every waiter of a Signal
// is woken by each Notify, and none takes another's wake-up (a one-slot
// channel with two readers woke only one of them per commit, and the other
// waited for its timer: live updates stalled for seconds).
package wakeup

import "sync"

// Signal is a broadcast wake-up. The zero value is ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed at the next Notify. Take it before looking at
// what the signal guards, so a change made while looking wakes the wait
// that follows.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes every waiter.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
