package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
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
	in, err := instance.New(ctx, instance.Config{
		Addr: "127.0.0.1:0", Data: filepath.Join(dir, "server"), ExtendURL: "http://127.0.0.1:1",
		Web: web.Config{WebhookSecrets: []string{benchSecret}},
	})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(runCtx) }()
	defer func() { stop(); <-done }()

	const senders, size = 64, 31 << 20
	flood := func(signed bool) (uint64, map[int]int) {
		answers := map[int]int{}
		var mu sync.Mutex
		stopPeak := peakHeap()
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
	idle := heapNow()
	unsignedPeak, ua := flood(false)
	debug.FreeOSMemory()
	wrongPeak, wa := flood(true)
	debug.FreeOSMemory()
	// Baseline: the same bodies read whole, as the receiver did before.
	stopPeak := peakHeap()
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
	r, err := pages.Open(ctx, rdir, pages.Options{})
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
	base := rss()
	ph2, pp2, _ := save(append(hostile.Plain(), ' '))
	stopRSS := peakRSS()
	t0 := time.Now()
	if _, err := r.PNG(ctx, ph2, pp2, 1, 2400); err != nil {
		return nil, err
	}
	plainTook, plainPeak := time.Since(t0), stopRSS()
	bh, bp, err := save(hostile.FlateBomb())
	if err != nil {
		return nil, err
	}
	stopRSS = peakRSS()
	t0 = time.Now()
	_, berr := r.PNG(ctx, bh, bp, 1, 2400)
	bombTook, bombPeak := time.Since(t0), stopRSS()
	debug.FreeOSMemory()
	after := rss()
	t0 = time.Now()
	_, berr2 := r.PNG(ctx, bh, bp, 1, 1000)
	again := time.Since(t0)
	if review.ErrorCode(berr) != review.EUNPROCESSABLE || review.ErrorCode(berr2) != review.EUNPROCESSABLE {
		return nil, fmt.Errorf("the bomb was not refused: %v / %v", berr, berr2)
	}
	fmt.Fprintf(log, "Flate bomb: refused in %s (%v), RSS peak +%d MiB, after +%d MiB, again in %s; an ordinary page %s, RSS peak +%d MiB\n",
		bombTook.Round(time.Millisecond), berr, mib(bombPeak, base), mib(after, base), again.Round(time.Microsecond), plainTook.Round(time.Millisecond), mib(plainPeak, base))

	return []result{
		{fmt.Sprintf("webhook flood: %d concurrent %d MiB bodies, peak heap above idle; without signature headers / with fresh, well-formed, wrong signatures", senders, size>>20),
			fmt.Sprintf("%d MiB / %d MiB (answers %v / %v; 0 = connection closed before the body was sent)", mib(unsignedPeak, idle), mib(wrongPeak, idle), ua, wa),
			fmt.Sprintf("%d MiB reading the same bodies whole with io.ReadAll (the receiver before)", mib(readAllPeak, idle)), "bounded (cap on bodies in flight: 128 MiB)"},
		{"PDF Flate bomb (1 GiB content stream in 1 MB), default caps: time to refuse, resident memory peak above the warm renderer, after; the same document asked again",
			fmt.Sprintf("%s, +%d MiB, +%d MiB after; again %s", bombTook.Round(time.Millisecond), mib(bombPeak, base), mib(after, base), again.Round(time.Microsecond)),
			fmt.Sprintf("an ordinary page at 2400 px: %s, +%d MiB", plainTook.Round(time.Millisecond), mib(plainPeak, base)), "≤ the 512 MiB instance cap; memory back after"},
	}, nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func mib(v, base uint64) int64 { return (int64(v) - int64(base)) >> 20 }

func heapNow() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap samples the live heap until stop is called.
func peakHeap() (stop func() uint64) { return sampler(heapNow) }

// peakRSS samples resident memory until stop is called.
func peakRSS() (stop func() uint64) { return sampler(rss) }

func sampler(read func() uint64) func() uint64 {
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// rss returns the process's resident memory in bytes.
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
