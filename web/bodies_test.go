package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// TestBodiesGiveTheirRoomBack: whatever way a read ends (whole, cut off,
// too large with or without a declared length), its reservation is given
// back, so the cap never shrinks.
func TestBodiesGiveTheirRoomBack(t *testing.T) {
	b := newBodies(1<<20, 1<<20, DefaultBodyGrace, DefaultBodyRate)
	cases := []struct {
		name   string
		body   io.Reader
		length int64
		ok     bool
	}{
		{"whole, declared", strings.NewReader(strings.Repeat("a", 1000)), 1000, true},
		{"whole, declared, grown", strings.NewReader(strings.Repeat("a", 300<<10)), 300 << 10, true},
		{"whole, chunked", strings.NewReader(strings.Repeat("a", 300<<10)), -1, true},
		{"exactly the limit, chunked", strings.NewReader(strings.Repeat("a", 512<<10)), -1, true},
		{"cut off, declared", &failing{500}, 1000, false},
		{"cut off, chunked", &failing{200 << 10}, -1, false},
		{"too large, chunked", strings.NewReader(strings.Repeat("a", 600<<10)), -1, false},
		{"too large, declared", strings.NewReader("a"), 2 << 20, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/extend", c.body)
			r.ContentLength = c.length
			body, release, err := b.read(httptest.NewRecorder(), r, "192.0.2.1", 512<<10)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err == nil {
				if len(body) == 0 || c.length >= 0 && int64(len(body)) != c.length {
					t.Fatalf("a body of %d bytes", len(body))
				}
				release()
			}
			if reading, held := b.inUse(); reading != 0 || held != 0 {
				t.Fatalf("after the read: %d reading, %d bytes held", reading, held)
			}
		})
	}
}

// TestBodiesShare: one address holds at most its share, so another
// finds room; the whole is bounded too; room given back is room again.
// IPv6 senders are counted by their /64.
func TestBodiesShare(t *testing.T) {
	b := newBodies(1000, 600, DefaultBodyGrace, DefaultBodyRate)
	now, cancel := context.WithCancel(context.Background())
	cancel() // no waiting: room now or not at all
	steps := []struct {
		addr string
		n    int64
		ok   bool
	}{
		{"192.0.2.1", 600, true},
		{"192.0.2.1", 1, false}, // its share is taken
		{"2001:db8:1:2::1", 300, true},
		{"2001:db8:1:2::ffff", 300, false}, // the same /64
		{"192.0.2.2", 100, true},
		{"192.0.2.3", 1, false}, // the whole is taken
	}
	for _, s := range steps {
		if err := b.acquire(now, sender(s.addr), s.n); (err == nil) != s.ok {
			t.Fatalf("%d bytes for %s: err = %v, want ok=%v", s.n, s.addr, err, s.ok)
		}
	}
	b.release(sender("192.0.2.1"), 600)
	if err := b.acquire(now, sender("192.0.2.3"), 600); err != nil {
		t.Fatalf("after the first address gave its room back: %v", err)
	}
	if _, held := b.inUse(); held != 1000 {
		t.Fatalf("%d bytes held, want 1000", held)
	}
}
