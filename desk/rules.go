package desk

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// RuleSample is how many of a workflow's recent runs a rule is tried on
// before it is kept: a rule cheap on the newest run may be costly on one
// with a longer list or another value, and each try takes microseconds.
const RuleSample = 10

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

// KnownFieldRuns is how many of a workflow's newest runs, decided or not,
// add their fields to those its decided runs had: a run waiting for review
// may hold a field no decision has counted yet. Each is read and decoded,
// so a few.
const KnownFieldRuns = 20

// MaxFieldsNamed bounds the known fields a refusal lists: a sentence a
// person reads, not the workflow's schema.
const MaxFieldsNamed = 30

// KnownFields lists the fields a workflow's runs have had, sorted: folded
// paths (line_items[].amount) and the fields holding them (line_items),
// classes and splits. They are those of every run decided, whatever its
// document type (a workflow may take several), and of its KnownFieldRuns
// newest runs. A workflow no run has reached has none, and says so.
func (d *Desk) KnownFields(ctx context.Context, workflowID string) ([]string, error) {
	decided, err := d.store.DecidedFields(ctx, workflowID)
	if err != nil {
		return nil, err
	}
	runs, err := d.recent(ctx, workflowID, KnownFieldRuns)
	if err != nil && (len(decided) == 0 || review.ErrorCode(err) != review.ENOTFOUND) {
		return nil, err
	}
	known := map[string]bool{}
	add := func(path string) {
		known[path] = true
		for i := range len(path) {
			if (path[i] == '.' || path[i] == '[') && i > 0 && path[i-1] != ']' {
				known[path[:i]] = true // the field holding it
			}
		}
	}
	for _, p := range decided {
		add(p)
	}
	for _, r := range runs {
		run, err := d.store.Run(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for p := range review.Outcomes(run, run) {
			add(p)
		}
	}
	return slices.Sorted(maps.Keys(known)), nil
}

// knownFields refuses, with a sentence naming the fields there are, a
// field (a folded path: total, line_items[].amount, line_items) the
// workflow's runs have never had: a misspelt name would otherwise match
// nothing, and say nothing.
func (d *Desk) knownFields(ctx context.Context, workflowID string, fields []string) error {
	known, err := d.KnownFields(ctx, workflowID)
	if err != nil {
		return err
	}
	var unknown []string
	for _, f := range fields {
		if _, found := slices.BinarySearch(known, f); !found {
			unknown = append(unknown, f)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	names := strings.Join(known[:min(len(known), MaxFieldsNamed)], ", ")
	if len(known) > MaxFieldsNamed {
		names += fmt.Sprintf(" and %d more", len(known)-MaxFieldsNamed)
	}
	// Every name not known is said at once: fixing one and sending again to
	// learn of the next is a round trip per typo.
	if len(unknown) == 1 {
		return review.Errorf(review.EINVALID, "%s is not a field the runs of %s have had. Its fields: %s.", unknown[0], workflowID, names)
	}
	return review.Errorf(review.EINVALID, "%s and %s are not fields the runs of %s have had. Its fields: %s.",
		strings.Join(unknown[:len(unknown)-1], ", "), unknown[len(unknown)-1], workflowID, names)
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
	if err := review.CheckRules(rs); err != nil { // the bounds first: cheap, and before compiling any
		return err
	}
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
	return d.logged(ctx, actor, "set "+review.Count(len(rs), "validation rule", "validation rules"), workflowID, func(ctx context.Context) error {
		return d.store.SetRules(ctx, workflowID, rs, actor)
	})
}

// TryRules evaluates rules, not yet kept, on the newest run of the
// workflow that still waits for review (a rule is written for the runs to
// come), or, when none waits, on its newest run; it says which.
func (d *Desk) TryRules(ctx context.Context, workflowID string, rs []review.Rule) (Opened, []review.RuleResult, error) {
	runs, _, err := d.store.Runs(ctx, review.RunFilter{WorkflowID: workflowID, Status: review.StatusNeedsReview, Limit: 1})
	if err != nil {
		return Opened{}, nil, err
	}
	if len(runs) == 0 {
		runs, err = d.recent(ctx, workflowID, 1)
		if err != nil {
			return Opened{}, nil, err
		}
	}
	o, err := d.Open(ctx, runs[0].ID)
	if err != nil {
		return Opened{}, nil, err
	}
	if err := d.checker.Check(ctx, rs, []*review.Run{o.Current}); err != nil {
		return o, nil, err
	}
	for i := range rs {
		rs[i].Disabled = false
	}
	return o, d.checker.Evaluate(ctx, o.Current, rs), nil
}

// Suggest is what the rules page offers a workflow besides its rules kept:
// each suggestion the workflow has no rule of the same name or condition
// for, written the first way that fits the fields of its newest run.
func (d *Desk) Suggest(ctx context.Context, workflowID string, kept []review.Rule) ([]review.Suggestion, error) {
	latest, err := d.Latest(ctx, workflowID)
	sample := latest.Current
	switch {
	case review.ErrorCode(err) == review.ENOTFOUND:
		return nil, nil // no run yet, so no fields to fit
	case errors.Is(err, ErrBrokenDraft):
		sample = latest.Run // as it came: the same fields
	case err != nil:
		return nil, err
	}
	check := func(r review.Rule) error { return d.checker.Fits(ctx, r, sample) }
	var out []review.Suggestion
	for _, s := range review.Suggestions() {
		if s.Kept(kept) {
			continue
		}
		if fit, ok := s.Fit(check); ok {
			out = append(out, fit)
		}
	}
	return out, nil
}
