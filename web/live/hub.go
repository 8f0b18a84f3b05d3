// Package live fans changes out to open pages. The hub knows nothing of
// websockets: a Client is a bounded queue of messages that a connection's
// writer drains. Publishing never blocks. A client whose queue is full is
// not dropped: what it holds is folded into one "burst" message naming the
// runs that changed, so a burst of webhooks costs a prompt page one
// refresh of those rows, never its connection.
package live

import (
	"encoding/json"
	"sort"
	"sync"
)

// Message is a change from the feed, as pages receive it.
type Message struct {
	Kind   string   `json:"kind"`
	Seq    int64    `json:"seq"`
	RunID  string   `json:"runId,omitempty"`
	Actor  string   `json:"actor,omitempty"`
	RunIDs []string `json:"runIds,omitempty"` // a burst: the runs that changed
	All    bool     `json:"all,omitempty"`    // a burst too large to name its runs
}

// Kinds the hub makes itself.
const (
	KindBurst    = "burst"
	KindPresence = "presence"
)

// MaxBurstRuns is how many runs a burst names; past it, a page reloads
// what it shows (All).
const MaxBurstRuns = 200

// Client is one open page.
type Client struct {
	User string // display name, for presence
	Run  string // the run the page shows, if any
	send chan []byte
	once sync.Once
}

// NewClient returns a client whose queue holds at most buffer messages.
func NewClient(user, run string, buffer int) *Client {
	return &Client{User: user, Run: run, send: make(chan []byte, buffer)}
}

// Messages is the client's queue; it is closed when the hub drops the
// client or shuts down.
func (c *Client) Messages() <-chan []byte { return c.send }

func (c *Client) close() { c.once.Do(func() { close(c.send) }) }

// Hub is the set of open pages.
type Hub struct {
	mu      sync.Mutex
	clients map[*Client]struct{}
	closed  bool
	bursts  int // times a client's queue was folded into a burst
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{clients: map[*Client]struct{}{}} }

// Join adds a client. Who has its run open is told by Present, once the
// store has it: the viewers of every instance.
func (h *Hub) Join(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		c.close()
		return
	}
	h.clients[c] = struct{}{}
}

// Leave removes a client.
func (h *Hub) Leave(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	c.close()
}

// Publish queues m for every client, without waiting for any.
func (h *Hub) Publish(m Message) {
	msg, _ := json.Marshal(m)
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		h.offer(c, msg)
	}
}

// offer queues msg for c; a full queue is folded into a burst first.
func (h *Hub) offer(c *Client, msg []byte) {
	select {
	case c.send <- msg:
		return
	default:
	}
	h.bursts++
	burst := Message{Kind: KindBurst}
	var presence []byte
	seen := map[string]bool{}
	fold := func(b []byte) {
		var m Message
		json.Unmarshal(b, &m)
		if m.Kind == KindPresence {
			presence = b // the latest says who is there
			return
		}
		burst.Seq = max(burst.Seq, m.Seq)
		burst.All = burst.All || m.All
		for _, id := range append(m.RunIDs, m.RunID) {
			if id != "" && !seen[id] {
				seen[id] = true
				burst.RunIDs = append(burst.RunIDs, id)
			}
		}
	}
	for drained := false; !drained; {
		select {
		case b := <-c.send: // the page's writer may take some meanwhile: fine
			fold(b)
		default:
			drained = true
		}
	}
	fold(msg)
	if burst.All || len(burst.RunIDs) > MaxBurstRuns {
		burst.All, burst.RunIDs = true, nil
	}
	b, _ := json.Marshal(burst)
	c.send <- b // room: only the hub sends, under mu, and the queue is empty
	if presence != nil && cap(c.send) > 1 {
		c.send <- presence
	}
}

// Bursts counts the times a page's queue was folded into a burst.
func (h *Hub) Bursts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bursts
}

// Presence is who has a run open.
type Presence struct {
	Kind    string   `json:"kind"` // "presence"
	RunID   string   `json:"runId"`
	Viewers []string `json:"viewers"`
}

// Viewers returns who has run open here, by name, each once, sorted.
func (h *Hub) Viewers(run string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := map[string]bool{}
	for c := range h.clients {
		if c.Run == run {
			names[c.User] = true
		}
	}
	out := []string{}
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Present tells the clients on run who is viewing it.
func (h *Hub) Present(run string, viewers []string) {
	if viewers == nil {
		viewers = []string{}
	}
	msg, _ := json.Marshal(Presence{Kind: KindPresence, RunID: run, Viewers: viewers})
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.Run == run {
			h.offer(c, msg)
		}
	}
}

// Len counts open clients.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Close drops every client; later joins are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		c.close()
		delete(h.clients, c)
	}
}
