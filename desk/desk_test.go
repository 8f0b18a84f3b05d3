package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

const run = "workflow_run_demo_qh_2025"

// open stores the 2025 demo run in a real SQLite store and returns a desk
// over it.
func open(t *testing.T) (*desk.Desk, *storage.Store) {
	t.Helper()
	return openAt(t, time.Now)
}

// openAt is open with the store and the desk telling time by clock.
func openAt(t *testing.T, clock func() time.Time) (*desk.Desk, *storage.Store) {
	t.Helper()
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, _ := demo.Payload("qualityhosting_2025.json")
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(context.Background(), []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	d := desk.New(s, nil, rules.New(nil), clock)
	d.Passwords = passwords.New(true)
	return d, s
}

func text(s string) *string { return &s }

// arrive has a demo run arrive for review beside the one open has.
func arrive(t *testing.T, s *storage.Store, file string) {
	t.Helper()
	p, _ := demo.Payload(file)
	c, err := review.Interpret(review.Event{ID: "evt_" + strings.TrimSuffix(file, ".json"), Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(context.Background(), []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
}

// TestSaveAndDecide: a typed number is saved exactly as typed, the decision
// carries it in Extend's shape with its edit recorded, and the outbox holds
// the event; a rejection without a note and a change to a decided run are
// refused.
func TestSaveAndDecide(t *testing.T) { pgtest.Each(t, testSaveAndDecide) }

func testSaveAndDecide(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	saved, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{Version: 0, OutputID: "dpr_demo_qh_extract", Path: "customer_number", Text: text("47.775,50")})
	if err != nil || string(saved.Value) != "47775.50" || !saved.Edited || saved.Version != 1 {
		t.Fatalf("save: %+v %v", saved, err)
	}
	if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Version: 1, Approve: false, Note: ""}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a rejection without a note: %v", err)
	}
	if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Version: 1, Approve: true, Note: ""}); err != nil {
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
func TestRefusedBeforeStored(t *testing.T) { pgtest.Each(t, testRefusedBeforeStored) }

func testRefusedBeforeStored(t *testing.T) {
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

type measurer struct {
	err   error
	drawn *[]string // the documents whose page one was drawn
}

func (m measurer) Inspect(context.Context, string, string) (string, []review.PageSize, error) {
	return "pdf", []review.PageSize{{Width: 612, Height: 792}}, m.err
}

func (m measurer) DrawFirst(_ context.Context, hash, _, _ string) error {
	if m.drawn != nil {
		*m.drawn = append(*m.drawn, hash)
	}
	return nil
}

// TestMeasure: a document is measured once and kept; one that cannot be shown
// keeps its sentence; a passing failure keeps nothing, so it is tried again.
func TestMeasure(t *testing.T) { pgtest.Each(t, testMeasure) }

func testMeasure(t *testing.T) {
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
	var drawn []string
	if doc, err := desk.New(s, measurer{drawn: &drawn}, rules.New(nil), time.Now).Measure(ctx, ok); err != nil || len(doc.Pages) != 1 {
		t.Fatalf("learn: %+v %v", doc, err)
	}
	tooComplex := &review.Error{Code: review.EUNPROCESSABLE, Msg: "This document is too complex to show: drawing it took longer than 10s."}
	desk.New(s, measurer{err: tooComplex, drawn: &drawn}, rules.New(nil), time.Now).Measure(ctx, bad)
	// Measuring draws nothing: page one is drawn apart, so that drawing
	// (tens of milliseconds) never holds up the next document's measure.
	if len(drawn) != 0 {
		t.Fatalf("measuring drew page one of %v", drawn)
	}
	// Drawn for a measured document that can be shown, only.
	for _, b := range []string{ok, bad, flaky} {
		if err := desk.New(s, measurer{drawn: &drawn}, rules.New(nil), time.Now).DrawFirst(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if len(drawn) != 1 || drawn[0] != ok {
		t.Fatalf("page one drawn for %v, want only the measured document %s", drawn, ok)
	}
	if doc, found, _ := s.Document(ctx, bad); !found || doc.Error != tooComplex.Msg {
		t.Fatalf("a document that cannot be shown: %+v found=%v", doc, found)
	}
	if _, err := desk.New(s, measurer{err: errors.New("disk trouble")}, rules.New(nil), time.Now).Measure(ctx, flaky); err == nil {
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
func TestWritesAreConditional(t *testing.T) { pgtest.Each(t, testWritesAreConditional) }

func testWritesAreConditional(t *testing.T) {
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
func TestUndo(t *testing.T) { pgtest.Each(t, testUndo) }

func testUndo(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, _ := demo.Payload("qualityhosting_2025.json")
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	d := desk.New(s, nil, rules.New(nil), clock)
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Version: 0, Approve: true, Note: ""}); err != nil {
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
	if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Version: rv.Version, Approve: false, Note: "wrong vendor"}); err != nil {
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

// TestRulesHoldApprovalBack: a rule with an error is refused when saved,
// saying where; a failing blocking rule holds approval back until the
// line item is fixed, or a supervisor overrides it with a note; what the
// rules said travels with the decision and is counted on the dashboard.
func TestRulesHoldApprovalBack(t *testing.T) { pgtest.Each(t, testRulesHoldApprovalBack) }

func testRulesHoldApprovalBack(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	const wf = "workflow_demo_legacy"
	sum := review.Rule{Name: "lines add up", Expr: `total.amount == sum(line_items.map(i, i.amount))`,
		Message: "The line amounts must add up to the total.", Severity: review.SeverityBlock, Fields: []string{"total"}}
	bad := sum
	bad.Expr = `totl.amount == 1`
	if err := d.SetRules(ctx, wf, []review.Rule{bad}, "admin@example.com"); review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "line 1, column 1: undeclared reference to 'totl'") {
		t.Fatalf("a rule naming no field: %v", err)
	}
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more"}); err != nil {
		t.Fatal(err)
	}
	warn := review.Rule{Name: "has a customer", Expr: `customer_number > 0`, Message: "Customer number missing.", Severity: review.SeverityWarn}
	if err := d.SetRules(ctx, wf, []review.Rule{sum, warn}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	// The demo's lines add up in decimals (in floats too, here): break one.
	saved, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{Version: 0, OutputID: "dpr_demo_qh_extract", Path: "line_items[1].amount", Text: text("5.93")})
	if err != nil {
		t.Fatal(err)
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	err = d.Decide(ctx, run, ana, desk.Verdict{Version: saved.Version, Approve: true})
	if review.ErrorCode(err) != review.ECONFLICT || !strings.Contains(err.Error(), "The line amounts must add up to the total.") {
		t.Fatalf("approval with a failing blocking rule: %v", err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: saved.Version, Approve: true, Override: true, Note: "I say so"}); review.ErrorCode(err) != review.EFORBIDDEN {
		t.Fatalf("a reviewer's override: %v", err)
	}
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	if err := d.Decide(ctx, run, sup, desk.Verdict{Version: saved.Version, Approve: true, Override: true}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("an override without a note: %v", err)
	}
	// Fixed, it goes through, and the passing rules go with it.
	saved, err = d.SaveEdit(ctx, run, "ana@example.com", desk.Change{Version: saved.Version, OutputID: "dpr_demo_qh_extract", Path: "line_items[1].amount", Text: text("5.39")})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Version: saved.Version, Approve: true}); err != nil {
		t.Fatal(err)
	}
	audit, err := s.Audit(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	last := audit[len(audit)-1]
	if last.Action != review.ActionApprove || len(last.Rules) != 2 || !last.Rules[0].Passed || !last.Rules[1].Passed {
		t.Fatalf("the decision's audit entry: %+v", last)
	}
	ds, err := s.RecentDeliveries(ctx, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %v %v", ds, err)
	}
	if body := string(ds[0].Body); !strings.Contains(body, `"rules":[{"rule":"lines add up","severity":"block","passed":true}`) {
		t.Errorf("the delivery does not carry the rules: %.300s", body[strings.Index(body, "reviewerAudit"):])
	}
}

// TestOverrideIsCounted: a supervisor's override is recorded with its note,
// and the dashboard counts the rule that failed.
func TestOverrideIsCounted(t *testing.T) { pgtest.Each(t, testOverrideIsCounted) }

func testOverrideIsCounted(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	never := review.Rule{Name: "never", Expr: `false`, Message: "Always fails.", Severity: review.SeverityBlock}
	if err := d.SetRules(ctx, "workflow_demo_legacy", []review.Rule{never}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	if err := d.Decide(ctx, run, sup, desk.Verdict{Approve: true, Override: true, Note: "vendor confirmed by phone"}); err != nil {
		t.Fatal(err)
	}
	dash, err := s.Dashboard(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(dash.RuleFails) != 1 || dash.RuleFails[0].Rule != "never" || dash.RuleFails[0].Failed != 1 || dash.RuleFails[0].Overridden != 1 {
		t.Fatalf("rule failures on the dashboard: %+v", dash.RuleFails)
	}
	audit, _ := s.Audit(ctx, run)
	if last := audit[len(audit)-1]; last.Note != "vendor confirmed by phone" || last.Rules[0].Passed {
		t.Fatalf("the override's audit entry: %+v", last)
	}
}

// TestHostileNumbersRefusedAtEdit: an edit whose JSON value is a list of
// 500 amounts written 1e999999 (typed text refuses exponents; a JSON value
// did not) is refused with a sentence naming the field, and nothing is
// stored: no view of the run ever reads it.
func TestHostileNumbersRefusedAtEdit(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	value := "[" + strings.TrimSuffix(strings.Repeat(`{"amount":1e999999},`, 500), ",") + "]"
	_, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{OutputID: "dpr_demo_qh_extract", Path: "line_items", Value: json.RawMessage(value)})
	if review.ErrorCode(err) != review.EINVALID || !strings.HasPrefix(review.ErrorMessage(err), "line_items: ") || !strings.Contains(err.Error(), "1e999999") {
		t.Fatalf("500 amounts of 1e999999: %v, want them refused with a sentence naming the field", err)
	}
	if rv, _ := s.Review(ctx, run); rv.Version != 0 || len(rv.Edits) != 0 {
		t.Fatalf("the refused edit was stored: %+v", rv)
	}
}

// TestRulesCheckedOnRecentRuns: a rule is kept only if it is cheap on a
// sample of the workflow's recent runs, not the newest alone, and with the
// values it waits for: one costly on an older run, or once a reviewer
// types what it compares a field with, is refused, saying so.
func TestRulesCheckedOnRecentRuns(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	const wf = "workflow_demo_legacy"
	// A newer run of the workflow, whose list is empty.
	p, _ := demo.Payload("qualityhosting_2025.json")
	p = json.RawMessage(strings.ReplaceAll(string(p), run, run+"b"))
	p, err := review.Splice(p, []string{"outputs", "0", "output", "line_items", "value"}, json.RawMessage(`[]`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := review.Interpret(review.Event{ID: "evt_2", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	if o, err := d.Latest(ctx, wf); err != nil || o.Run.ID != run+"b" {
		t.Fatalf("the newest run: %v", err)
	}
	bomb := "[total.amount]" + strings.Repeat(".map(x, x * x)", 40) + "[0] > 0"
	for _, tt := range []struct{ when, want string }{
		{"size(line_items) < 5 || ", "on " + run + ":"},
		{"customer_number != 4711 || ", "customer_number = 4711"},
		{"vendor.name == 'BOOM' && ", `vendor.name = "BOOM"`},
	} {
		r := review.Rule{Name: "costly", Expr: tt.when + bomb, Message: "m", Severity: review.SeverityBlock}
		err := d.SetRules(ctx, wf, []review.Rule{r}, "admin@example.com")
		if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "too costly") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s(squarings): %v, want it refused as too costly, saying %s", tt.when, err, tt.want)
		}
	}
	if rs, _ := s.Rules(ctx, wf); len(rs) != 0 {
		t.Fatalf("a costly rule was kept: %+v", rs)
	}
}

// TestClassChangeKeepsWhatItReplaced: a class change records the class it
// replaced, so the history can say "from invoice to receipt" (it recorded
// null, read as "(was , typed)").
func TestClassChangeKeepsWhatItReplaced(t *testing.T) {
	pgtest.Each(t, testClassChangeKeepsWhatItReplaced)
}

func testClassChangeKeepsWhatItReplaced(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	arrive(t, s, "aws_2026.json")
	const aws = "workflow_run_demo_aws_2026"
	if _, err := d.SaveEdit(ctx, aws, "ana@example.com", desk.Change{OutputID: "clr_demo_aws", Path: review.PathClass, Value: json.RawMessage(`{"id":"cls_receipt","type":"receipt"}`)}); err != nil {
		t.Fatal(err)
	}
	audit, err := s.Audit(ctx, aws)
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit %+v %v", audit, err)
	}
	var was, now struct{ Type string }
	if json.Unmarshal(audit[0].Before, &was) != nil || json.Unmarshal(audit[0].After, &now) != nil || was.Type != "invoice" || now.Type != "receipt" {
		t.Fatalf("the class change is recorded as %s -> %s", audit[0].Before, audit[0].After)
	}
}

// TestAnEmptiedFieldCitesNothing: a cited field set to null (Alt+N) loses
// its citation too: the run as reviewed never cites a place for no value.
func TestAnEmptiedFieldCitesNothing(t *testing.T) { pgtest.Each(t, testAnEmptiedFieldCitesNothing) }

func testAnEmptiedFieldCitesNothing(t *testing.T) {
	d, _ := open(t)
	ctx := context.Background()
	o, err := d.Open(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := o.Current.Output("dpr_demo_qh_extract").Field("total"); !ok || len(f.Refs) == 0 {
		t.Fatal("the demo's total is not cited")
	}
	if _, err := d.SaveEdit(ctx, run, "ana@example.com", desk.Change{OutputID: "dpr_demo_qh_extract", Path: "total", Value: json.RawMessage(`null`)}); err != nil {
		t.Fatal(err)
	}
	if o, err = d.Open(ctx, run); err != nil {
		t.Fatal(err)
	}
	if f, _ := o.Current.Output("dpr_demo_qh_extract").Field("total"); string(f.Value) != "null" || len(f.Refs) != 0 {
		t.Fatalf("the emptied total reads %s, cited at %+v", f.Value, f.Refs)
	}
}

// TestDuplicateRuleHoldsApprovalBack: an admin keys a workflow by a field
// (a misspelt one is refused); a rule on duplicate then holds back the
// approval of a later run with the same value, and not the earliest one's.
func TestDuplicateRuleHoldsApprovalBack(t *testing.T) {
	pgtest.Each(t, testDuplicateRuleHoldsApprovalBack)
}

func testDuplicateRuleHoldsApprovalBack(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	const wf, copied = "workflow_demo_legacy", "workflow_run_demo_qh_copy_2025"
	p, _ := demo.Payload("qualityhosting_2025.json")
	c, err := review.Interpret(review.Event{ID: "evt_2", Type: review.EventRunNeedsReview, Payload: []byte(strings.ReplaceAll(string(p), "demo_qh", "demo_qh_copy"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetDuplicateKeys(ctx, wf, []string{"invoice_numbr"}, "admin@example.com"); review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "invoice_numbr is not a field") {
		t.Fatalf("a misspelt key field: %v", err)
	}
	if err := d.SetDuplicateKeys(ctx, wf, []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	once := review.Rule{Name: "once", Expr: `!duplicate`, Message: "An earlier run has this invoice number.", Severity: review.SeverityBlock}
	if err := d.SetRules(ctx, wf, []review.Rule{once}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	err = d.Decide(ctx, copied, ana, desk.Verdict{Approve: true})
	if review.ErrorCode(err) != review.ECONFLICT || !strings.Contains(err.Error(), "An earlier run has this invoice number.") {
		t.Fatalf("approving the later run: %v", err)
	}
	if err := d.Decide(ctx, run, ana, desk.Verdict{Approve: true}); err != nil {
		t.Fatalf("approving the earliest run: %v", err)
	}
	o, err := d.Open(ctx, copied)
	if err != nil {
		t.Fatal(err)
	}
	if dup := o.Current.Duplicate; dup == nil || dup.RunID != run || dup.Decision != "approved" || dup.DecidedBy != "ana@example.com" {
		t.Fatalf("the later run's duplicate: %+v", dup)
	}
}

// TestEscalateAndPostpone: a reviewer sends the run they hold to a
// supervisor with a reason (not one someone else holds, not without a
// reason): it leaves the queue and their hands for the escalation queue,
// in its history; only a supervisor puts it back. Postponed until a time
// still to come (within the bound), it leaves the queue and is back by
// itself once the time has come.
func TestEscalateAndPostpone(t *testing.T) { pgtest.Each(t, testEscalateAndPostpone) }

func testEscalateAndPostpone(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, s := openAt(t, clock)
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	bob := &review.User{Email: "bob@example.com", Role: review.RoleReviewer}
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	queued := func(view string) []string {
		t.Helper()
		runs, _, err := s.Queue(ctx, review.QueueFilter{View: view})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if _, err := d.Claim(ctx, run, ana.Email); err != nil {
		t.Fatal(err)
	}
	if err := d.Escalate(ctx, run, bob, "I cannot read it"); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("escalating a run someone else holds: %v", err)
	}
	if err := d.Escalate(ctx, run, ana, "  "); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("escalating without a reason: %v", err)
	}
	// An override would make the reason read otherwise on the Late board.
	if err := d.Escalate(ctx, run, ana, "The VAT rule blocks it and the invoice shows no VAT.\u202e"); err != nil {
		t.Fatal(err)
	}
	if q, esc := queued(""), queued(review.ViewEscalated); len(q) != 0 || len(esc) != 1 {
		t.Fatalf("after escalation: queue %v, escalated %v", q, esc)
	}
	runs, _, _ := s.Queue(ctx, review.QueueFilter{View: review.ViewEscalated})
	if h := runs[0].Hold; h.Kind != review.HoldEscalated || h.By != ana.Email || h.Note != "The VAT rule blocks it and the invoice shows no VAT." || !h.At.Equal(now) {
		t.Fatalf("the escalated run's hold: %+v", h)
	}
	if rv, _ := s.Review(ctx, run); rv.Claim.By != "" || !rv.Hold.Active(now) {
		t.Fatalf("after escalation the run is held by %q, hold %+v", rv.Claim.By, rv.Hold)
	}
	if _, err := d.Next(ctx, bob.Email, review.QueueFilter{}); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("Next gave an escalated run: %v", err)
	}
	if _, err := d.ClaimFor(ctx, run, bob); review.ErrorCode(err) != review.EFORBIDDEN {
		t.Fatalf("a reviewer claimed an escalated run: %v", err)
	}
	if _, err := d.ClaimFor(ctx, run, sup); err != nil {
		t.Fatalf("a supervisor claiming an escalated run: %v", err)
	}
	if err := d.Release(ctx, run, sup, false, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.Resume(ctx, run, ana); review.ErrorCode(err) != review.EFORBIDDEN {
		t.Fatalf("a reviewer put an escalated run back: %v", err)
	}
	if err := d.Resume(ctx, run, sup); err != nil {
		t.Fatal(err)
	}
	if q := queued(""); len(q) != 1 {
		t.Fatalf("resumed, the queue is %v", q)
	}

	if err := d.Postpone(ctx, run, ana, "waiting for the credit note", now.Add(-time.Minute), false); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("postponing into the past: %v", err)
	}
	if err := d.Postpone(ctx, run, ana, "waiting for the credit note", now.Add(review.MaxPostpone+time.Hour), false); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("postponing beyond the bound: %v", err)
	}
	if err := d.Postpone(ctx, run, ana, "waiting for the credit note", now.Add(4*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if q, later := queued(""), queued(review.ViewPostponed); len(q) != 0 || len(later) != 1 {
		t.Fatalf("postponed: queue %v, postponed %v", q, later)
	}
	mu.Lock()
	now = now.Add(4*time.Hour + time.Second)
	mu.Unlock()
	if q, later := queued(""), queued(review.ViewPostponed); len(q) != 1 || len(later) != 0 {
		t.Fatalf("the time has come: queue %v, postponed %v", q, later)
	}
	if id, err := d.Next(ctx, bob.Email, review.QueueFilter{}); err != nil || id != run {
		t.Fatalf("Next after the postponement: %q %v", id, err)
	}
	audit, err := s.Audit(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+": "+a.Note)
	}
	want := []string{"send to supervisor: The VAT rule blocks it and the invoice shows no VAT.", "return to queue: ", "postpone: until 2026-12-07T13:00:00Z: waiting for the credit note"}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Fatalf("history %q, want %q", actions, want)
	}
}

// TestAlertsAreToldOnce: a claim with no change for review.IdleAfter, and
// a run past its due time, are each put in the outbox once, for the
// destinations that subscribed to them by name only, however often the
// watcher looks.
func TestAlertsAreToldOnce(t *testing.T) { pgtest.Each(t, testAlertsAreToldOnce) }

func testAlertsAreToldOnce(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	later := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d, s := openAt(t, clock)
	if err := d.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_legacy", time.Hour); err != nil {
		t.Fatal(err)
	}
	subscribed, err := s.AddDestination(ctx, review.Destination{URL: "https://ops.example.com/hook", Secret: "a secret of sixteen or more",
		Events: []string{review.EventRunOverdue, review.EventClaimIdle}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, run, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	tell := func(want int) {
		t.Helper()
		for i := range 2 { // the second look tells nothing again
			n, err := d.TellAlerts(ctx)
			if err != nil || (i == 0 && n != want) || (i == 1 && n != 0) {
				t.Fatalf("look %d told %d (%v), want %d", i+1, n, err, want)
			}
		}
	}
	// The open page renews the claim every minute: it lives on, unchanged.
	heartbeats := func(minutes int) {
		t.Helper()
		for range minutes {
			later(time.Minute)
			if _, err := d.Claim(ctx, run, "ana@example.com"); err != nil {
				t.Fatal(err)
			}
		}
	}
	tell(1) // the demo run was submitted long before: it is late at once
	heartbeats(int(review.IdleAfter/time.Minute) - 1)
	tell(0)
	heartbeats(2)
	tell(1) // idle now
	ds, err := s.RecentDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ds {
		if x.DestinationID != subscribed {
			t.Errorf("a destination that did not name %s got it", x.EventType)
		}
		got = append(got, x.EventType)
	}
	if strings.Join(got, " ") != review.EventRunOverdue+" "+review.EventClaimIdle && strings.Join(got, " ") != review.EventClaimIdle+" "+review.EventRunOverdue {
		t.Fatalf("deliveries %v, want one of each", got)
	}
	if !strings.Contains(string(ds[0].Body), `"runId":"`+run+`"`) {
		t.Errorf("the event does not name the run: %s", ds[0].Body)
	}
}

// destinationsChangedMidWrite is a store where an admin adds destinations
// between the desk's reading of the destinations and its write of an
// outbox event, once; it counts the desk's readings.
type destinationsChangedMidWrite struct {
	*storage.Store
	once   sync.Once
	change func()
	reads  int
}

func (s *destinationsChangedMidWrite) Destinations(ctx context.Context) ([]review.Destination, error) {
	s.reads++
	return s.Store.Destinations(ctx)
}

func (s *destinationsChangedMidWrite) Decide(ctx context.Context, runID string, version int, d review.Decision, reviewed json.RawMessage, outcomes map[string]review.Outcome, out review.Outbound) error {
	s.once.Do(s.change)
	return s.Store.Decide(ctx, runID, version, d, reviewed, outcomes, out)
}

func (s *destinationsChangedMidWrite) TellAlert(ctx context.Context, a review.Alert, out review.Outbound) (bool, error) {
	s.once.Do(s.change)
	return s.Store.TellAlert(ctx, a, out)
}

// TestDestinationsChangedMidWrite: the desk chooses which destinations an
// event goes to; a destination added after it read them but before its
// write is not missed: the write is refused and the desk chooses again,
// so a decision's (and, in TestAlertDestinationsChangedMidWrite, an
// alert's) event goes to exactly the destinations that want it at commit.
func TestDestinationsChangedMidWrite(t *testing.T) {
	pgtest.Each(t, func(t *testing.T) { testDestinationsChangedMidWrite(t, false) })
}

func TestAlertDestinationsChangedMidWrite(t *testing.T) {
	pgtest.Each(t, func(t *testing.T) { testDestinationsChangedMidWrite(t, true) })
}

func testDestinationsChangedMidWrite(t *testing.T, alert bool) {
	ctx := context.Background()
	_, s := open(t)
	before, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more",
		Events: []string{review.EventRunCompleted, review.EventRunOverdue}})
	if err != nil {
		t.Fatal(err)
	}
	var added []int64
	mid := &destinationsChangedMidWrite{Store: s, change: func() {
		for _, d := range []review.Destination{
			{URL: "https://late.example.com/hook", Events: []string{review.EventRunCompleted, review.EventRunOverdue}},
			{URL: "https://other.example.com/hook", Workflows: []string{"wf_other"}}, // wants none of this run's
		} {
			d.Secret = "a secret of sixteen or more"
			id, err := s.AddDestination(ctx, d)
			if err != nil {
				t.Error(err)
			}
			added = append(added, id)
		}
	}}
	d := desk.New(mid, nil, rules.New(nil), nil)
	want := review.EventRunCompleted
	if alert {
		want = review.EventRunOverdue
		if err := d.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_legacy", time.Hour); err != nil {
			t.Fatal(err)
		}
		if n, err := d.TellAlerts(ctx); err != nil || n != 1 {
			t.Fatalf("told %d alerts (%v), want the run overdue", n, err)
		}
	} else if err := d.Decide(ctx, run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, desk.Verdict{Approve: true}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.RecentDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, x := range ds {
		got[x.DestinationID] += x.EventType
	}
	if len(added) != 2 || len(got) != 2 || got[before] != want || got[added[0]] != want {
		t.Errorf("deliveries %v, want one %s to each of %d and %d (of %v)", got, want, before, added[0], added)
	}
	if mid.reads != 2 {
		t.Errorf("the desk read the destinations %d times, want twice: before the change and again after its write was refused", mid.reads)
	}
}

// TestIdleAfterFollowsTheSetting: a claim set idle after 5 minutes is told
// idle after 5, not the default 15; a threshold out of range is refused.
func TestIdleAfterFollowsTheSetting(t *testing.T) { pgtest.Each(t, testIdleAfterFollowsTheSetting) }

func testIdleAfterFollowsTheSetting(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, s := openAt(t, clock)
	if err := d.SetThresholds(ctx, "admin@example.com", review.Thresholds{Soon: time.Hour, Idle: 30 * time.Second}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("idle after 30 s: %v", err)
	}
	if err := d.SetThresholds(ctx, "admin@example.com", review.Thresholds{Soon: 2 * time.Hour, Idle: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Thresholds(ctx); err != nil || got != (review.Thresholds{Soon: 2 * time.Hour, Idle: 5 * time.Minute}) {
		t.Fatalf("thresholds %+v, %v", got, err)
	}
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://ops.example.com/hook", Secret: "a secret of sixteen or more",
		Events: []string{review.EventClaimIdle}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, run, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	for minute := 1; minute <= 6; minute++ {
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		if _, err := d.Claim(ctx, run, "ana@example.com"); err != nil { // the open page's heartbeat
			t.Fatal(err)
		}
		n, err := d.TellAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1}[minute == 5]; n != want {
			t.Fatalf("minute %d: told %d, want %d", minute, n, want)
		}
	}
}
