package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestBatchAppliesAsOneByOne: a batch mixing every kind of change, with
// runs repeated and sharing files and outputs, leaves the same state as
// the same events applied one at a time (runs of distinct ids are written
// together; anything else must see what came before it).
func TestBatchAppliesAsOneByOne(t *testing.T) { pgtest.Each(t, testBatchAppliesAsOneByOne) }

func testBatchAppliesAsOneByOne(t *testing.T) {
	run := func(id, status, file, fileName, output string, conf float64) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":%q,"workflow":{"id":"wf_mix","name":"Mix"},
			"files":[{"id":%q,"name":%q,"type":"PDF"},{"id":%q,"name":"","type":""}],
			"outputs":[{"id":%q,"type":"EXTRACT","output":{"total":{"type":"number","value":1,"confidence":%g}}}]}`, id, status, file, fileName, file, output, conf))
	}
	events := []struct {
		typ     string
		payload json.RawMessage
	}{
		{review.EventRunNeedsReview, run("workflow_run_a", "NEEDS_REVIEW", "file_shared", "first.pdf", "dpr_a", 0.5)},
		{review.EventRunNeedsReview, run("workflow_run_b", "NEEDS_REVIEW", "file_shared", "second.pdf", "dpr_shared", 0.6)},
		{review.EventRunCompleted, run("workflow_run_a", "PROCESSED", "file_shared", "", "dpr_a", 0.5)},
		{review.EventWorkflowDeleted, json.RawMessage(`{"id":"wf_mix","name":"Mix"}`)},
		{review.EventRunNeedsReview, run("workflow_run_c", "NEEDS_REVIEW", "file_c", "c.pdf", "dpr_shared", 0.7)},
		{"processor_run.processed", json.RawMessage(`{"object":"document_processor_run","id":"dpr_shared","type":"EXTRACT","output":{"total":{"type":"number","value":2,"confidence":0.1}}}`)},
		{review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run"}`)},                                   // fails to interpret
		{review.EventRunNeedsReview, run("workflow_run_a", "NEEDS_REVIEW", "file_shared", "late.pdf", "dpr_a", 0.5)}, // late: a decided run stays decided
		{review.EventStepRunProcessed, json.RawMessage(`{"object":"workflow_step_run","id":"step_d","workflowRunId":"workflow_run_d","step":{"type":"PARSE"},"result":{}}`)},
		{review.EventRunNeedsReview, run("workflow_run_d", "NEEDS_REVIEW", "file_d", "d.pdf", "dpr_d", 0.8)},
	}
	ctx := context.Background()
	state := func(batched bool) string {
		s := open(t, t.TempDir())
		for i, e := range events {
			send(t, s, fmt.Sprintf("e%d", i), e.typ, e.payload)
			if !batched {
				apply(t, s)
			}
		}
		apply(t, s)
		var b strings.Builder
		for _, id := range []string{"workflow_run_a", "workflow_run_b", "workflow_run_c", "workflow_run_d"} {
			r, err := s.Run(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s %s %d parses", r.ID, r.Status, r.Raw, len(r.Parses))
			for _, f := range r.Files {
				fmt.Fprintf(&b, " %s:%s:%s", f.ID, f.Name, f.Type)
			}
			b.WriteString("\n")
		}
		for _, id := range []string{"file_shared", "file_c", "file_d"} {
			f, err := s.File(ctx, id)
			fmt.Fprintf(&b, "file %s %q %q %v\n", id, f.Name, f.Type, err)
		}
		q, _, _ := s.Queue(ctx, review.QueueFilter{Limit: 10})
		for _, r := range q {
			fmt.Fprintf(&b, "queued %s %v\n", r.ID, *r.MinConfidence)
		}
		chs, _ := s.ChangesSince(ctx, 0, 100)
		for _, ch := range chs {
			fmt.Fprintf(&b, "told %s %s\n", ch.Kind, ch.RunID)
		}
		counts, _ := s.EventCounts(ctx)
		fmt.Fprintf(&b, "events %v\n", counts)
		return b.String()
	}
	one, batch := state(false), state(true)
	if one != batch {
		t.Fatalf("one by one:\n%s\nin one batch:\n%s", one, batch)
	}
	if !strings.Contains(batch, "events map[done:9 failed:1]") || !strings.Contains(batch, "workflow_run_a PROCESSED") || !strings.Contains(batch, `file file_shared "second.pdf"`) {
		t.Fatalf("state:\n%s", batch)
	}
}
