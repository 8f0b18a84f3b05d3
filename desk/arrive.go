package desk

import (
	"context"
	"errors"
	"time"

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
	b, err := d.readBatch(ctx, outs)
	if b == nil || err != nil {
		return err
	}
	for i := range outs {
		c := &outs[i].Change
		switch {
		case outs[i].Err != nil:
		case c.Output != nil:
			err = b.decideOutput(c)
		case c.Run != nil:
			err = b.decideRun(ctx, c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// workflowKey is a duplicate key within its workflow.
type workflowKey struct{ workflow, key string }

// arrivalBatch is what deciding a batch's arrivals knows: what the store
// keeps of its runs, of the runs holding its outputs and of their
// workflows' rules, and what the batch has made of them so far.
type arrivalBatch struct {
	d         *Desk
	holderOf  map[string]string        // the run holding each output
	held      map[string]review.Holder // each such run as this batch leaves it
	kept      map[string]review.Kept
	rules     map[string]review.ArrivalRules
	fetched   map[string]string      // each stored document's hash by file id
	keyedHere map[workflowKey]string // the first run of this batch with a key
	now       time.Time
}

// readBatch reads what the store keeps of the runs, outputs and workflows
// outs are about; nil when outs bring neither runs nor outputs.
func (d *Desk) readBatch(ctx context.Context, outs []review.EventOutcome) (*arrivalBatch, error) {
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
		return nil, nil
	}
	holders, err := d.store.OutputHolders(ctx, outputIDs)
	if err != nil {
		return nil, err
	}
	b := &arrivalBatch{d: d, holderOf: map[string]string{}, held: map[string]review.Holder{}, keyedHere: map[workflowKey]string{}, now: d.now()}
	for outputID, h := range holders {
		b.holderOf[outputID], b.held[h.RunID] = h.RunID, h
		addWorkflow(h.WorkflowID)
	}
	if b.kept, err = d.store.KeptRuns(ctx, runIDs); err != nil {
		return nil, err
	}
	if b.rules, err = d.store.ArrivalRules(ctx, workflowIDs); err != nil {
		return nil, err
	}
	if b.fetched, err = d.store.FetchedFiles(ctx, fileIDs); err != nil {
		return nil, err
	}
	return b, nil
}

// decideOutput decides what a standalone output event makes of the run
// holding the output, as this batch leaves that run.
func (b *arrivalBatch) decideOutput(c *review.EventChange) error {
	h := b.held[b.holderOf[c.Output.ID]]
	a, err := review.ArriveOutput(c.Output, c.OutputRaw, h, b.rules[h.WorkflowID].KeyFields)
	if err != nil {
		return err
	}
	c.OutputArrival = &a
	if a.Run != nil {
		h.Payload = a.Run.Raw
		b.held[h.RunID] = h
	}
	return nil
}

// decideRun decides what an arriving run becomes, knowing what the store
// keeps of it and what this batch made of it so far.
func (b *arrivalBatch) decideRun(ctx context.Context, c *review.EventChange) error {
	run := c.Run
	fetched := map[string]string{}
	for _, f := range run.Files {
		if f.ID != "" {
			fetched[f.ID] = b.fetched[f.ID]
		}
	}
	a, err := review.Arrive(run, review.Arriving{
		Kept:       b.kept[run.ID],
		Rules:      b.rules[run.Workflow.ID],
		Fetched:    fetched,
		Now:        b.now,
		FailsRules: func(key string) (bool, error) { return b.failsRules(ctx, run, key) },
	})
	if err != nil {
		return err
	}
	c.Arrival = &a
	if a.Apply {
		b.remember(run, a)
	}
	return nil
}

// failsRules marks run a duplicate of the first run with its key (of
// this batch, else of those kept) and reports whether a blocking check of
// its workflow fails on it.
func (b *arrivalBatch) failsRules(ctx context.Context, run *review.Run, key string) (bool, error) {
	wf := run.Workflow.ID
	first := b.keyedHere[workflowKey{wf, key}]
	if first == "" {
		var err error
		if first, err = b.d.store.FirstWithKey(ctx, wf, key, run.ID); err != nil {
			return false, err
		}
	}
	if first != "" {
		run.Duplicate = &review.Duplicate{RunID: first, Earlier: true, Key: key, Fields: b.rules[wf].KeyFields}
	}
	if len(b.rules[wf].Checks) == 0 {
		return false, nil
	}
	return len(review.Blocking(b.d.checker.Evaluate(ctx, run, b.rules[wf].Checks))) > 0, nil
}

// remember keeps what run became for the events after it in the batch:
// its state, its key if it is the first with it, and its outputs' holder.
func (b *arrivalBatch) remember(run *review.Run, a review.Arrival) {
	wf := run.Workflow.ID
	b.kept[run.ID] = review.Kept{Status: a.Status, Routed: a.Routed, Queued: a.Queued, Due: a.Due, Documents: a.Documents}
	if k := (workflowKey{wf, a.DupKey}); a.DupKey != "" && b.keyedHere[k] == "" {
		b.keyedHere[k] = run.ID
	}
	b.held[run.ID] = review.Holder{RunID: run.ID, WorkflowID: wf, Status: a.Status, Payload: run.Raw}
	for _, o := range run.Outputs {
		if o.ID != "" {
			b.holderOf[o.ID] = run.ID
		}
	}
}
