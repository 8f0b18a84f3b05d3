package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/memwatch"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// benchHardening records the exact memory figures the hardening tests bound
// with margins: a flood of large webhook bodies against the real wiring,
// beside reading the same bodies whole as the receiver did before; and a
// Flate bomb against PDFium with its default caps, beside an ordinary page.
func benchHardening(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-hardening-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, stop, err := start(ctx, filepath.Join(dir, "server"), "")
	if err != nil {
		return nil, err
	}
	defer stop()

	const senders, size = 64, 31 << 20
	flood := func(signed bool) (uint64, map[int]int) {
		answers := map[int]int{}
		var mu sync.Mutex
		stopPeak := memwatch.Peak(memwatch.Heap)
		var wg sync.WaitGroup
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		for range senders {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, in.URL+"/webhooks/extend", io.LimitReader(zeroReader{}, size))
				req.ContentLength = size
				if signed {
					req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
					req.Header.Set(review.HeaderSignature, review.Sign("wss_wrong", 1, nil))
				}
				resp, err := client.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					answers[0]++
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answers[resp.StatusCode]++
			})
		}
		wg.Wait()
		return stopPeak(), answers
	}
	debug.FreeOSMemory()
	idle := memwatch.Heap()
	unsignedPeak, ua := flood(false)
	debug.FreeOSMemory()
	wrongPeak, wa := flood(true)
	debug.FreeOSMemory()
	// Baseline: the same bodies read whole, as the receiver did before.
	stopPeak := memwatch.Peak(memwatch.Heap)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() { io.ReadAll(io.LimitReader(zeroReader{}, size)) })
	}
	wg.Wait()
	readAllPeak := stopPeak()
	fmt.Fprintf(log, "webhook flood, %d x %d MiB: unsigned peak heap %d MiB %v; wrong signature %d MiB %v; io.ReadAll of the same %d MiB (idle %d MiB)\n",
		senders, size>>20, unsignedPeak>>20, ua, wrongPeak>>20, wa, readAllPeak>>20, idle>>20)

	// PDFium: a Flate bomb with the default caps, beside an ordinary page.
	rdir := filepath.Join(dir, "render")
	r, err := pages.Open(ctx, rdir, pages.Options{CompileCache: compileCache()})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	save := func(data []byte) (string, string, error) {
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		p := filepath.Join(rdir, h)
		return h, p, os.WriteFile(p, data, 0o600)
	}
	ph, pp, err := save(hostile.Plain())
	if err != nil {
		return nil, err
	}
	if _, err := r.PNG(ctx, ph, pp, 1, 1000); err != nil { // warm
		return nil, err
	}
	debug.FreeOSMemory()
	base := memwatch.RSS()
	ph2, pp2, _ := save(append(hostile.Plain(), ' '))
	stopRSS := memwatch.Peak(memwatch.RSS)
	t0 := time.Now()
	if _, err := r.PNG(ctx, ph2, pp2, 1, 2400); err != nil {
		return nil, err
	}
	plainTook, plainPeak := time.Since(t0), stopRSS()
	bh, bp, err := save(hostile.FlateBomb())
	if err != nil {
		return nil, err
	}
	stopRSS = memwatch.Peak(memwatch.RSS)
	t0 = time.Now()
	_, berr := r.PNG(ctx, bh, bp, 1, 2400)
	bombTook, bombPeak := time.Since(t0), stopRSS()
	debug.FreeOSMemory()
	after := memwatch.RSS()
	t0 = time.Now()
	_, berr2 := r.PNG(ctx, bh, bp, 1, 1000)
	again := time.Since(t0)
	if review.ErrorCode(berr) != review.EUNPROCESSABLE || review.ErrorCode(berr2) != review.EUNPROCESSABLE {
		return nil, fmt.Errorf("the bomb was not refused: %v / %v", berr, berr2)
	}
	fmt.Fprintf(log, "Flate bomb: refused in %s (%v), RSS peak +%d MiB, after +%d MiB, again in %s; an ordinary page %s, RSS peak +%d MiB\n",
		bombTook.Round(time.Millisecond), berr, mib(bombPeak, base), mib(after, base), again.Round(time.Microsecond), plainTook.Round(time.Millisecond), mib(plainPeak, base))

	return []result{
		{Name: fmt.Sprintf("webhook flood: %d concurrent %d MiB bodies, peak heap above idle; without signature headers / with fresh, well-formed, wrong signatures", senders, size>>20),
			Value:    fmt.Sprintf("%d MiB / %d MiB (answers %v / %v; 0 = connection closed before the body was sent)", mib(unsignedPeak, idle), mib(wrongPeak, idle), ua, wa),
			Baseline: fmt.Sprintf("%d MiB reading the same bodies whole with io.ReadAll (the receiver before)", mib(readAllPeak, idle)), Goal: "bounded (cap on bodies in flight: 128 MiB)"},
		{Name: "PDF Flate bomb (1 GiB content stream in 1 MB), default caps: time to refuse, resident memory peak above the warm renderer, after; the same document asked again",
			Value:    fmt.Sprintf("%s, +%d MiB, +%d MiB after; again %s", bombTook.Round(time.Millisecond), mib(bombPeak, base), mib(after, base), again.Round(time.Microsecond)),
			Baseline: fmt.Sprintf("an ordinary page at 2400 px: %s, +%d MiB", plainTook.Round(time.Millisecond), mib(plainPeak, base)), Goal: "≤ the 512 MiB instance cap; memory back after"},
	}, nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func mib(v, base uint64) int64 { return (int64(v) - int64(base)) >> 20 }
