package desk

import (
	"context"

	"github.com/reviewer-app/reviewer/review"
)

// Arrive applies what webhook events bring, interpreted, in one
// transaction: runs, their steps and outputs, workflows. For a run that
// arrives already completed it works out its workflow's routing outcome
// (the routing rule; the blocking validation rules only when the rule asks
// for them); what becomes of each run, given what is kept of it, is
// review.Arrive, which the store applies under the transaction. The
// ingest worker calls it; nothing else decides whether a run goes to
// review.
func (d *Desk) Arrive(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	var routing map[string]review.RoutingRule
	for i := range outs {
		run := outs[i].Change.Run
		if outs[i].Err != nil || run == nil || run.Status != review.StatusProcessed {
			continue
		}
		if routing == nil {
			var err error
			if routing, err = d.store.RoutingRules(ctx); err != nil {
				return review.Applied{}, err
			}
		}
		rule, ok := routing[run.Workflow.ID]
		if !ok {
			continue
		}
		fails := false
		if rule.FailingRules {
			checks, err := d.Check(ctx, run)
			if err != nil {
				return review.Applied{}, err
			}
			fails = len(review.Blocking(checks)) > 0
		}
		outs[i].Change.Route = rule.Route(run, fails)
	}
	return d.store.ApplyEvents(ctx, outs)
}
