package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestKeysAsRead: a run keyed by its document is keyed by one stored
// before it arrives (another run's, of the same file) as it arrives, and
// by one a supervisor uploads for it; a key
// decided on a run as it was read is not written once the run has changed
// (whatever changed it keyed it), nor once its workflow's key fields have
// changed (their change keys the runs again).
func TestKeysAsRead(t *testing.T) { pgtest.Each(t, testKeysAsRead) }

func testKeysAsRead(t *testing.T) {
	_, s := open(t)
	d := desk.New(s, measurer{}, nil, nil)
	ctx := context.Background()
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	arrive := func(run, file string) string {
		t.Helper()
		p := strings.ReplaceAll(strings.ReplaceAll(string(b), "workflow_run_demo_aws", "workflow_run_"+run), "file_demo_aws", file)
		c, err := review.Interpret(review.Event{ID: "evt_" + run, Type: review.EventRunNeedsReview, Payload: []byte(p)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
			t.Fatal(err)
		}
		return "workflow_run_" + run + "_2026"
	}
	a := arrive("a", "file_a")
	hash, err := d.StoreFile(ctx, "file_a", strings.NewReader("the same bytes"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	bb := arrive("b", "file_a") // the same file, fetched already
	dups, err := s.Duplicates(ctx, []string{a, bb})
	if err != nil || dups[bb].RunID != a || !dups[bb].Earlier || dups[bb].Key != review.ChecksumKeyPrefix+hash || dups[a].RunID != bb {
		t.Fatalf("a run arriving with its document stored: %+v, %v", dups, err)
	}

	const wf = "workflow_demo_invoices"
	c := arrive("c", "file_c")
	read, err := s.KeyedRunsOf(ctx, []string{c})
	if err != nil || len(read) != 1 || read[0].Key != "" {
		t.Fatalf("read %+v, %v", read, err)
	}
	// The document is stored and the run keyed by it after the read: the
	// key decided on the read is stale.
	if _, err := d.StoreFile(ctx, "file_c", strings.NewReader("other bytes"), 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.KeyRuns(ctx, wf, nil, []review.Rekey{{Read: read[0], Key: review.ChecksumKeyPrefix + hash}}); err != nil {
		t.Fatal(err)
	}
	if dups, err := s.Duplicates(ctx, []string{c}); err != nil || len(dups) != 0 {
		t.Fatalf("a key decided on a run since changed was written: %+v, %v", dups, err)
	}
	// A supervisor's upload of the same document for it keys it anew.
	if err := d.ReplaceFile(ctx, c, "file_c", "sup@example.com", strings.NewReader("the same bytes"), 1<<20); err != nil {
		t.Fatal(err)
	}
	if dups, err := s.Duplicates(ctx, []string{c}); err != nil || dups[c].RunID != a || dups[c].Key != review.ChecksumKeyPrefix+hash {
		t.Fatalf("after an upload: %+v, %v", dups, err)
	}
	read, err = s.KeyedRunsOf(ctx, []string{c})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetDuplicateKeys(ctx, wf, []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.KeyRuns(ctx, wf, nil, []review.Rekey{{Read: read[0], Key: review.ChecksumKeyPrefix + hash}}); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("keying by documents a workflow now keyed by fields: %v", err)
	}
	if dups, err := s.Duplicates(ctx, []string{c}); err != nil || dups[c].RunID != a || dups[c].Matched() != "invoice_number 42183017" {
		t.Fatalf("by fields: %+v, %v", dups, err)
	}
}
