package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web/live"
)

// TestFullQueueBecomesABurst: a page that reads more slowly than changes
// arrive keeps its connection; what its queue held is folded into one
// burst naming every run that changed, the latest sequence number, and the
// latest presence.
func TestFullQueueBecomesABurst(t *testing.T) {
	h := live.NewHub()
	fast := live.NewClient("a", "", 8)
	slow := live.NewClient("b", "run_0", 4)
	h.Join(fast)
	h.Join(slow)
	for i := range 100 {
		h.Publish(live.Message{Kind: "edit", Seq: int64(i + 1), RunID: fmt.Sprintf("run_%d", i%10)})
		<-fast.Messages() // the fast page keeps up
	}
	if h.Len() != 2 || h.Bursts() == 0 {
		t.Fatalf("%d clients, %d bursts; want both kept and a burst", h.Len(), h.Bursts())
	}
	runs := map[string]bool{}
	var last int64
	for len(slow.Messages()) > 0 {
		var m live.Message
		b := <-slow.Messages()
		json.Unmarshal(b, &m)
		for _, id := range append(m.RunIDs, m.RunID) {
			if id != "" {
				runs[id] = true
			}
		}
		last = max(last, m.Seq)
	}
	if len(runs) != 10 || last != 100 {
		t.Fatalf("the slow page learnt of %d runs up to change %d; want 10 runs up to 100", len(runs), last)
	}
}

// TestHugeBurstSaysAll: past the runs a burst names, it says "all".
func TestHugeBurstSaysAll(t *testing.T) {
	h := live.NewHub()
	slow := live.NewClient("b", "", 2)
	h.Join(slow)
	for i := range 1000 {
		h.Publish(live.Message{Kind: "edit", Seq: int64(i + 1), RunID: fmt.Sprintf("run_%d", i)})
	}
	var m live.Message
	json.Unmarshal(<-slow.Messages(), &m)
	if m.Kind != live.KindBurst || !m.All || len(m.RunIDs) != 0 {
		t.Fatalf("burst %+v", m)
	}
}

// TestPresence: the hub says who has a run open here (each name once), and
// tells the pages on a run who has it open anywhere, and nobody else.
func TestPresence(t *testing.T) {
	h := live.NewHub()
	a := live.NewClient("Ana", "run_1", 8)
	a2 := live.NewClient("Ana", "run_1", 8) // a second tab
	b := live.NewClient("Bo", "run_1", 8)
	c := live.NewClient("Cy", "run_2", 8)
	for _, x := range []*live.Client{a, a2, b, c} {
		h.Join(x)
	}
	if v := h.Viewers("run_1"); len(v) != 2 || v[0] != "Ana" || v[1] != "Bo" {
		t.Fatalf("viewers here = %v", v)
	}
	h.Present("run_1", []string{"Ana", "Bo", "Di"}) // Di on another instance
	var p live.Presence
	json.Unmarshal(<-a.Messages(), &p)
	if p.Kind != live.KindPresence || len(p.Viewers) != 3 {
		t.Fatalf("presence = %+v", p)
	}
	h.Leave(b)
	if v := h.Viewers("run_1"); len(v) != 1 {
		t.Fatalf("after Bo left: %v", v)
	}
	if len(c.Messages()) != 0 {
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
		go func() { defer wg.Done(); h.Publish(live.Message{Kind: "x"}) }()
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

// feed is a change feed held in memory.
type feed struct{ changes []review.FeedEntry }

func (f *feed) Changed() <-chan struct{} { return make(chan struct{}) }
func (f *feed) ChangesSince(_ context.Context, seq int64, limit int) ([]review.FeedEntry, error) {
	var out []review.FeedEntry
	for _, ch := range f.changes {
		if ch.Seq > seq && len(out) < limit {
			out = append(out, ch)
		}
	}
	return out, nil
}
func (f *feed) Viewers(context.Context, string) ([]string, error) { return []string{"ana"}, nil }

// TestRelayStartsWhereItIsTold: the relay publishes every change after the
// sequence number it is given, those committed before it started included
// (it read the feed's last change itself as it started, so a page that
// opened first never heard of its own presence).
func TestRelayStartsWhereItIsTold(t *testing.T) {
	f := &feed{changes: []review.FeedEntry{
		{Seq: 1, Kind: review.FeedEdit, RunID: "run_old"},
		{Seq: 2, Kind: review.FeedPresence, RunID: "run_x"},
		{Seq: 3, Kind: review.FeedEdit, RunID: "run_x"},
	}}
	h := live.NewHub()
	c := live.NewClient("ana", "run_x", 8)
	h.Join(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); live.Relay(ctx, f, h, 1, time.Hour, slog.New(slog.DiscardHandler)) }()
	var kinds []string
	for len(kinds) < 2 {
		select {
		case b := <-c.Messages():
			var m live.Message
			json.Unmarshal(b, &m)
			kinds = append(kinds, m.Kind)
		case <-time.After(time.Minute): // a ceiling, not an expectation
			t.Fatalf("the page heard %v", kinds)
		}
	}
	cancel()
	<-done
	if kinds[0] != review.FeedPresence || kinds[1] != review.FeedEdit {
		t.Fatalf("the page heard %v, want the presence then the edit after change 1", kinds)
	}
}
