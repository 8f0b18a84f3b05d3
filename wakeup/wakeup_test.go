package wakeup_test

import (
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/wakeup"
)

// TestEveryWaiterWakes: one Notify wakes all waiters, and a wait taken
// before a Notify is woken even if it starts waiting afterwards.
func TestEveryWaiterWakes(t *testing.T) {
	var s wakeup.Signal
	var wg sync.WaitGroup
	woken := make(chan int, 3)
	ready := make(chan struct{}, 3)
	for i := range 3 {
		wg.Go(func() {
			c := s.C()
			ready <- struct{}{}
			<-c
			woken <- i
		})
	}
	for range 3 {
		<-ready
	}
	s.Notify()
	wg.Wait()
	if len(woken) != 3 {
		t.Fatalf("%d of 3 waiters woke", len(woken))
	}
	c := s.C()
	s.Notify()
	select {
	case <-c:
	case <-time.After(time.Minute):
		t.Fatal("a wait taken before Notify missed it")
	}
}
