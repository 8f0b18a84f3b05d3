package web

import (
	"sync"
	"syscall"

	"github.com/reviewer-app/reviewer/review"
)

// Caps on open websockets. A page opens one; a person with a few tabs open
// needs a few. The overall cap leaves half the process's file descriptors
// to everything else, so the webhook and /healthz stay answerable.
const (
	socketsPerSession = 16
	socketsPerUser    = 32
	maxSockets        = 10_000
)

// sockets tracks open websockets by session and user: it refuses one past
// a cap, and closes a session's or a user's sockets when their access ends
// (sign-out, password reset, disabled account).
type sockets struct {
	mu        sync.Mutex
	total     int
	max       int
	bySession map[string]map[*socket]struct{}
	byUser    map[int64]int
}

// socket is one open websocket; close ends it.
type socket struct {
	session string
	user    int64
	close   func()
}

func newSockets(limit int) *sockets {
	if limit <= 0 {
		limit = maxSockets
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur > 0 {
			limit = min(limit, max(64, int(lim.Cur/2)))
		}
	}
	return &sockets{max: limit, bySession: map[string]map[*socket]struct{}{}, byUser: map[int64]int{}}
}

// open reserves a place for a socket of session and user, or says which
// cap it would pass: 429 for the person's caps, 503 for the server's.
func (s *sockets) open(session string, user int64) (*socket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total >= s.max:
		return nil, review.Errorf(review.EUNAVAILABLE, "The server has as many live connections as it takes (%d); live updates resume when some close.", s.max)
	case len(s.bySession[session]) >= socketsPerSession:
		return nil, review.Errorf(review.ETOOMANY, "This session has %d live connections open, the most it may: close some tabs.", socketsPerSession)
	case s.byUser[user] >= socketsPerUser:
		return nil, review.Errorf(review.ETOOMANY, "You have %d live connections open, the most one person may: close some tabs.", socketsPerUser)
	}
	k := &socket{session: session, user: user, close: func() {}}
	if s.bySession[session] == nil {
		s.bySession[session] = map[*socket]struct{}{}
	}
	s.bySession[session][k] = struct{}{}
	s.byUser[user]++
	s.total++
	return k, nil
}

// attach sets how the socket is ended.
func (s *sockets) attach(k *socket, close func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k.close = close
}

// done gives a socket's place back.
func (s *sockets) done(k *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bySession[k.session][k]; !ok {
		return
	}
	delete(s.bySession[k.session], k)
	if len(s.bySession[k.session]) == 0 {
		delete(s.bySession, k.session)
	}
	if s.byUser[k.user]--; s.byUser[k.user] == 0 {
		delete(s.byUser, k.user)
	}
	s.total--
}

// closeSession ends every socket of a session.
func (s *sockets) closeSession(session string) {
	s.mu.Lock()
	var ks []*socket
	for k := range s.bySession[session] {
		ks = append(ks, k)
	}
	s.mu.Unlock()
	for _, k := range ks {
		k.close()
	}
}

// closeUser ends every socket of a user.
func (s *sockets) closeUser(user int64) {
	s.mu.Lock()
	var ks []*socket
	for _, set := range s.bySession {
		for k := range set {
			if k.user == user {
				ks = append(ks, k)
			}
		}
	}
	s.mu.Unlock()
	for _, k := range ks {
		k.close()
	}
}

// count returns how many sockets are open.
func (s *sockets) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
