package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/memwatch"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// benchDecoding records what the red team's TIFF costs: 5,000 pages of
// 16-bit RGBA sharing one strip, eight thumbnails asked at once (the
// thumbnail strip asks for that many), with the decoding budget, beside the
// same decodes without it (a budget too large to bind, as many decodes at
// once as asked). Once with the red team's 3464×3464 pages, which the
// budget refuses from their header, once with 2400×2400 pages, which fit.
func benchDecoding(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-decoding-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	const views = 8
	unbounded := pages.Options{DecodeMemory: 1 << 40, Decodes: views}

	// run asks for views thumbnails of the TIFF at once from a fresh
	// renderer, and returns the resident memory's peak above the renderer
	// at rest, how the views were answered, and how long they took.
	run := func(name string, opt pages.Options, doc []byte) (int64, map[string]int, time.Duration, error) {
		rdir := filepath.Join(dir, name)
		opt.Instances, opt.CompileCache = 1, compileCache()
		r, err := pages.Open(ctx, rdir, opt)
		if err != nil {
			return 0, nil, 0, err
		}
		defer r.Close()
		sum := sha256.Sum256(doc)
		hash := hex.EncodeToString(sum[:])
		path := filepath.Join(rdir, hash)
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			return 0, nil, 0, err
		}
		if _, _, err := r.Inspect(ctx, hash, path); err != nil {
			return 0, nil, 0, err
		}
		debug.FreeOSMemory()
		base := memwatch.RSS()
		stop := memwatch.Peak(memwatch.RSS)
		answers := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range views {
			wg.Go(func() {
				_, err := r.PNG(ctx, hash, path, i+1, pages.Widths[0])
				mu.Lock()
				defer mu.Unlock()
				switch code := review.ErrorCode(err); {
				case err == nil:
					answers["shown"]++
				case code == review.EUNAVAILABLE:
					answers["busy (503)"]++
				case code == review.EUNPROCESSABLE:
					answers["refused (422)"]++
				default:
					answers[err.Error()]++
				}
			})
		}
		wg.Wait()
		took := time.Since(t0)
		peak := stop()
		debug.FreeOSMemory()
		return mib(peak, base), answers, took, nil
	}

	var out []result
	for _, side := range []int{3464, 2400} {
		doc := hostile.SharedStripTIFF(5000, side, side)
		bounded, ba, bt, err := run(fmt.Sprintf("bounded-%d", side), pages.Options{}, doc)
		if err != nil {
			return nil, err
		}
		free, fa, ft, err := run(fmt.Sprintf("unbounded-%d", side), unbounded, doc)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "TIFF %d KB, 5000 pages %d×%d 16-bit RGBA: %d thumbnails at once, budget %d MiB: RSS peak +%d MiB %v in %s; unbounded +%d MiB %v in %s\n",
			len(doc)>>10, side, side, views, pages.DefaultDecodeMemory>>20, bounded, ba, bt.Round(time.Millisecond), free, fa, ft.Round(time.Millisecond))
		out = append(out, result{
			Name:     fmt.Sprintf("TIFF of 5,000 pages %d×%d 16-bit RGBA sharing one strip (%d KB): %d thumbnails asked at once, resident memory peak above the renderer at rest; how they were answered", side, side, len(doc)>>10, views),
			Value:    fmt.Sprintf("+%d MiB in %s %v", bounded, bt.Round(time.Millisecond), ba),
			Baseline: fmt.Sprintf("+%d MiB in %s %v without the budget", free, ft.Round(time.Millisecond), fa),
			Goal:     fmt.Sprintf("≤ +512 MiB (decoding budget %d MiB, %d decodes at once)", pages.DefaultDecodeMemory>>20, pages.DefaultDecodes),
		})
	}
	return out, nil
}
