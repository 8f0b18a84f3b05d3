package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

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
	v.Note = review.Note(v.Note)
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
	var added map[string]string
	if rule.EvaluationSetID != "" {
		sent, err := d.store.RunCalls(ctx, o.Run.ID)
		if err != nil {
			return err
		}
		added = review.AddedItems(sent, rule.EvaluationSetID)
	}
	if out.Calls, out.Items, err = review.FeedbackCalls(rule, o.Run, dec, reviewed, added); err != nil {
		return err
	}
	out.NotBefore = dec.At.Add(d.UndoWindow)
	qa, err := d.store.QARule(ctx, o.Run.Workflow.ID)
	if err != nil {
		return err
	}
	outcomes := review.Outcomes(o.Run, o.Current)
	dec.QA = qa.Sample(o.Run.ID, outcomes, dec.Override)
	err = d.sendOn(ctx, &out, func(x review.Destination) bool { return x.Wants(out.EventType, o.Run.Workflow.ID) }, func() error {
		return d.store.Decide(ctx, o.Run.ID, version, dec, reviewed, outcomes, out)
	})
	return d.whyRefused(ctx, o.Run, version, actor, err)
}

// sendOnAttempts bounds how often an event's destinations are chosen anew
// when they changed between the reading and the write: each change is an
// admin's, so a few tries suffice.
const sendOnAttempts = 3

// sendOn chooses the destinations that get out's event, those that wants,
// as read now, and writes it with write; the store writes it only while
// the destinations are as read, else they are read and chosen again.
func (d *Desk) sendOn(ctx context.Context, out *review.Outbound, wants func(review.Destination) bool, write func() error) error {
	for attempt := 1; ; attempt++ {
		ds, err := d.store.Destinations(ctx)
		if err != nil {
			return err
		}
		out.Seen, out.To = ds, nil
		for _, x := range ds {
			if wants(x) {
				out.To = append(out.To, x.ID)
			}
		}
		err = write()
		if !errors.Is(err, review.ErrDestinationsChanged) || attempt == sendOnAttempts {
			return err
		}
	}
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

// reopenAttempts bounds how often a reopening is decided anew when its
// run's service level or due time from Extend changed between the reading
// and the write: each change is an admin's or an event's, so a few tries
// suffice.
const reopenAttempts = 3

// Reopen puts a decided run back in the queue, keeping its draft: it
// waits from now and is due by the rule an arriving run is due by
// (review.Reopen).
func (d *Desk) Reopen(ctx context.Context, runID, actor string) error {
	for attempt := 1; ; attempt++ {
		basis, err := d.store.DueBasis(ctx, runID)
		if err != nil {
			return err
		}
		err = d.store.Reopen(ctx, runID, actor, review.Reopen(d.now(), basis))
		if !errors.Is(err, review.ErrRefused) || attempt == reopenAttempts {
			return err
		}
	}
}
