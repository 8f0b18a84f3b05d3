package storage_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestDuplicates: a run is keyed by its document's checksum until its
// workflow names key fields, then by their values, as it arrives and when
// the fields change; each run finds the earliest other run of its key, on
// its own and on the queue's and the API's lists, and whether that one
// came first.
func TestDuplicates(t *testing.T) { pgtest.Each(t, testDuplicates) }

func testDuplicates(t *testing.T) {
	s := open(t, t.TempDir())
	dk := desk.New(s, nil, nil, nil)
	ctx := context.Background()
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	arrive := func(tag string) string { // the same invoice, its own run and file
		send(t, s, "evt_"+tag, review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(b), "demo_aws", "demo_"+tag)))
		apply(t, s)
		return "workflow_run_demo_" + tag + "_2026"
	}
	a, bb, c := arrive("a"), arrive("b"), arrive("c")
	dupOf := func(id string) *review.Duplicate {
		t.Helper()
		run, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return run.Duplicate
	}
	want := func(id, other string, earlier bool) {
		t.Helper()
		d := dupOf(id)
		switch {
		case other == "" && d != nil:
			t.Fatalf("%s is flagged as a duplicate of %+v", id, d)
		case other == "":
		case d == nil || d.RunID != other || d.Earlier != earlier:
			t.Fatalf("%s: duplicate %+v, want %s (earlier %v)", id, d, other, earlier)
		}
	}
	// No document stored yet: nothing to compare.
	want(a, "", false)
	for _, f := range []string{"file_demo_a", "file_demo_b"} {
		if _, err := dk.StoreFile(ctx, f, strings.NewReader("the same bytes"), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dk.StoreFile(ctx, "file_demo_c", strings.NewReader("other bytes"), 1<<20); err != nil {
		t.Fatal(err)
	}
	want(bb, a, true)
	want(a, bb, false) // the first of its key: it points at the later one
	want(c, "", false)
	if d := dupOf(bb); len(d.Fields) != 0 || !strings.HasPrefix(d.Matched(), "the same file") || d.Decided() != "waiting for review" {
		t.Fatalf("by checksum: %+v, %q, %q", d, d.Matched(), d.Decided())
	}

	const wf = "workflow_demo_invoices"
	if err := dk.SetDuplicateKeys(ctx, wf, []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	want(bb, a, true)
	want(c, a, true)
	d := dupOf(c)
	if d.Matched() != "invoice_number 42183017" || len(d.Fields) != 1 {
		t.Fatalf("by fields: %+v, %q", d, d.Matched())
	}
	late := arrive("d") // keyed as it arrives
	want(late, a, true)

	queue, _, err := s.Queue(ctx, review.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := s.Runs(ctx, review.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]review.RunSummary{queue, runs} {
		if len(list) != 4 {
			t.Fatalf("%d runs listed, want 4", len(list))
		}
		for _, r := range list {
			if r.Duplicate == nil || (r.ID != a && r.Duplicate.RunID != a) {
				t.Errorf("%s listed with duplicate %+v", r.ID, r.Duplicate)
			}
		}
	}

	if err := dk.SetDuplicateKeys(ctx, wf, []string{"invoice_number", "invoice_number"}, "admin@example.com"); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a field named twice: %v", err)
	}
	// Back to the document's checksum: the keys follow.
	if err := dk.SetDuplicateKeys(ctx, wf, nil, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	want(c, "", false)
	want(late, "", false)
	want(bb, a, true)
	log, err := s.AdminLog(ctx, 10)
	if err != nil || len(log) < 2 || !strings.Contains(log[0].Action, "checksum") {
		t.Fatalf("admin log %+v (%v)", log, err)
	}
}

// TestDuplicatesAreTold: the feed names both runs when a later run comes
// to share a key, as it arrives keyed by fields or when its document is
// stored: the earlier run's page and queue row now say it has a duplicate.
func TestDuplicatesAreTold(t *testing.T) { pgtest.Each(t, testDuplicatesAreTold) }

func testDuplicatesAreTold(t *testing.T) {
	s := open(t, t.TempDir())
	dk := desk.New(s, nil, nil, nil)
	ctx := context.Background()
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	arrive := func(tag string) string {
		send(t, s, "evt_"+tag, review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(b), "demo_aws", "demo_"+tag)))
		apply(t, s)
		return "workflow_run_demo_" + tag + "_2026"
	}
	told := func(do func()) []string {
		t.Helper()
		before, err := s.ChangesSince(ctx, 0, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		do()
		after, err := s.ChangesSince(ctx, before[len(before)-1].Seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range after {
			out = append(out, c.Kind+" "+c.RunID)
		}
		return out
	}
	a := arrive("a")
	var bb string
	got := told(func() { bb = arrive("b") })
	if strings.Join(got, ",") != "run "+bb { // no documents yet: no key
		t.Fatalf("the second arrival told %v", got)
	}
	if _, err := dk.StoreFile(ctx, "file_demo_a", strings.NewReader("the same bytes"), 1<<20); err != nil {
		t.Fatal(err)
	}
	got = told(func() {
		if _, err := dk.StoreFile(ctx, "file_demo_b", strings.NewReader("the same bytes"), 1<<20); err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Contains(got, "run "+a) || !slices.Contains(got, "run "+bb) {
		t.Fatalf("the second document told %v, want both runs", got)
	}
	if err := dk.SetDuplicateKeys(ctx, "workflow_demo_invoices", []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	var c string
	got = told(func() { c = arrive("c") })
	if strings.Join(got, ",") != "run "+c+",run "+a {
		t.Fatalf("a duplicate arriving told %v, want it and the earliest of its key", got)
	}
}

// TestArrivalKeyedAsFetched: an arrival keyed by its document is kept
// only while the documents of its files are as they were read: one
// fetched in between refuses it, and decided again it is keyed by it.
func TestArrivalKeyedAsFetched(t *testing.T) { pgtest.Each(t, testArrivalKeyedAsFetched) }

func testArrivalKeyedAsFetched(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	send(t, s, "evt_a", review.EventRunNeedsReview, b)
	outs := pending(t, s)
	run := outs[0].Change.Run
	decide := func() {
		t.Helper()
		fetched, err := s.FetchedFiles(ctx, []string{run.Files[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		a, err := review.Arrive(run, review.Arriving{Fetched: fetched, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		outs[0].Change.Arrival = &a
	}
	decide()
	hash, err := s.PutFile(ctx, run.Files[0].ID, strings.NewReader("the bytes"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(ctx, outs); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("applied though its document was fetched since: %v", err)
	}
	decide()
	if _, err := s.ApplyEvents(ctx, outs); err != nil {
		t.Fatal(err)
	}
	keyed, err := s.KeyedRunsOf(ctx, []string{run.ID})
	if err != nil || len(keyed) != 1 || keyed[0].Key != review.ChecksumKeyPrefix+hash {
		t.Fatalf("keyed %+v, %v; want by %s", keyed, err, hash)
	}
}
