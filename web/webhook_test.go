package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/memwatch"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// zeros is a body of n bytes made as it is read, so 64 senders of 31 MiB
// cost the test nothing.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// TestWebhookFloodKeepsMemoryBounded reproduces the red team's attack: 64
// concurrent 31 MiB bodies, once without signature headers (refused before
// a byte of body is read) and once with fresh, well-formed but wrong
// signatures (read, within the cap on bodies in flight). Signed events sent
// during the flood still ingest.
func TestWebhookFloodKeepsMemoryBounded(t *testing.T) {
	pgtest.EachInTurn(t, testWebhookFloodKeepsMemoryBounded)
}

func testWebhookFloodKeepsMemoryBounded(t *testing.T) {
	e := newEnv(t, web.Config{})
	const senders, size = 64, 31 << 20
	// The bound: the cap on bodies held at once, plus as much again for
	// garbage the collector has not yet taken, plus the test's own heap.
	const bound = 2 * (web.DefaultBodyMemory + 64<<20)

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, DisableKeepAlives: true}}
	flood := func(headers func(h http.Header)) (answers map[int]int, failed int) {
		var mu sync.Mutex
		answers = map[int]int{}
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/extend", &zeros{size})
				req.ContentLength = size
				headers(req.Header)
				resp, err := client.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil { // the server may close while the body is still being sent
					failed++
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answers[resp.StatusCode]++
			})
		}
		wg.Wait()
		return answers, failed
	}

	t.Run("unsigned", func(t *testing.T) {
		stop := memwatch.Peak(memwatch.Heap)
		answers, failed := flood(func(http.Header) {})
		peak := stop()
		t.Logf("answers %v, connections cut %d, peak heap %d MiB", answers, failed, peak>>20)
		if answers[http.StatusUnauthorized]+failed != senders {
			t.Fatalf("answers %v: every unsigned request must be refused", answers)
		}
		if peak > 96<<20 {
			t.Fatalf("peak heap %d MiB: unsigned bodies must not be read", peak>>20)
		}
	})

	t.Run("wrong signature", func(t *testing.T) {
		stop := memwatch.Peak(memwatch.Heap)
		ingested := make(chan error, 1)
		go func() { ingested <- sendWithRetry(e, 5) }()
		answers, failed := flood(func(h http.Header) {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			h.Set(review.HeaderTimestamp, ts)
			h.Set(review.HeaderSignature, review.Sign("wss_not_the_secret", 1, nil))
		})
		peak := stop()
		t.Logf("answers %v, connections cut %d, peak heap %d MiB (bound %d MiB)", answers, failed, peak>>20, bound>>20)
		// A sender starved of CPU on a busy machine may send too slowly for
		// the server, which answers 400 ("the body arrived too slowly"):
		// refused too.
		if answers[http.StatusOK] != 0 || answers[http.StatusUnauthorized]+answers[http.StatusServiceUnavailable]+answers[http.StatusBadRequest]+failed != senders {
			t.Fatalf("answers %v: each must be 401, or 503 when the cap is reached, or 400 for a body sent too slowly", answers)
		}
		if peak > bound {
			t.Fatalf("peak heap %d MiB, bound %d MiB", peak>>20, bound>>20)
		}
		if err := <-ingested; err != nil {
			t.Fatal(err)
		}
	})
}

// sendWithRetry sends n signed events, retrying each on 503 as Extend does.
func sendWithRetry(e *env, n int) error {
	for i := range n {
		body := demo.Event(fmt.Sprintf("evt_flood_%d", i), review.EventWorkflowCreated, json.RawMessage(`{"object":"workflow","id":"workflow_f","name":"F"}`))
		// The flood holds the cap for as long as the machine takes to
		// read it: a busy machine makes the wait longer, not the test fail.
		for deadline := time.Now().Add(2 * time.Minute); ; {
			resp, _ := e.post(body, secret, time.Now())
			if resp.StatusCode == http.StatusOK {
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || time.Now().After(deadline) {
				return fmt.Errorf("signed event %d: %s", i, resp.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	counts, err := e.store.EventCounts(context.Background())
	if err != nil {
		return err
	}
	if counts["pending"]+counts["done"] != int64(n) {
		return fmt.Errorf("stored events %v, want %d pending", counts, n)
	}
	return nil
}

// TestWebhookWhateverItsContentType: the signature is over the raw body,
// so a signed event is taken whatever Content-Type it comes with; sent as
// curl -d sends it (application/x-www-form-urlencoded), the body was read
// as a form before the webhook saw it and answered 401 "signature does not
// match" (and beyond 64 KiB, 413 "The form is larger", far below
// --max-body).
func TestWebhookWhateverItsContentType(t *testing.T) {
	e := newEnv(t, web.Config{})
	for i, size := range []int{0, 100 << 10} {
		body, err := json.Marshal(map[string]any{"eventId": fmt.Sprintf("evt_form_%d", i), "eventType": "workflow_run.completed", "payload": map[string]any{}, "padding": strings.Repeat("x", size)})
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Now()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/extend", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set(review.HeaderSignature, review.Sign(secret, ts.Unix(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("a signed event of %d bytes sent as a form: %s %s", len(body), resp.Status, answer)
		}
	}
}
