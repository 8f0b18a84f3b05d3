package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

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
	arrival, err := demo.Arrival()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for round := 0; b.Loop(); round++ {
		b.StopTimer()
		var outs []review.EventOutcome
		for i := range batch {
			ev, body := event(fmt.Sprintf("e%d_%d", round, i), review.EventRunNeedsReview, arrival(fmt.Sprintf("b%d_%d", round, i)))
			if _, err := s.AppendEvent(ctx, ev, body); err != nil {
				b.Fatal(err)
			}
			c, err := review.Interpret(ev)
			if err != nil {
				b.Fatal(err)
			}
			a, err := review.Arrive(c.Run, review.Arriving{}) // new runs, no rules: as desk.Arrive decides
			if err != nil {
				b.Fatal(err)
			}
			c.Arrival = &a
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
