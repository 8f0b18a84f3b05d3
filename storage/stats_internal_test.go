package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestQueuePlannedAfterABurst: on PostgreSQL a burst of arrivals has the
// store gather the statistics of runs again, so the queue's first page is
// read from the due index, 101 rows, instead of every waiting run read and
// sorted (25 ms a page at 20,000 waiting, growing with the queue): the
// plan the statistics from before the burst (none, here) lead to.
// Autovacuum is off for runs, so only the store can gather them. It
// gathers those of the word index too: without them PostgreSQL guesses a
// word to be rare and asks whether one every run holds is common
// (commonWords) by gathering every run of it from the word index (2.5 ms a
// word at 20,000 runs, growing with them), where with them it reads a
// thousand rows and stops (0.5 ms).
func TestQueuePlannedAfterABurst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{DB: pgtest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, table := range []string{"runs", "run_text"} {
		if _, err := s.w.ExecContext(ctx, `ALTER TABLE `+table+` SET (autovacuum_enabled = false)`); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for start := 0; start < 2*replanFloor; start += 500 {
		var outs []review.EventOutcome
		for i := start; i < start+500; i++ {
			c, err := review.Interpret(review.Event{ID: "x", Type: review.EventRunNeedsReview, Payload: []byte(fmt.Sprintf(
				`{"object":"workflow_run","id":"workflow_run_%05d","status":"NEEDS_REVIEW","workflow":{"id":"wf_1","name":"One"},"files":[{"id":"file_%05d","name":"invoice-%05d.pdf","type":"PDF"}]}`, i, i, i))})
			if err != nil {
				t.Fatal(err)
			}
			at := now.Add(time.Duration(i) * time.Second)
			c.Arrival = &review.Arrival{Apply: true, Status: review.StatusNeedsReview, Queued: at, Due: at}
			outs = append(outs, review.EventOutcome{Change: c})
		}
		if _, err := s.ApplyEvents(ctx, outs); err != nil {
			t.Fatal(err)
		}
	}
	q, args, err := s.queueQuery(ctx, review.QueueFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var last string
	waitUntil(t, "the queue's page read from the due index", func() bool {
		err := queryRows(ctx, s.r, `EXPLAIN `+q, args, func(rows *sql.Rows) error {
			var line string
			err := rows.Scan(&line)
			last += line + "\n"
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		read := strings.Contains(last, "Index Scan using runs_queue_due") && !strings.Contains(last, "Sort")
		if !read {
			last = ""
		}
		return read
	})
	waitUntil(t, "the statistics of the word index", func() bool {
		var words int
		err := s.r.QueryRowContext(ctx, `SELECT coalesce(array_length(most_common_elems, 1), 0) FROM pg_stats WHERE tablename = 'run_text' AND attname = 'tsv'`).Scan(&words)
		if err != nil && !isNoRows(err) {
			t.Fatal(err)
		}
		return words > 0
	})
}
