package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// burstPayloads makes n run payloads of about 20 KB, each its own run with
// its own file and output ids.
func burstPayloads(tb testing.TB, n int, prefix string) []json.RawMessage {
	tb.Helper()
	payload, err := demo.Payload("nics_rotated_2026.json")
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err != nil {
		tb.Fatal(err)
	}
	tmpl := buf.String()
	if pad := 20<<10 - len(tmpl) - 300; pad > 0 {
		tmpl = `{"metadata":{"padding":"` + strings.Repeat("x", pad) + `"},` + tmpl[1:]
	}
	out := make([]json.RawMessage, n)
	for i := range out {
		// Every id of the demo run holds "demo_nics".
		out[i] = json.RawMessage(strings.ReplaceAll(tmpl, "demo_nics", fmt.Sprintf("%s_%06d", prefix, i)))
	}
	return out
}

// BenchmarkApplyEvents is the write transaction of one batch of 256
// interpreted arrivals, each its own run (ns/op is per batch): how long the
// webhook receiver may wait for the SQLite writer behind the ingest worker.
func BenchmarkApplyEvents(b *testing.B) {
	const batch = 256
	s, err := storage.Open(context.Background(), b.TempDir(), storage.Options{DB: pgtest.DB(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for round := 0; b.Loop(); round++ {
		b.StopTimer()
		var outs []review.EventOutcome
		for i, p := range burstPayloads(b, batch, fmt.Sprintf("b%d", round)) {
			ev, body := event(fmt.Sprintf("e%d_%d", round, i), review.EventRunNeedsReview, p)
			if _, err := s.AppendEvent(ctx, ev, body); err != nil {
				b.Fatal(err)
			}
			c, err := review.Interpret(ev)
			if err != nil {
				b.Fatal(err)
			}
			outs = append(outs, review.EventOutcome{Change: c})
		}
		evs, err := s.PendingEvents(ctx, batch)
		if err != nil || len(evs) != batch {
			b.Fatalf("%d pending: %v", len(evs), err)
		}
		for i := range outs {
			outs[i].Seq = evs[i].Seq
		}
		b.StartTimer()
		if _, err := s.ApplyEvents(ctx, outs); err != nil {
			b.Fatal(err)
		}
	}
}
