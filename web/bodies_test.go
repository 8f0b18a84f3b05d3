package web

import (
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
	b := newBodies(1 << 20)
	cases := []struct {
		name   string
		body   io.Reader
		length int64
		ok     bool
	}{
		{"whole, declared", strings.NewReader(strings.Repeat("a", 1000)), 1000, true},
		{"whole, chunked", strings.NewReader(strings.Repeat("a", 300<<10)), -1, true},
		{"cut off, declared", &failing{500}, 1000, false},
		{"cut off, chunked", &failing{200 << 10}, -1, false},
		{"too large, chunked", strings.NewReader(strings.Repeat("a", 600<<10)), -1, false},
		{"too large, declared", strings.NewReader("a"), 2 << 20, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/extend", c.body)
			r.ContentLength = c.length
			body, release, err := b.read(httptest.NewRecorder(), r, 512<<10)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err == nil {
				if len(body) == 0 {
					t.Fatal("no body")
				}
				release()
			}
			if !b.room.TryAcquire(b.max) {
				t.Fatal("the read kept part of the room")
			}
			b.room.Release(b.max)
		})
	}
}
