package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web/live"
)

const (
	wsBuffer     = 64               // messages a page may fall behind before it is dropped
	wsWriteWait  = 5 * time.Second  // a write that takes longer drops the page
	wsPongWait   = 60 * time.Second // silence after which a page is gone
	wsPingPeriod = 25 * time.Second
	catchUpLimit = 500 // changes replayed to a reconnecting page; more means reload
)

// socket upgrades a signed-in page to a websocket. The session was checked
// by the route's access rule before this runs; the Origin must be this
// server's, so another site cannot open a socket with the user's cookie.
func (s *Server) socket(w http.ResponseWriter, r *http.Request) error {
	up := websocket.Upgrader{
		ReadBufferSize: 1024, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool { return sameOrigin(r, s.cfg.BaseURL) },
	}
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	user := userFrom(r.Context())
	session, _ := r.Context().Value(sessionKey).(string)
	place, err := s.sockets.open(session, user.ID)
	if err != nil {
		if review.ErrorCode(err) == review.EUNAVAILABLE {
			w.Header().Set("Retry-After", "30")
		}
		return err
	}
	defer s.sockets.done(place)
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	s.sockets.attach(place, func() { conn.Close() })
	c := live.NewClient(user.DisplayName(), r.URL.Query().Get("run"), wsBuffer)
	// Catch up before joining would miss what commits in between; join
	// first, then replay: a page may see a change twice, never not at all.
	s.hub.Join(c)
	s.presence.changed(c.Run)
	go s.writeLoop(conn, c, since, session)
	s.readLoop(conn, c)
	return nil
}

func sameOrigin(r *http.Request, base string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if o.Host == r.Host {
		return true
	}
	b, err := url.Parse(base)
	return err == nil && o.Scheme == b.Scheme && o.Host == b.Host
}

// readLoop reads until the page goes away (pongs keep it alive).
func (s *Server) readLoop(conn *websocket.Conn, c *live.Client) {
	defer s.presence.changed(c.Run)
	defer s.hub.Leave(c)
	conn.SetReadLimit(1024)
	conn.SetReadDeadline(time.Now().Add(wsPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writeLoop replays what the page missed, then forwards the hub's messages
// and pings; it closes the connection when the hub drops the page.
//
// At every ping it checks that the session still lives, so a socket outlasts
// neither a sign-out nor an expiry elsewhere (another instance, the CLI).
func (s *Server) writeLoop(conn *websocket.Conn, c *live.Client, since int64, session string) {
	ping := time.NewTicker(wsPingPeriod)
	defer func() {
		ping.Stop()
		conn.Close()
	}()
	write := func(b []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	hello, _ := json.Marshal(map[string]any{"kind": "hello", "seq": s.lastSeq()})
	if !write(hello) {
		return
	}
	if since > 0 {
		changes, err := s.store.ChangesSince(context.Background(), since, catchUpLimit+1)
		if err != nil || len(changes) > catchUpLimit {
			reset, _ := json.Marshal(map[string]string{"kind": "reset"})
			write(reset)
		} else {
			for _, ch := range changes {
				if ch.Kind == review.FeedPresence {
					continue // who is there now comes with the join
				}
				b, _ := json.Marshal(live.FromFeed(ch))
				if !write(b) {
					return
				}
			}
		}
	}
	for {
		select {
		case msg, ok := <-c.Messages():
			if !ok {
				conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
				conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closing"))
				return
			}
			if !write(msg) {
				return
			}
		case <-ping.C:
			if se, err := s.store.Session(context.Background(), session); review.ErrorCode(err) == review.EUNAUTHORIZED || review.ErrorCode(err) == review.ENOTFOUND || err == nil && se.User.Disabled {
				conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
				conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "signed out"))
				return
			}
			conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if conn.WriteMessage(websocket.PingMessage, nil) != nil {
				return
			}
		}
	}
}

func (s *Server) lastSeq() int64 {
	seq, _ := s.store.LastChange(context.Background())
	return seq
}

// Run feeds committed changes to the open pages until ctx ends, then drops
// every page.
func (s *Server) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { defer close(done); s.tellPresence(ctx) }()
	live.Relay(ctx, s.store, s.hub, s.relayFrom, s.cfg.FeedPoll, s.log)
	<-done
}
