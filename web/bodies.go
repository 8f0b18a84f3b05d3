package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/reviewer-app/reviewer/review"
)

// Bounds on request bodies read whole into memory (the webhook's).
const (
	// DefaultBodyMemory is how many bytes of bodies may be held at once.
	DefaultBodyMemory = 128 << 20
	// bodyWait is how long a body waits for room before the sender is
	// told to retry (Extend retries a 503).
	bodyWait = 2 * time.Second
	// A body must arrive at bodyRate bytes a second after a bodyGrace
	// start, so a slow sender cannot hold its memory for long.
	bodyGrace = 10 * time.Second
	bodyRate  = 256 << 10
	// firstChunk is what a body of unknown length is first given.
	firstChunk = 64 << 10
)

// bodies caps the memory held by request bodies in flight. Each body
// reserves its declared size (or, sent without one, what it has grown to)
// before it is read; when the reservations would pass the cap, the request
// waits briefly and is then refused with 503 and Retry-After.
type bodies struct {
	room *semaphore.Weighted
	max  int64
}

func newBodies(max int64) *bodies {
	return &bodies{room: semaphore.NewWeighted(max), max: max}
}

// read returns r's body, at most limit bytes, read into a buffer of its
// declared size within the memory cap and a deadline proportionate to its
// size. The caller must call release once it no longer holds the body.
func (b *bodies) read(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, tooLarge(limit)
	}
	var held int64
	free := func() { b.room.Release(held) }
	defer func() {
		if err != nil {
			free() // every error path gives its reservation back
		}
	}()
	reserve := func(n int64) error {
		ctx, cancel := context.WithTimeout(r.Context(), bodyWait)
		defer cancel()
		if held+n > b.max || b.room.Acquire(ctx, n) != nil {
			w.Header().Set("Retry-After", "5")
			return review.Errorf(review.EUNAVAILABLE, "too many large requests at once; retry shortly")
		}
		held += n
		return nil
	}
	expect := r.ContentLength
	if expect < 0 {
		expect = limit
	}
	deadline := bodyGrace + time.Duration(expect/bodyRate)*time.Second
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(deadline))
	src := http.MaxBytesReader(w, r.Body, limit)

	if r.ContentLength >= 0 {
		if err := reserve(r.ContentLength); err != nil {
			return nil, nil, err
		}
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(src, body); err != nil {
			return nil, nil, bodyError(err, limit, deadline)
		}
		return body, free, nil
	}
	// Sent without a length: reserve as it grows.
	if err := reserve(min(firstChunk, limit)); err != nil {
		return nil, nil, err
	}
	body = make([]byte, 0, held)
	for {
		if len(body) == cap(body) {
			grow := min(int64(cap(body)), limit-int64(cap(body)))
			if grow <= 0 {
				grow = 1 // one byte past the limit tells MaxBytesReader to refuse
			}
			if err := reserve(grow); err != nil {
				return nil, nil, err
			}
			body = slices.Grow(body, int(grow))
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, free, nil
		}
		if err != nil {
			return nil, nil, bodyError(err, limit, deadline)
		}
	}
}

func tooLarge(limit int64) error {
	return review.Errorf(review.ETOOLARGE, "body is larger than %d bytes", limit)
}

// bodyError says why reading a body failed.
func bodyError(err error, limit int64, deadline time.Duration) error {
	var max *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &max):
		return tooLarge(limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return review.Errorf(review.EINVALID, "the body did not arrive within %s", deadline)
	}
	return review.Errorf(review.EINVALID, "reading body: %v", err)
}
