package pages

import (
	"context"
	"errors"
	"image/color"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/reviewer-app/reviewer/review"
)

// Bounds of decoding, for the whole server.
const (
	// DefaultDecodeMemory is the memory every decoder together may hold at
	// once: page images of every kind, thumbnails, turned pages, read boxes,
	// sheets and texts. With the collector's slack this keeps decoding
	// within about twice as much resident memory, whatever is asked at once.
	DefaultDecodeMemory = 256 << 20
	// DefaultDecodes is how many decodes run at once: each is bound to a
	// core, so more only hold more memory without finishing sooner.
	DefaultDecodes = 2
	// decodeWait is how long a request waits for its share before it is
	// told to come back (a browser asks again; see viewer.js).
	decodeWait = 2 * time.Second
)

// Budget is the memory the server's decoders may hold at once, in bytes,
// and how many may decode at once. Every decoder tells its cost, estimated
// from the document's header (an image's size and depth, a page's size at
// the width asked, an archive's declared size), and takes it before it
// allocates; what would never fit is refused with a sentence, what does not
// fit now waits briefly and is then refused as busy. PDFium's own working
// memory is bounded apart, per instance (Options.Memory); the bitmaps it
// hands over are drawn from here.
type Budget struct {
	room, slots *semaphore.Weighted
	max         int64
	wait        time.Duration
	held, peak  atomic.Int64
	busy        atomic.Int64
}

func newBudget(max int64, decodes int) *Budget {
	return &Budget{room: semaphore.NewWeighted(max), slots: semaphore.NewWeighted(int64(decodes)), max: max, wait: decodeWait}
}

// Take reserves n bytes and one decode, waiting briefly for them; release
// gives them back. A cost larger than the whole budget is EUNPROCESSABLE
// (it never fits: the caller remembers it), one that finds no room in time
// is EUNAVAILABLE.
func (b *Budget) Take(ctx context.Context, n int64) (release func(), err error) {
	return b.take(ctx, n, b.wait, 1)
}

// takePatiently is Take for work nobody waits on at a screen (measuring a
// document as it arrives): it waits as long as ctx lasts.
func (b *Budget) takePatiently(ctx context.Context, n int64) (release func(), err error) {
	return b.take(ctx, n, 0, 1)
}

// take reserves n bytes and decodes of the decodes at once, waiting at
// most wait for them (as long as ctx lasts when wait is 0).
func (b *Budget) take(ctx context.Context, n int64, wait time.Duration, decodes int64) (func(), error) {
	n = max(n, 1)
	if n > b.max {
		return nil, review.Errorf(review.EUNPROCESSABLE, "This document is too large to show: decoding it needs %d MiB, more than the %d MiB this server decodes with.", (n+1<<20-1)>>20, b.max>>20)
	}
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	if decodes > 0 {
		if err := b.slots.Acquire(ctx, decodes); err != nil {
			return nil, b.refuse(ctx)
		}
	}
	if err := b.room.Acquire(ctx, n); err != nil {
		b.slots.Release(decodes)
		return nil, b.refuse(ctx)
	}
	now := b.held.Add(n)
	for p := b.peak.Load(); now > p && !b.peak.CompareAndSwap(p, now); p = b.peak.Load() {
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			b.held.Add(-n)
			b.room.Release(n)
			b.slots.Release(decodes)
		}
	}, nil
}

// refuse says why a reservation was not had: the caller left, or the
// server is busy.
func (b *Budget) refuse(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	b.busy.Add(1)
	return review.Errorf(review.EUNAVAILABLE, "The server is busy decoding other documents; this one will be shown in a moment.")
}

// Held returns the bytes reserved now; Peak the most ever reserved at once;
// Busy how many requests were turned away for want of room.
func (b *Budget) Held() int64 { return b.held.Load() }
func (b *Budget) Peak() int64 { return b.peak.Load() }
func (b *Budget) Busy() int64 { return b.busy.Load() }

// Max returns the budget's size in bytes.
func (b *Budget) Max() int64 { return b.max }

// pixelBytes is how many bytes a decoder holds per pixel of an image of
// model m: the depth it decodes into.
func pixelBytes(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // at most: 4:4:4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA, CMYK, and WebP's NYCbCrA at most
}

// scaleCost is what scaling an image of sh rows to dw×dh holds: x/image's
// kernels keep a float buffer of dw×sh pixels, and the result.
func scaleCost(dw, sh, dh int) int64 {
	return int64(dw)*int64(sh)*32 + int64(dw)*int64(dh)*4
}

// encodeCost is what a PNG encoder holds beside its image, writing to a
// file: its rows and its compressor.
const encodeCost = 1 << 20
