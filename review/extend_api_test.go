package review_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// TestReviewedEndsTheRun: a decided run has finished, so its endTime is the
// decision's time (it stayed null before), in both API versions.
func TestReviewedEndsTheRun(t *testing.T) {
	when := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, name := range []string{"aws_2026.json", "qualityhosting_2025.json"} {
		t.Run(name, func(t *testing.T) {
			run, err := review.DecodeRun(demoRun(t, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []review.Decision{{Approved: true, By: "ana@example.com", At: when}, {By: "ana@example.com", At: when, Note: "not ours"}} {
				out, err := run.Reviewed(nil, d, noSizes)
				if err != nil {
					t.Fatal(err)
				}
				if got := at(t, out, "endTime"); got != "2026-11-23T10:00:00Z" {
					t.Errorf("approved %v: endTime = %q, want the decision's time", d.Approved, got)
				}
			}
		})
	}
}

// TestRunUpdateApply: an update merges its metadata keys over the ones
// Extend sent (its own win), replaces the name, and leaves every other
// byte as it was; merging updates keeps the earlier keys.
func TestRunUpdateApply(t *testing.T) {
	orig := demoRun(t, "aws_2026.json")
	u := review.RunUpdate{Metadata: map[string]json.RawMessage{"source": json.RawMessage(`"erp"`), "po": json.RawMessage(`{"n":1}`)}}
	u = u.Merge(review.RunUpdate{Name: ptr("July invoice"), Metadata: map[string]json.RawMessage{"posted": json.RawMessage(`true`)}})
	out, err := u.Apply(orig)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(raw(t, out, "metadata")), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["source"] != "erp" || meta["posted"] != true || meta["po"].(map[string]any)["n"] != 1.0 || len(meta) != 3 {
		t.Fatalf("metadata = %v", meta)
	}
	if got := at(t, out, "name"); got != "July invoice" {
		t.Fatalf("name = %q", got)
	}
	if a, b := raw(t, orig, "stepRuns"), raw(t, out, "stepRuns"); a != b {
		t.Fatal("the step runs changed")
	}
	// A run without metadata gets it; an empty update changes nothing.
	bare := json.RawMessage(`{"object":"workflow_run","id":"workflow_run_x","metadata":null}`)
	if out, _ := u.Apply(bare); !strings.Contains(string(out), `"metadata":{"po":{"n":1},"posted":true,"source":"erp"}`) {
		t.Fatalf("bare run: %s", out)
	}
	if out, _ := (review.RunUpdate{}).Apply(orig); string(out) != string(orig) {
		t.Fatal("an empty update changed the run")
	}
	if n := u.MetadataSize(orig); n != len(raw(t, out, "metadata")) {
		t.Fatalf("MetadataSize = %d, want %d", n, len(raw(t, out, "metadata")))
	}
}

// TestSummaryHead: the members a list shows are taken from a payload in
// one pass, as Extend sent them, and nothing else.
func TestSummaryHead(t *testing.T) {
	orig := demoRun(t, "aws_2026.json")
	head := review.SummaryHead(orig)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(head, &m); err != nil {
		t.Fatalf("%s: %v", head, err)
	}
	for _, k := range []string{"workflow", "workflowVersion", "files", "initialRunAt", "startTime", "endTime", "batchId"} {
		if want := raw(t, orig, k); string(m[k]) != want {
			t.Errorf("%s = %s, want %s", k, m[k], want)
		}
	}
	if _, ok := m["stepRuns"]; ok {
		t.Error("the head holds the step runs")
	}
	if got := review.SummaryHead(json.RawMessage(`[1]`)); string(got) != "{}" {
		t.Errorf("not an object: %s", got)
	}
}

func ptr[T any](v T) *T { return &v }
