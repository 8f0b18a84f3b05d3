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
// each run (status, routing, QA draw, duplicate key, due time) is
// review.Arrive, and what a standalone output event makes of the run
// holding the output is review.ArriveOutput, decided here from what is
// kept of the run and its workflow's rules; the store writes it only while
// both still hold, else it is decided again. The ingest worker calls it;
// nothing else decides whether a run goes to review.
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

// decideArrivals sets the Arrival of each run change of outs, and the
// OutputArrival of each output change, in order: a later event about the
// same run, an output of a run an earlier event brought, or a run with the
// same duplicate key, is decided knowing what the earlier ones made.
func (d *Desk) decideArrivals(ctx context.Context, outs []review.EventOutcome) error {
	var runIDs, workflowIDs, outputIDs, fileIDs []string
	seen := map[string]bool{}
	addWorkflow := func(id string) {
		if !seen[id] {
			seen[id] = true
			workflowIDs = append(workflowIDs, id)
		}
	}
	for _, o := range outs {
		if o.Err != nil {
			continue
		}
		if r := o.Change.Run; r != nil {
			runIDs = append(runIDs, r.ID)
			addWorkflow(r.Workflow.ID)
			for _, f := range r.Files {
				if f.ID != "" {
					fileIDs = append(fileIDs, f.ID)
				}
			}
		}
		if out := o.Change.Output; out != nil {
			outputIDs = append(outputIDs, out.ID)
		}
	}
	if len(runIDs) == 0 && len(outputIDs) == 0 {
		return nil
	}
	holders, err := d.store.OutputHolders(ctx, outputIDs)
	if err != nil {
		return err
	}
	// The run holding each output, and each such run as this batch leaves it.
	holderOf, held := map[string]string{}, map[string]review.Holder{}
	for outputID, h := range holders {
		holderOf[outputID], held[h.RunID] = h.RunID, h
		addWorkflow(h.WorkflowID)
	}
	kept, err := d.store.KeptRuns(ctx, runIDs)
	if err != nil {
		return err
	}
	rules, err := d.store.ArrivalRules(ctx, workflowIDs)
	if err != nil {
		return err
	}
	fetched, err := d.store.FetchedFiles(ctx, fileIDs)
	if err != nil {
		return err
	}
	type workflowKey struct{ workflow, key string }
	keyedHere := map[workflowKey]string{} // the first run of this batch with a key
	now := d.now()
	for i := range outs {
		if outs[i].Err != nil {
			continue
		}
		if out := outs[i].Change.Output; out != nil {
			h := held[holderOf[out.ID]]
			a, err := review.ArriveOutput(out, outs[i].Change.OutputRaw, h, rules[h.WorkflowID].KeyFields)
			if err != nil {
				return err
			}
			outs[i].Change.OutputArrival = &a
			if a.Run != nil {
				h.Payload = a.Run.Raw
				held[h.RunID] = h
			}
			continue
		}
		run := outs[i].Change.Run
		if run == nil {
			continue
		}
		wf := run.Workflow.ID
		runFetched := map[string]string{}
		for _, f := range run.Files {
			if f.ID != "" {
				runFetched[f.ID] = fetched[f.ID]
			}
		}
		a, err := review.Arrive(run, review.Arriving{
			Kept:    kept[run.ID],
			Rules:   rules[wf],
			Fetched: runFetched,
			Now:     now,
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
			kept[run.ID] = review.Kept{Status: a.Status, Routed: a.Routed, Queued: a.Queued, Due: a.Due, Documents: a.Documents}
			if k := (workflowKey{wf, a.DupKey}); a.DupKey != "" && keyedHere[k] == "" {
				keyedHere[k] = run.ID
			}
			held[run.ID] = review.Holder{RunID: run.ID, WorkflowID: wf, Status: a.Status, Payload: run.Raw}
			for _, o := range run.Outputs {
				if o.ID != "" {
					holderOf[o.ID] = run.ID
				}
			}
		}
	}
	return nil
}
