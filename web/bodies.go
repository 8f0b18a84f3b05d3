package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Bounds on request bodies read whole into memory (the webhook's).
const (
	// DefaultBodyMemory is how many bytes of bodies may be held at once.
	DefaultBodyMemory = 128 << 20
	// DefaultBodyGrace is how long a body may take to start arriving: a
	// connection that sends headers and then nothing is cut after it.
	DefaultBodyGrace = 5 * time.Second
	// DefaultBodyRate is what a body must average, in bytes a second,
	// once the grace is over; every byte sent buys 1/rate seconds more. So
	// holding memory costs a sender as much bandwidth as it holds.
	DefaultBodyRate = 256 << 10
	// bodyWait is how long a body waits for room before the sender is
	// told to retry (Extend retries a 503).
	bodyWait = 2 * time.Second
	// firstChunk is what a body is first given, whatever it declares: no
	// more than the server's own buffers for any connection, so declaring
	// a length costs a sender nothing it has not sent.
	firstChunk = 4 << 10
	// bodyShares: one address may hold 1/bodyShares of the memory for
	// bodies (and always one body of the largest size), so it takes two
	// senders, each sending at least the minimum rate, to fill it.
	bodyShares = 2
	// v6Block is how much of an IPv6 address names one sender: a site is
	// given a /64, so its addresses share one share.
	v6Block = 64
)

// bodies caps the memory held by request bodies in flight. A body reserves
// room as its bytes arrive (its buffer doubles, up to its declared length),
// never for what it only declares. One address may hold at most share of
// the max, so senders elsewhere (Extend) keep room whatever one address
// does. When the room is taken, a body waits briefly and is then refused
// with 503 and Retry-After.
type bodies struct {
	max, share int64         // bytes held at once: by everyone, by one address
	grace      time.Duration // before the minimum rate applies
	rate       int64         // bytes a second, on average, after the grace

	mu      sync.Mutex
	held    int64
	by      map[string]int64 // bytes held, by address
	reading int              // bodies being read
	freed   chan struct{}    // closed when room is given back, to wake who waits
}

func newBodies(max, share int64, grace time.Duration, rate int64) *bodies {
	return &bodies{max: max, share: min(share, max), grace: grace, rate: rate, by: map[string]int64{}, freed: make(chan struct{})}
}

// inUse reports the bodies being read and the bytes held for them.
func (b *bodies) inUse() (reading int, held int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reading, b.held
}

// acquire reserves n bytes for addr, waiting until ctx ends for room.
func (b *bodies) acquire(ctx context.Context, addr string, n int64) error {
	for {
		b.mu.Lock()
		if b.held+n <= b.max && b.by[addr]+n <= b.share {
			b.held += n
			b.by[addr] += n
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives back n bytes addr held.
func (b *bodies) release(addr string, n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
	if b.by[addr] -= n; b.by[addr] == 0 {
		delete(b.by, addr)
	}
	close(b.freed)
	b.freed = make(chan struct{})
}

// sender is the key of addr's share: the address, or its /64 for IPv6.
func sender(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Unmap().Is4() {
		return addr
	}
	return netip.PrefixFrom(a, v6Block).Masked().String()
}

// read returns r's body, at most limit bytes, sent from addr. Its buffer
// and reservation grow as the bytes arrive; a body that has not averaged
// the minimum rate since the grace ended is cut. The caller must call
// release once it no longer holds the body.
func (b *bodies) read(w http.ResponseWriter, r *http.Request, addr string, limit int64) (body []byte, release func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, tooLarge(limit)
	}
	b.mu.Lock()
	b.reading++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.reading--
		b.mu.Unlock()
	}()
	addr = sender(addr)
	var held int64
	free := func() { b.release(addr, held) }
	defer func() {
		if err != nil {
			free() // every error path gives its reservation back
		}
	}()
	// want is where the buffer stops growing: the declared length, or one
	// byte past the limit, which tells MaxBytesReader to refuse.
	want := r.ContentLength
	if want < 0 {
		want = limit + 1
	}
	src := http.MaxBytesReader(w, r.Body, limit)
	rc := http.NewResponseController(w)
	start := time.Now()
	var n int64
	for n < r.ContentLength || r.ContentLength < 0 {
		if n == held {
			grow := min(max(held, firstChunk), want-held)
			ctx, cancel := context.WithTimeout(r.Context(), bodyWait)
			err := b.acquire(ctx, addr, grow)
			cancel()
			if err != nil {
				w.Header().Set("Retry-After", "5")
				return nil, nil, review.Errorf(review.EUNAVAILABLE, "too many large requests at once; retry shortly")
			}
			held += grow
			body = append(make([]byte, 0, held), body...)
		}
		// Every byte buys 1/rate seconds after the grace; a connection
		// that stops sending reaches the deadline and gives its room back.
		rc.SetReadDeadline(start.Add(b.grace + time.Duration(float64(n)/float64(b.rate)*float64(time.Second))))
		k, err := src.Read(body[n:held])
		n += int64(k)
		body = body[:n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, b.bodyError(err, limit, n, time.Since(start))
		}
	}
	return body, free, nil
}

func tooLarge(limit int64) error {
	return review.Errorf(review.ETOOLARGE, "body is larger than %d bytes", limit)
}

// bodyError says why reading a body failed, after n bytes and took.
func (b *bodies) bodyError(err error, limit, n int64, took time.Duration) error {
	var max *http.MaxBytesError
	switch {
	case errors.As(err, &max):
		return tooLarge(limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return review.Errorf(review.EINVALID, "the body arrived too slowly: %d bytes in %s; after the first %s a body must average %d bytes a second",
			n, took.Round(time.Millisecond), b.grace, b.rate)
	}
	return review.Errorf(review.EINVALID, "reading body: %v", err)
}
