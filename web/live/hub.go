// Package live fans changes out to open pages. The hub knows nothing of
// websockets: a Client is a bounded queue of messages that a connection's
// writer drains. Publishing never blocks; a client that falls behind is
// dropped (its queue closed) and reconnects, catching up by sequence number.
package live

import (
	"encoding/json"
	"sort"
	"sync"
)

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
	Dropped int // clients dropped for falling behind
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{clients: map[*Client]struct{}{}} }

// Join adds a client and tells the others on its run who is there.
func (h *Hub) Join(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		c.close()
		return
	}
	h.clients[c] = struct{}{}
	h.presence(c.Run)
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
	h.presence(c.Run)
}

// Publish queues msg for every client. A client whose queue is full is
// dropped instead of slowing anyone else.
func (h *Hub) Publish(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		h.offer(c, msg)
	}
}

func (h *Hub) offer(c *Client, msg []byte) {
	select {
	case c.send <- msg:
	default:
		delete(h.clients, c)
		c.close()
		h.Dropped++
	}
}

// Presence is who has a run open.
type Presence struct {
	Kind    string   `json:"kind"` // "presence"
	RunID   string   `json:"runId"`
	Viewers []string `json:"viewers"`
}

// presence tells the clients on run who is viewing it (mu held).
func (h *Hub) presence(run string) {
	if run == "" {
		return
	}
	var on []*Client
	names := map[string]bool{}
	for c := range h.clients {
		if c.Run == run {
			on = append(on, c)
			names[c.User] = true
		}
	}
	p := Presence{Kind: "presence", RunID: run, Viewers: []string{}}
	for n := range names {
		p.Viewers = append(p.Viewers, n)
	}
	sort.Strings(p.Viewers)
	msg, _ := json.Marshal(p)
	for _, c := range on {
		h.offer(c, msg)
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
