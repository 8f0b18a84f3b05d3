package storage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestUnmeasuredIsAQueue: a document stored (fetched or uploaded for a
// run) waits to be measured until its measure is recorded, once per blob,
// without a scan of every stored file.
func TestUnmeasuredIsAQueue(t *testing.T) { pgtest.Each(t, testUnmeasuredIsAQueue) }

func testUnmeasuredIsAQueue(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	send(t, s, "e1", review.EventRunNeedsReview, demoPayload(t, 0))
	apply(t, s)
	left := func(want ...string) {
		t.Helper()
		got, err := s.Unmeasured(ctx, 10)
		if err != nil || len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("unmeasured %v (%v), want %v", got, err, want)
		}
	}
	left()
	a, err := s.PutFile(ctx, "file_demo_aws", strings.NewReader("document A"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	left(a)
	if err := s.PutDocument(ctx, a, review.Document{Kind: "pdf", Pages: []review.PageSize{{Width: 612, Height: 792}}}); err != nil {
		t.Fatal(err)
	}
	left()
	if _, err := s.PutFile(ctx, "file_other", strings.NewReader("document A"), 1<<20); err != nil { // the same bytes again
		t.Fatal(err)
	}
	left()
	b, err := s.PutRunFile(ctx, "workflow_run_demo_aws_2026", "file_demo_aws", "sup@example.com", strings.NewReader("document B"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	left(b)
	if err := s.PutDocument(ctx, b, review.Document{Error: "This document cannot be shown: not a PDF"}); err != nil {
		t.Fatal(err)
	}
	left()
}
