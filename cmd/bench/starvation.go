package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

const (
	silentConns     = 64               // connections holding a declared body open without sending it
	silentDeclared  = 32 << 20         // the length each declares: the largest body the webhook takes
	starveRate      = 50               // signed webhooks offered a second
	starvePhase     = 12 * time.Second // longer than the grace, so the silent ones are cut and come back
	gaugeSampleTime = 50 * time.Millisecond
)

// benchStarvation measures signed webhooks (20 KB, offered at a steady
// rate, latency from the scheduled send) while 64 connections send only the
// webhook headers with a 32 MiB length and then nothing, each reopened as
// soon as the server cuts it; beside the same load with no such connections.
func benchStarvation(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-starvation-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, stop, err := start(ctx, filepath.Join(dir, "server"), "")
	if err != nil {
		return nil, err
	}
	defer stop()
	n := int(starvePhase.Seconds()) * starveRate
	bodies, err := ingestBodies(2 * n)
	if err != nil {
		return nil, err
	}
	target := in.URL + "/webhooks/extend"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: starveRate}, Timeout: time.Minute}

	base := offer(ctx, client, target, bodies[:n])
	fmt.Fprintf(log, "signed webhooks, no silent connections: %s\n", base)

	// The attack: silent connections, each reopened when the server cuts it.
	attack, stopAttack := context.WithCancel(ctx)
	var opened, cut atomic.Int64
	var wg sync.WaitGroup
	for range silentConns {
		wg.Go(func() {
			for attack.Err() == nil {
				if silent(attack, in.URL) {
					cut.Add(1)
				}
				opened.Add(1)
			}
		})
	}
	peak := make(chan int64, 1)
	go func() { peak <- peakBodyBytes(attack, in.URL) }()
	for ceiling := time.Now().Add(time.Minute); ; time.Sleep(gaugeSampleTime) { // until they are all in
		reading, _, err := bodyGauges(in.URL)
		if err == nil && time.Now().After(ceiling) {
			err = fmt.Errorf("%d of %d silent connections reached the server in a minute", reading, silentConns)
		}
		if err != nil {
			stopAttack()
			wg.Wait()
			return nil, err
		}
		if reading >= silentConns {
			break
		}
	}
	under := offer(ctx, client, target, bodies[n:])
	stopAttack()
	wg.Wait()
	held := <-peak
	fmt.Fprintf(log, "signed webhooks beside %d silent connections: %s; %d silent connections opened, %d cut by the server; body memory held at most %d KiB\n",
		silentConns, under, opened.Load(), cut.Load(), held>>10)

	return []result{
		{Name: fmt.Sprintf("slow-body starvation: signed 20 KB webhooks offered at %d/s for %s (latency from the scheduled send) beside %d connections that declare %d MiB and send nothing, each reopened when cut", starveRate, starvePhase, silentConns, silentDeclared>>20),
			Value:    fmt.Sprintf("%s; %d silent connections cut and reopened; body memory held at most %d KiB", under, cut.Load(), held>>10),
			Baseline: fmt.Sprintf("no silent connections: %s", base), Goal: "every signed webhook 200, latency as without"},
	}, nil
}

// offered is what a steady offer of signed webhooks got.
type offered struct {
	ok, sent int
	lat      []time.Duration
	refusals map[string]int
}

func (o offered) String() string {
	s := fmt.Sprintf("%d of %d answered 200, p99 %s (p50 %s)", o.ok, o.sent, ms(percentile(o.lat, 99)), ms(percentile(o.lat, 50)))
	if len(o.refusals) > 0 {
		s += fmt.Sprintf(", refused %v", o.refusals)
	}
	return s
}

// offer sends each body at its scheduled time, starveRate a second, each in
// its own request, and waits for every answer.
func offer(ctx context.Context, client *http.Client, target string, bodies [][]byte) offered {
	o := offered{sent: len(bodies), refusals: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i, body := range bodies {
		at := start.Add(time.Duration(i) * time.Second / starveRate)
		time.Sleep(time.Until(at))
		wg.Go(func() {
			err := demo.Send(ctx, client, target, benchSecret, body)
			took := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			o.lat = append(o.lat, took)
			if err != nil {
				msg := err.Error()
				o.refusals[msg[:min(len(msg), 40)]]++
				return
			}
			o.ok++
		})
	}
	wg.Wait()
	return o
}

// silent opens a connection that sends the webhook headers (a current
// timestamp, a well-formed signature, a 32 MiB length) and nothing else,
// and keeps it until the server answers or ctx ends. It reports whether the
// server cut it.
func silent(ctx context.Context, base string) bool {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		return false
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	ts := time.Now().Unix()
	fmt.Fprintf(c, "POST /webhooks/extend HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s: %d\r\n%s: %s\r\n\r\n",
		silentDeclared, review.HeaderTimestamp, ts, review.HeaderSignature, review.Sign("wss_any", ts, nil))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// peakBodyBytes samples the bytes held for webhook bodies until ctx ends
// and returns the most seen.
func peakBodyBytes(ctx context.Context, base string) int64 {
	var peak int64
	for ctx.Err() == nil {
		if _, held, err := bodyGauges(base); err == nil {
			peak = max(peak, held)
		}
		time.Sleep(gaugeSampleTime)
	}
	return peak
}

// bodyGauges reads the webhook body gauges from /metrics.
func bodyGauges(base string) (reading, held int64, err error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		switch name {
		case "reviewer_webhook_bodies_reading":
			reading, err = strconv.ParseInt(value, 10, 64)
		case "reviewer_webhook_body_bytes":
			held, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return reading, held, sc.Err()
}
