package ingest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// burstBodies makes n webhook bodies of about 20 KB, each its own run with
// its own file and output ids, as Extend sends them for distinct documents.
func burstBodies(tb testing.TB, n int, prefix string) [][]byte {
	tb.Helper()
	arrival, err := demo.Arrival()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		tag := fmt.Sprintf("%s_%06d", prefix, i)
		out[i] = demo.Event("evt_"+tag, review.EventRunNeedsReview, arrival(tag))
	}
	return out
}

// appendAll stores bodies as the webhook receiver does.
func appendAll(tb testing.TB, s *storage.Store, bodies [][]byte) {
	tb.Helper()
	for _, b := range bodies {
		ev, err := review.DecodeEvent(b)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := s.AppendEvent(context.Background(), ev, b); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkApplyBurst applies a burst of 500 distinct runs that arrived
// while the worker was away: the cost of making acknowledged events
// visible, per event (ns/op is per event). Profile it with
//
//	go test -run '^$' -bench ApplyBurst -cpuprofile cpu.out ./ingest
func BenchmarkApplyBurst(b *testing.B) {
	const burst = 500
	store, w := setup(b, "http://127.0.0.1:1", "")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for round := 0; round*burst < b.N; round++ {
		b.StopTimer()
		appendAll(b, store, burstBodies(b, burst, fmt.Sprintf("b%d", round)))
		b.StartTimer()
		for {
			n, err := w.ProcessPending(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	b.StopTimer()
	counts, _ := store.EventCounts(ctx)
	if counts["pending"] != 0 || counts["failed"] != 0 {
		b.Fatalf("counts %v", counts)
	}
}
