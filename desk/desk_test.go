package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

const run = "workflow_run_demo_qh_2025"

// open stores the 2025 demo run in a real SQLite store and returns a desk
// over it.
func open(t *testing.T) (*desk.Desk, *storage.Store) {
	t.Helper()
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), FastPasswordHash: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, _ := demo.Payload("qualityhosting_2025.json")
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(context.Background(), []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	return desk.New(s, nil, time.Now), s
}

func text(s string) *string { return &s }

// TestSaveAndDecide: a typed number is saved exactly as typed, the decision
// carries it in Extend's shape with its edit recorded, and the outbox holds
// the event; a rejection without a note and a change to a decided run are
// refused.
func TestSaveAndDecide(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	saved, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{Version: 0, OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text("47.775,50")})
	if err != nil || string(saved.Value) != "47775.50" || !saved.Edited || saved.Version != 1 {
		t.Fatalf("save: %+v %v", saved, err)
	}
	if err := d.Decide(ctx, run, 1, "ana@example.com", false, ""); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a rejection without a note: %v", err)
	}
	if err := d.Decide(ctx, run, 1, "ana@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
	reviewed, err := s.ReviewedPayload(ctx, run)
	if err != nil || !strings.Contains(string(reviewed), "47775.50") {
		t.Fatalf("reviewed payload lacks the edit: %v", err)
	}
	if _, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{Version: 2, OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text("1")}); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("a change to a decided run: %v", err)
	}
}

// TestRefusedBeforeStored: a change that does not apply is refused and
// nothing is stored; a draft that does not apply opens as ErrBrokenDraft
// with the run still there to explain.
func TestRefusedBeforeStored(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	for _, c := range []desk.Change{
		{OutputID: "dpr_demo_qh_extract", Path: "no_such_field", Text: text("x")},
		{OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text("not a number")},
	} {
		if _, err := d.SaveEdit(ctx, run, "ana@example.com", c); err == nil {
			t.Fatalf("%+v was saved", c)
		}
	}
	if rv, _ := s.Review(ctx, run); rv.Version != 0 || len(rv.Edits) != 0 {
		t.Fatalf("a refused change was stored: %+v", rv)
	}
	if _, err := s.SaveEdit(ctx, run, 0, "old@example.com", review.Edit{OutputID: "dpr_demo_qh_extract", Path: "customer_number.no[0].such", Value: json.RawMessage(`1`), How: review.HowTyped}, nil); err != nil {
		t.Fatal(err)
	}
	o, err := d.Open(ctx, run)
	if !errors.Is(err, desk.ErrBrokenDraft) || o.Run == nil || o.Run.ID != run {
		t.Fatalf("open a broken draft: %v, run %v", err, o.Run)
	}
}

type measurer struct{ err error }

func (m measurer) Inspect(context.Context, string, string) (string, []review.PageSize, error) {
	return "pdf", []review.PageSize{{Width: 612, Height: 792}}, m.err
}

// TestLearn: a document is measured once and kept; one that cannot be shown
// keeps its sentence; a passing failure keeps nothing, so it is tried again.
func TestLearn(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	blob := func(content string) string {
		h, err := s.PutFile(ctx, "file_"+content, strings.NewReader(content), 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	ok, bad, flaky := blob("good"), blob("bad"), blob("flaky")
	if doc, err := desk.New(s, measurer{}, time.Now).Learn(ctx, ok); err != nil || len(doc.Pages) != 1 {
		t.Fatalf("learn: %+v %v", doc, err)
	}
	tooComplex := &review.Error{Code: review.EUNPROCESSABLE, Msg: "This document is too complex to show: drawing it took longer than 10s."}
	desk.New(s, measurer{err: tooComplex}, time.Now).Learn(ctx, bad)
	if doc, found, _ := s.Document(ctx, bad); !found || doc.Error != tooComplex.Msg {
		t.Fatalf("a document that cannot be shown: %+v found=%v", doc, found)
	}
	if _, err := desk.New(s, measurer{err: errors.New("disk trouble")}, time.Now).Learn(ctx, flaky); err == nil {
		t.Fatal("an internal failure was not returned")
	}
	if _, found, _ := s.Document(ctx, flaky); found {
		t.Fatal("an internal failure was kept")
	}
	if left, _ := s.Unmeasured(ctx, 10); len(left) != 1 || left[0] != flaky {
		t.Fatalf("unmeasured: %v", left)
	}
}

// TestWritesAreConditional: of reviewers saving at once from the same
// version, exactly one is saved; the others are told why, by the rule in
// review, from the state the conditional write met.
func TestWritesAreConditional(t *testing.T) {
	d, _ := open(t)
	ctx := context.Background()
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := d.SaveEdit(ctx, run, fmt.Sprintf("r%d@example.com", i), desk.Change{Version: 0, OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text(fmt.Sprint(i))})
			errs <- err
		}()
	}
	saved := 0
	for range 8 {
		switch err := <-errs; {
		case err == nil:
			saved++
		case !strings.Contains(review.ErrorMessage(err), "changed this run"):
			t.Errorf("refused without the reason: %v", err)
		}
	}
	if saved != 1 {
		t.Fatalf("%d of 8 saves from version 0 were stored", saved)
	}
	_, err := d.SaveEdit(ctx, run, "late@example.com", desk.Change{Version: 1, OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text("9")})
	if !strings.Contains(review.ErrorMessage(err), "is working on this run") {
		t.Fatalf("a change to a run someone holds: %v", err)
	}
	if _, err := d.Claim(ctx, run, "late@example.com"); review.ErrorCode(err) != review.ECONFLICT || !strings.Contains(review.ErrorMessage(err), "is working on this run") {
		t.Fatalf("claiming a held run: %v", err)
	}
}

// TestUndo: a decision is taken back by its maker within the window, with
// nothing sent and the run back in the queue, held by them; by someone else,
// or after the window, it is refused.
func TestUndo(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t), FastPasswordHash: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, _ := demo.Payload("qualityhosting_2025.json")
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	d := desk.New(s, nil, clock)
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, run, 0, "ana@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, 10); len(due) != 0 {
		t.Fatalf("%d items due inside the undo window", len(due))
	}
	if err := d.Undo(ctx, run, "bo@example.com"); review.ErrorCode(err) != review.EFORBIDDEN {
		t.Fatalf("undo by another: %v", err)
	}
	now = now.Add(d.UndoWindow - time.Second)
	if err := d.Undo(ctx, run, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	rv, _ := s.Review(ctx, run)
	if rv.Decision != "" || rv.Claim.By != "ana@example.com" {
		t.Fatalf("after undo: %+v", rv)
	}
	if items, _ := s.RecentDeliveries(ctx, 10); len(items) != 0 {
		t.Fatalf("an undone decision left %d deliveries", len(items))
	}
	// Decided again; past the window the delivery is due and undo is refused.
	if err := d.Decide(ctx, run, rv.Version, "ana@example.com", false, "wrong vendor"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(d.UndoWindow)
	if err := d.Undo(ctx, run, "ana@example.com"); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("undo after the window: %v", err)
	}
	if due, _ := s.Due(ctx, 10); len(due) != 1 {
		t.Fatalf("%d items due after the window, want the delivery", len(due))
	}
}
