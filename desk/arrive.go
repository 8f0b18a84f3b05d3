package desk

import (
	"context"
	"errors"

	"github.com/reviewer-app/reviewer/review"
)

// arriveAttempts bounds how often a batch of events is decided anew when
// the store refuses it because a run or a workflow's rules changed
// between the reading and the write (a reviewer deciding, an admin
// saving a rule): each change is a person's, so a few tries suffice, and
// the ingest worker retries the batch later if they do not.
const arriveAttempts = 3

// Arrive applies what webhook events bring, interpreted, in one
// transaction: runs, their steps and outputs, workflows. What becomes of
// each run (status, routing, QA draw, duplicate key, due time) is review.Arrive,
// decided here from what is kept of the run and its workflow's rules; the
// store writes it only while both still hold, else it is decided again.
// The ingest worker calls it; nothing else decides whether a run goes to
// review.
func (d *Desk) Arrive(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	for attempt := 1; ; attempt++ {
		if err := d.decideArrivals(ctx, outs); err != nil {
			return review.Applied{}, err
		}
		applied, err := d.store.ApplyEvents(ctx, outs)
		if !errors.Is(err, review.ErrRefused) || attempt == arriveAttempts {
			return applied, err
		}
	}
}

// decideArrivals sets the Arrival of each run change of outs, in order:
// a later event about the same run, or a run with the same duplicate key,
// is decided knowing what the earlier ones made.
func (d *Desk) decideArrivals(ctx context.Context, outs []review.EventOutcome) error {
	var runIDs, workflowIDs []string
	seen := map[string]bool{}
	for _, o := range outs {
		if r := o.Change.Run; o.Err == nil && r != nil {
			runIDs = append(runIDs, r.ID)
			if !seen[r.Workflow.ID] {
				seen[r.Workflow.ID] = true
				workflowIDs = append(workflowIDs, r.Workflow.ID)
			}
		}
	}
	if len(runIDs) == 0 {
		return nil
	}
	kept, err := d.store.KeptRuns(ctx, runIDs)
	if err != nil {
		return err
	}
	rules, err := d.store.ArrivalRules(ctx, workflowIDs)
	if err != nil {
		return err
	}
	type workflowKey struct{ workflow, key string }
	keyedHere := map[workflowKey]string{} // the first run of this batch with a key
	now := d.now()
	for i := range outs {
		run := outs[i].Change.Run
		if outs[i].Err != nil || run == nil {
			continue
		}
		wf := run.Workflow.ID
		a, err := review.Arrive(run, review.Arriving{
			Kept:  kept[run.ID],
			Rules: rules[wf],
			Now:   now,
			FailsRules: func(key string) (bool, error) {
				first := keyedHere[workflowKey{wf, key}]
				if first == "" {
					var err error
					if first, err = d.store.FirstWithKey(ctx, wf, key, run.ID); err != nil {
						return false, err
					}
				}
				if first != "" {
					run.Duplicate = &review.Duplicate{RunID: first, Earlier: true, Key: key, Fields: rules[wf].KeyFields}
				}
				if len(rules[wf].Checks) == 0 {
					return false, nil
				}
				return len(review.Blocking(d.checker.Evaluate(ctx, run, rules[wf].Checks))) > 0, nil
			},
		})
		if err != nil {
			return err
		}
		outs[i].Change.Arrival = &a
		if a.Apply {
			kept[run.ID] = review.Kept{Status: a.Status, Routed: a.Routed, Queued: a.Queued, Due: a.Due}
			if k := (workflowKey{wf, a.DupKey}); a.DupKey != "" && keyedHere[k] == "" {
				keyedHere[k] = run.ID
			}
		}
	}
	return nil
}
