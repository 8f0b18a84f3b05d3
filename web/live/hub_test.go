package live_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/reviewer-app/reviewer/web/live"
)

func TestSlowClientIsDropped(t *testing.T) {
	h := live.NewHub()
	fast := live.NewClient("a", "", 8)
	slow := live.NewClient("b", "", 2)
	h.Join(fast)
	h.Join(slow)
	for i := range 5 {
		h.Publish([]byte(fmt.Sprint(i)))
		<-fast.Messages() // the fast page keeps up
	}
	if h.Len() != 1 || h.Dropped != 1 {
		t.Fatalf("%d clients, %d dropped; want the slow one dropped", h.Len(), h.Dropped)
	}
	n := 0
	for range slow.Messages() { // closed after what fit
		n++
	}
	if n != 2 {
		t.Fatalf("slow client got %d messages before being dropped", n)
	}
}

func TestPresence(t *testing.T) {
	h := live.NewHub()
	a := live.NewClient("Ana", "run_1", 8)
	b := live.NewClient("Bo", "run_1", 8)
	c := live.NewClient("Cy", "run_2", 8)
	h.Join(a)
	h.Join(b)
	h.Join(c)
	var p live.Presence
	<-a.Messages() // Ana alone
	json.Unmarshal(<-a.Messages(), &p)
	if len(p.Viewers) != 2 || p.Viewers[0] != "Ana" || p.Viewers[1] != "Bo" {
		t.Fatalf("presence = %+v", p)
	}
	h.Leave(b)
	json.Unmarshal(<-a.Messages(), &p)
	if len(p.Viewers) != 1 {
		t.Fatalf("after Bo left: %+v", p)
	}
	if len(c.Messages()) != 1 { // only its own join
		t.Fatalf("Cy heard about another run")
	}
}

func TestPublishIsSafeConcurrently(t *testing.T) {
	h := live.NewHub()
	var wg sync.WaitGroup
	for i := range 20 {
		c := live.NewClient("u", "", 4)
		h.Join(c)
		wg.Add(2)
		go func() { defer wg.Done(); h.Publish([]byte("x")) }()
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				h.Leave(c)
			}
		}()
	}
	wg.Wait()
	h.Close()
	if h.Len() != 0 {
		t.Fatal("clients left after Close")
	}
}
