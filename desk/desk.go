// Package desk is reviewer's application layer: the use-cases of the
// review desk, one method each (open a run, save a change, decide). It
// decides with review's rules and persists through the narrow Store it
// declares; the web layer calls it, storage implements Store, package
// rules implements Checker. It imports only review.
package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Store is what the desk needs persisted and read.
type Store interface {
	Run(ctx context.Context, id string) (*review.Run, error)
	Review(ctx context.Context, runID string) (review.Review, error)
	Document(ctx context.Context, blob string) (doc review.Document, found bool, err error)
	Audit(ctx context.Context, runID string) ([]review.AuditEntry, error)
	FeedbackRuleFor(ctx context.Context, workflowID string) (review.FeedbackRule, error)
	SaveEdit(ctx context.Context, runID string, version int, actor string, e review.Edit, before json.RawMessage) (int, error)
	Decide(ctx context.Context, runID string, version int, d review.Decision, reviewed json.RawMessage, outcomes map[string]review.Outcome, out review.Outbound) error
	BlobPath(hash string) (string, error)
	PutDocument(ctx context.Context, blob string, doc review.Document) error

	ClaimRun(ctx context.Context, runID, actor string, lease time.Duration) (review.Claim, error)
	Next(ctx context.Context, actor string, f review.QueueFilter, lease time.Duration) (string, error)
	Release(ctx context.Context, runID, actor string, force bool) error
	Reassign(ctx context.Context, runID, to, actor string, lease time.Duration) error
	Reopen(ctx context.Context, runID, actor string) error
	UndoDecision(ctx context.Context, runID, actor string, decidedAt time.Time) error
	DiscardDraft(ctx context.Context, runID, actor string) error

	Rules(ctx context.Context, workflowID string) ([]review.Rule, error)
	SetRules(ctx context.Context, workflowID string, rules []review.Rule, actor string) error
	Runs(ctx context.Context, f review.RunFilter) ([]review.RunSummary, string, error)

	UpdateRun(ctx context.Context, runID, actor string, change review.RunUpdate, next func(prev review.RunUpdate, payload json.RawMessage) (review.RunUpdate, error)) error

	QAStore
}

// Checker evaluates a workflow's validation rules on a run, checks rules
// before they are kept, on a sample of recent runs of the workflow (the
// newest first), and says where a rule was too costly (package rules, in
// CEL).
type Checker interface {
	Evaluate(ctx context.Context, run *review.Run, rules []review.Rule) []review.RuleResult
	Check(ctx context.Context, rules []review.Rule, samples []*review.Run) error
	TooCostly(workflowID string, r review.Rule) string
}

// RuleSample is how many of a workflow's recent runs a rule is tried on
// before it is kept: a rule cheap on the newest run may be costly on one
// with a longer list or another value, and each try takes microseconds.
const RuleSample = 10

// Measurer reads what a stored document is and the size of each of its
// pages as displayed (PDFium for PDFs, the header for images).
type Measurer interface {
	Inspect(ctx context.Context, hash, file string) (kind string, pages []review.PageSize, err error)
}

// Desk runs the review desk's use-cases.
type Desk struct {
	store   Store
	measure Measurer
	checker Checker
	now     func() time.Time

	// UndoWindow is how long a decision's maker may take it back; nothing
	// of it is sent on before. review.UndoWindow unless set.
	UndoWindow time.Duration
}

// New returns a desk over store, measuring documents with measure,
// checking runs with checker and telling time by now.
func New(store Store, measure Measurer, checker Checker, now func() time.Time) *Desk {
	if now == nil {
		now = time.Now
	}
	return &Desk{store: store, measure: measure, checker: checker, now: now, UndoWindow: review.UndoWindow}
}

// Learn measures a stored document once, when it arrives, and keeps what
// was learnt, or the sentence saying why it cannot be shown: pages that
// show it then only read. A failure that may pass (an internal error) is
// returned and kept nowhere, so a later call tries again.
func (d *Desk) Learn(ctx context.Context, blob string) (review.Document, error) {
	if doc, found, err := d.store.Document(ctx, blob); err != nil || found {
		return doc, err
	}
	path, err := d.store.BlobPath(blob)
	if err != nil {
		return review.Document{}, err
	}
	if d.measure == nil {
		return review.Document{}, review.Errorf(review.EUNAVAILABLE, "nothing here measures documents")
	}
	kind, pages, err := d.measure.Inspect(ctx, blob, path)
	doc := review.Document{Kind: kind, Pages: pages}
	switch code := review.ErrorCode(err); {
	case err == nil:
	case code == review.EINTERNAL || ctx.Err() != nil:
		return review.Document{}, err
	case code == review.EUNPROCESSABLE:
		doc = review.Document{Error: review.ErrorMessage(err)}
	default:
		doc = review.Document{Error: "This document cannot be shown: " + review.ErrorMessage(err)}
	}
	return doc, d.store.PutDocument(ctx, blob, doc)
}

// ErrBrokenDraft marks a run whose saved changes no longer apply to it.
var ErrBrokenDraft = errors.New("the saved changes do not apply")

// Opened is a run as the review desk works on it.
type Opened struct {
	Run     *review.Run   // as Extend sent it
	Review  review.Review // the draft, its version, the decision
	Current *review.Run   // as the draft's edits make it read
}

// Open reads a run, its draft and the run as the draft makes it read. A
// draft that no longer applies is an ErrBrokenDraft, with Run and Review
// still set, so the page can say why and offer the way back.
func (d *Desk) Open(ctx context.Context, id string) (Opened, error) {
	run, err := d.store.Run(ctx, id)
	if err != nil {
		return Opened{}, err
	}
	rv, err := d.store.Review(ctx, run.ID)
	if err != nil {
		return Opened{}, err
	}
	o := Opened{Run: run, Review: rv}
	if o.Current, err = run.WithEdits(rv.Edits, d.Sizer(ctx, run)); err != nil {
		return o, fmt.Errorf("%w: %w", ErrBrokenDraft, err)
	}
	return o, nil
}

// Sizer tells the displayed size of a page of a run's file, from what was
// learnt of the document; zero when unknown.
func (d *Desk) Sizer(ctx context.Context, run *review.Run) review.PageSizer {
	blobs := map[string]string{}
	for _, f := range run.Files {
		blobs[f.ID] = f.Blob
	}
	return func(fileID string, page int) review.PageSize {
		doc, found, err := d.store.Document(ctx, blobs[fileID])
		if err != nil || !found || page < 1 || page > len(doc.Pages) {
			return review.PageSize{}
		}
		return doc.Pages[page-1]
	}
}

// pages counts the pages of a run's documents: as measured where known,
// as Extend said otherwise.
func (d *Desk) pages(ctx context.Context, run *review.Run) int {
	n := 0
	for _, f := range run.Files {
		if doc, found, err := d.store.Document(ctx, f.Blob); err == nil && found {
			n += len(doc.Pages)
		} else {
			n += f.PageCount
		}
	}
	return n
}

// Change is one change a reviewer made on the review page.
type Change struct {
	Version  int             // the draft's version the reviewer saw
	OutputID string          //
	Path     string          // a field, review.PathClass or review.PathSplits
	Text     *string         // what was typed, parsed by the field's type
	Code     string          // a currency code, with Text as the amount
	Value    json.RawMessage // a JSON value (signature, null, splits, a class)
	Reset    bool            // back to the model's value and references
	Keep     bool            // the value unchanged: only the reference re-pointed
	Row      *Row            // a row of a list added, removed or moved
	How      string          // review.HowTyped, HowClicked, HowDrawn
	Box      *review.Ref     // a re-pointed reference (a drawn or clicked box)
}

// Row is a row operation on a list (review.RowAdd …).
type Row struct {
	Op    string
	Index int
}

// Saved is what a saved change made of the field.
type Saved struct {
	Version     int
	Value       json.RawMessage
	Text        string
	Edited      bool   // differs from the model's value
	Original    string // the model's value as text
	Alternative string // another reading of a typed date
}

// SaveEdit checks a change by the rules of its field's type, applies it to
// a copy of the run (a change that does not apply is refused, never stored
// where it would break the run for everyone), and saves it to the draft
// if the draft is still at the version the reviewer saw.
func (d *Desk) SaveEdit(ctx context.Context, runID, actor string, c Change) (Saved, error) {
	o, err := d.Open(ctx, runID)
	if err != nil {
		return Saved{}, err
	}
	out, field, err := findField(o.Current, c.OutputID, c.Path)
	if err != nil {
		return Saved{}, err
	}
	orig, _, _ := findField(o.Run, c.OutputID, c.Path)
	model := json.RawMessage("null")
	if orig != nil {
		if v, ok := orig.Model(c.Path); ok {
			model = v
		}
	}
	var saved Saved
	value, err := newValue(c, out, field, model, &saved)
	if err != nil {
		return Saved{}, err
	}
	switch {
	case c.Reset: // the model's value, as it came
	case out.Type == review.OutputClassify:
		if value, err = review.ChooseClass(out, model, value); err != nil {
			return Saved{}, err
		}
	case out.Type == review.OutputSplitter:
		if value, err = review.ReviseSplits(out, model, value, d.pages(ctx, o.Run)); err != nil {
			return Saved{}, err
		}
	}
	if field != nil {
		if value, err = review.CheckValue(*field, value); err != nil {
			return Saved{}, err
		}
	}
	edit := review.Edit{OutputID: c.OutputID, Path: c.Path, Value: value, How: c.How}
	if edit.How == "" {
		edit.How = review.HowTyped
	}
	if c.Reset {
		edit.How = review.HowReset
	}
	if c.Box != nil {
		edit.Refs = []review.Ref{*c.Box}
	}
	if _, err := o.Run.WithEdits(append(slices.Clone(o.Review.Edits), edit), d.Sizer(ctx, o.Run)); err != nil {
		return Saved{}, review.Errorf(review.EINVALID, "This change cannot be applied to the run: %s", review.ErrorMessage(err))
	}
	before := json.RawMessage("null")
	if field != nil {
		before = field.Value
	}
	if saved.Version, err = d.store.SaveEdit(ctx, o.Run.ID, c.Version, actor, edit, before); err != nil {
		return Saved{}, d.whyRefused(ctx, o.Run, c.Version, actor, err)
	}
	saved.Value, saved.Text = value, review.Text(value)
	saved.Original, saved.Edited = review.Text(model), !review.SameValue(value, model)
	return saved, nil
}

// findField finds an output and, for extractions, the field at path.
func findField(run *review.Run, outputID, path string) (*review.Output, *review.Field, error) {
	o := run.Output(outputID)
	switch {
	case o == nil:
		return nil, nil, review.Errorf(review.ENOTFOUND, "run %s has no output %q", run.ID, outputID)
	case o.Location == nil:
		return nil, nil, review.Errorf(review.EINVALID, "output %s came as a separate step and cannot be edited here", o.ID)
	case o.Type != review.OutputExtract:
		return o, nil, nil
	}
	f, ok := o.Field(path)
	if !ok {
		return nil, nil, review.Errorf(review.ENOTFOUND, "output %s has no field %q", outputID, path)
	}
	return o, f, nil
}

// newValue turns a change into the field's new JSON value.
func newValue(c Change, o *review.Output, f *review.Field, model json.RawMessage, saved *Saved) (json.RawMessage, error) {
	switch {
	case c.Reset:
		return model, nil
	case c.Keep && f != nil:
		return f.Value, nil
	case c.Row != nil:
		return review.EditRows(f, c.Row.Op, c.Row.Index)
	case c.Value != nil:
		if f != nil && f.Type == review.TypeSignature {
			return review.NormaliseSignature(c.Value)
		}
		return c.Value, nil
	case c.Text == nil:
		return nil, review.Errorf(review.EINVALID, "the change carries no value")
	case f == nil:
		return nil, review.Errorf(review.EINVALID, "%s takes a value, not text", o.Type)
	}
	value, alternative, err := review.ParseText(f, *c.Text, c.Code)
	saved.Alternative = alternative
	return value, err
}

// Verdict is a decision as a reviewer asks for it.
type Verdict struct {
	Version  int // the draft's version the reviewer saw
	Approve  bool
	Note     string // why: needed to reject, and to override
	Override bool   // approve although blocking rules fail: supervisors only
}

// Decide approves or rejects a run: the reviewed payload in Extend's shape,
// the event for the destinations and the feedback calls to Extend are
// written with the decision in one transaction, if the draft is still at
// the version the reviewer saw. A rejection needs a note. An approval waits
// for the workflow's blocking rules to hold, unless a supervisor overrides
// them with a note; what the rules said travels with the decision.
func (d *Desk) Decide(ctx context.Context, runID string, by *review.User, v Verdict) error {
	if !v.Approve && v.Note == "" {
		return review.Errorf(review.EINVALID, "A rejection needs a note saying why.")
	}
	o, err := d.Open(ctx, runID)
	if err != nil {
		return err
	}
	checks, err := d.Check(ctx, o.Current)
	if err != nil {
		return err
	}
	blocking := review.Blocking(checks)
	if v.Approve && len(blocking) > 0 {
		switch {
		case !v.Override:
			return review.Errorf(review.ECONFLICT, "Approval waits for %s.", ruleList(blocking))
		case !by.Role.AtLeast(review.RoleSupervisor):
			return review.Errorf(review.EFORBIDDEN, "Only a supervisor approves a run whose rules fail.")
		case v.Note == "":
			return review.Errorf(review.EINVALID, "Approving over a failing rule needs a note saying why.")
		}
	}
	dec := review.Decision{Approved: v.Approve, Note: v.Note, By: by.Email, At: d.now(), Rules: checks, Override: v.Approve && len(blocking) > 0}
	actor, version := by.Email, v.Version
	reviewed, err := o.Run.Reviewed(o.Review.Edits, dec, d.Sizer(ctx, o.Run))
	if err != nil {
		return err
	}
	audit, err := d.store.Audit(ctx, o.Run.ID)
	if err != nil {
		return err
	}
	out, err := review.DecisionEvent("evt_rvw_"+randomID(), dec, reviewed, audit)
	if err != nil {
		return err
	}
	rule, err := d.store.FeedbackRuleFor(ctx, o.Run.Workflow.ID)
	if err != nil {
		return err
	}
	if out.Calls, err = review.FeedbackCalls(rule, o.Run, dec, reviewed); err != nil {
		return err
	}
	out.NotBefore = dec.At.Add(d.UndoWindow)
	qa, err := d.store.QARule(ctx, o.Run.Workflow.ID)
	if err != nil {
		return err
	}
	outcomes := review.Outcomes(o.Run, o.Current)
	dec.QA = qa.Sample(o.Run.ID, outcomes, dec.Override)
	err = d.store.Decide(ctx, o.Run.ID, version, dec, reviewed, outcomes, out)
	return d.whyRefused(ctx, o.Run, version, actor, err)
}

// ruleList names failed rules with their messages, for a sentence.
func ruleList(failed []review.RuleResult) string {
	var b strings.Builder
	for i, r := range failed {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "the rule %q: %s", r.Rule, r.Message)
	}
	return b.String()
}

// Check evaluates the run's workflow's rules on run, as it reads now.
func (d *Desk) Check(ctx context.Context, run *review.Run) ([]review.RuleResult, error) {
	rs, err := d.store.Rules(ctx, run.Workflow.ID)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return d.checker.Evaluate(ctx, run, rs), nil
}

// TooCostly says where a workflow's rule last ran past its cost or time,
// if it did.
func (d *Desk) TooCostly(workflowID string, r review.Rule) string {
	return d.checker.TooCostly(workflowID, r)
}

// Latest is the newest run of a workflow: the one whose fields its rules
// are checked against, and tried on.
func (d *Desk) Latest(ctx context.Context, workflowID string) (Opened, error) {
	runs, err := d.recent(ctx, workflowID, 1)
	if err != nil {
		return Opened{}, err
	}
	return d.Open(ctx, runs[0].ID)
}

// recent lists up to n of a workflow's newest runs, newest first.
func (d *Desk) recent(ctx context.Context, workflowID string, n int) ([]review.RunSummary, error) {
	runs, _, err := d.store.Runs(ctx, review.RunFilter{WorkflowID: workflowID, Limit: n})
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, review.Errorf(review.ENOTFOUND, "No run of workflow %s has arrived yet, so its fields are not known.", workflowID)
	}
	return runs, nil
}

// CheckRules checks a workflow's rules against its newest run, a syntax
// error or an unknown field said with its place, and tries them on its
// RuleSample newest runs as they read now: a rule too costly on any is
// refused.
func (d *Desk) CheckRules(ctx context.Context, workflowID string, rs []review.Rule) error {
	if len(rs) == 0 {
		return nil
	}
	runs, err := d.recent(ctx, workflowID, RuleSample)
	if err != nil {
		return err
	}
	samples := make([]*review.Run, 0, len(runs))
	for _, r := range runs {
		o, err := d.Open(ctx, r.ID)
		switch {
		case err == nil:
			samples = append(samples, o.Current)
		case errors.Is(err, ErrBrokenDraft): // a draft that no longer applies: the run as it came
			samples = append(samples, o.Run)
		default:
			return err
		}
	}
	return d.checker.Check(ctx, rs, samples)
}

// SetRules checks a workflow's rules (CheckRules) and keeps them.
func (d *Desk) SetRules(ctx context.Context, workflowID string, rs []review.Rule, actor string) error {
	if err := d.CheckRules(ctx, workflowID, rs); err != nil {
		return err
	}
	return d.store.SetRules(ctx, workflowID, rs, actor)
}

// TryRules evaluates rules, not yet kept, on the workflow's newest run as
// it reads now: an admin sees what a rule would say before enabling it.
func (d *Desk) TryRules(ctx context.Context, workflowID string, rs []review.Rule) (string, []review.RuleResult, error) {
	o, err := d.Latest(ctx, workflowID)
	if err != nil {
		return "", nil, err
	}
	if err := d.checker.Check(ctx, rs, []*review.Run{o.Current}); err != nil {
		return o.Run.ID, nil, err
	}
	for i := range rs {
		rs[i].Disabled = false
	}
	return o.Run.ID, d.checker.Evaluate(ctx, o.Current, rs), nil
}

// whyRefused turns a write the store refused (review.ErrRefused: its
// conditions no longer held when it was made) into the sentence that says
// why, from the run's state as it is now.
func (d *Desk) whyRefused(ctx context.Context, run *review.Run, version int, actor string, err error) error {
	if !errors.Is(err, review.ErrRefused) {
		return err
	}
	rv, rerr := d.store.Review(ctx, run.ID)
	if rerr != nil {
		return err
	}
	if why := review.WhyRefused(run.Status, rv, version, actor, d.now()); why != nil {
		return why
	}
	return err
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Claim claims a run for actor, or renews their claim (the open page's
// heartbeat), for review.ClaimLease. A run someone else holds answers
// ECONFLICT with the holder's claim.
func (d *Desk) Claim(ctx context.Context, runID, actor string) (review.Claim, error) {
	c, err := d.store.ClaimRun(ctx, runID, actor, review.ClaimLease)
	if !errors.Is(err, review.ErrRefused) {
		return c, err
	}
	run, rerr := d.store.Run(ctx, runID)
	if rerr != nil {
		return review.Claim{}, rerr
	}
	rv, rerr := d.store.Review(ctx, runID)
	if rerr != nil {
		return review.Claim{}, rerr
	}
	if why := review.WhyNotClaimed(run.Status, rv, actor, d.now()); why != nil {
		return rv.Claim, why
	}
	return review.Claim{}, err
}

// Next claims for actor the first run of the filter that nobody else holds;
// two reviewers asking at once never get the same run.
func (d *Desk) Next(ctx context.Context, actor string, f review.QueueFilter) (string, error) {
	return d.store.Next(ctx, actor, f, review.ClaimLease)
}

// Release gives a run back, or hands it to another person (to). Only a
// supervisor hands runs over or releases another person's claim (force).
func (d *Desk) Release(ctx context.Context, runID string, by *review.User, force bool, to string) error {
	supervisor := by.Role.AtLeast(review.RoleSupervisor)
	if to != "" {
		if !supervisor {
			return review.Errorf(review.EFORBIDDEN, "Only supervisors reassign runs.")
		}
		return d.store.Reassign(ctx, runID, to, by.Email, review.ClaimLease)
	}
	return d.store.Release(ctx, runID, by.Email, supervisor && force)
}

// Undo takes back a decision its maker made moments ago, within the undo
// window: nothing of it has been sent on, and the run is back in the queue
// with its draft, held by them. Later, an admin reopens.
func (d *Desk) Undo(ctx context.Context, runID, actor string) error {
	rv, err := d.store.Review(ctx, runID)
	if err != nil {
		return err
	}
	switch {
	case rv.Decision == "" || rv.DecidedAt == nil:
		return review.Errorf(review.ECONFLICT, "This run is not decided; there is nothing to undo.")
	case rv.DecidedBy != actor:
		return review.Errorf(review.EFORBIDDEN, "Only who decided a run can undo the decision; an admin can reopen it.")
	case !d.now().Before(rv.DecidedAt.Add(d.UndoWindow)):
		return review.Errorf(review.ECONFLICT, "The time to undo this decision has passed; an admin can reopen the run.")
	}
	return d.store.UndoDecision(ctx, runID, actor, *rv.DecidedAt)
}

// Reopen puts a decided run back in the queue, keeping its draft.
func (d *Desk) Reopen(ctx context.Context, runID, actor string) error {
	return d.store.Reopen(ctx, runID, actor)
}

// Discard drops a run's saved changes: the way back from a draft that no
// longer applies.
func (d *Desk) Discard(ctx context.Context, runID, actor string) error {
	return d.store.DiscardDraft(ctx, runID, actor)
}
