package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// loadDemo stores the demo documents and sends their runs to the server's
// own webhook, signed, exactly as Extend would: the demo exercises the real
// ingest path. Then the runs decided earlier in the demo's day are decided
// through the desk, as a reviewer would. Event ids are fixed, so a restart
// adds nothing twice.
func loadDemo(ctx context.Context, in *instance.Instance, secret, data, db string) (int, error) {
	runs, err := demo.Runs(time.Now())
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, r := range runs {
		if err := storeFiles(ctx, in, r); err != nil {
			return 0, err
		}
		// Event ids are of Extend's alphabet: the run's name without ".json".
		id := "evt_demo_" + strings.NewReplacer(".json", "", "+", "_").Replace(r.Name)
		ev := demo.Event(id, review.EventRunNeedsReview, r.Payload)
		if err := demo.Send(ctx, client, in.URL+"/webhooks/extend", secret, ev); err != nil {
			return 0, fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	if err := demoRules(ctx, in, runs); err != nil {
		return 0, err
	}
	if err := demoQARules(ctx, in, runs); err != nil {
		return 0, err
	}
	for _, r := range runs {
		if r.Decided != nil {
			if err := decide(ctx, in, data, db, r.ID, r.Decided); err != nil {
				return 0, fmt.Errorf("demo %s: %w", r.Name, err)
			}
		}
	}
	return len(runs), checkDemoQA(ctx, in)
}

// demoQA is the demo's QA: a quarter of the decided runs checked, and
// every run whose reviewer corrected one of these fields.
var demoQA = review.QARule{SamplePercent: 25, Fields: []string{"customer_number", "due_date", "purchase_order"}}

// demoQARules gives the workflows of the demo's decided runs the demo's QA
// rule, unless they have one.
func demoQARules(ctx context.Context, in *instance.Instance, runs []demo.Run) error {
	for _, r := range runs {
		if r.Decided == nil {
			continue
		}
		run, err := in.Store.Run(ctx, r.ID)
		if err != nil {
			return err
		}
		if kept, err := in.Store.QARule(ctx, run.Workflow.ID); err != nil || kept.SamplePercent > 0 || len(kept.Fields) > 0 {
			return err
		}
		rule := demoQA
		rule.WorkflowID = run.Workflow.ID
		if err := in.Desk.SetQARule(ctx, "demo", rule); err != nil {
			return err
		}
	}
	return nil
}

// demoChecked is the demo's one check already made: a second reviewer
// agrees with Ana's corrected customer number and finds the date wrong.
const demoChecked = "workflow_run_demo_qh_june_2025"

func checkDemoQA(ctx context.Context, in *instance.Instance) error {
	q, err := in.Store.QASample(ctx, demoChecked)
	if review.ErrorCode(err) == review.ENOTFOUND || err == nil && q.QAAt != nil {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = in.Desk.CheckQA(ctx, demoChecked, &review.User{Email: "dana@example.com", Role: review.RoleSupervisor}, []desk.QAValue{
		{OutputID: "dpr_demo_qh_june_extract", Path: "customer_number", Text: "11082"},
		{OutputID: "dpr_demo_qh_june_extract", Path: "invoice_date", Text: "2014-06-07"},
	}, nil)
	return err
}

// demoRules gives the demo's workflows their service levels, duplicate
// keys and validation rules, once their runs are there to check them against; what an admin
// changed since is left alone.
func demoRules(ctx context.Context, in *instance.Instance, runs []demo.Run) error {
	all, err := demo.Rules()
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := applied(ctx, in, r.ID); err != nil {
			return fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	levels, err := in.Store.ServiceLevels(ctx)
	if err != nil {
		return err
	}
	for wf, within := range demo.ServiceLevels() {
		if _, kept := levels[wf]; kept {
			continue
		}
		if err := in.Desk.SetServiceLevel(ctx, "demo", wf, within); err != nil {
			return fmt.Errorf("demo service level of %s: %w", wf, err)
		}
	}
	keys := demo.DuplicateKeys()
	for _, wf := range slices.Sorted(maps.Keys(keys)) {
		kept, err := in.Store.DuplicateKeys(ctx, wf)
		if err != nil {
			return err
		}
		if len(kept) > 0 {
			continue
		}
		if err := in.Desk.SetDuplicateKeys(ctx, wf, keys[wf], "demo"); err != nil {
			return fmt.Errorf("demo duplicate key of %s: %w", wf, err)
		}
	}
	for _, wf := range slices.Sorted(maps.Keys(all)) {
		if kept, err := in.Store.Rules(ctx, wf); err != nil || len(kept) > 0 {
			return err
		}
		if err := in.Desk.SetRules(ctx, wf, all[wf], "demo"); err != nil {
			return fmt.Errorf("demo rules of %s: %w", wf, err)
		}
	}
	return nil
}

// applied waits until the ingest worker has applied a run's event.
func applied(ctx context.Context, in *instance.Instance, runID string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := in.Store.Run(ctx, runID)
		if review.ErrorCode(err) != review.ENOTFOUND {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("the run was not applied within a minute")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// storeFiles puts a run's documents in the store: the demo has no Extend
// account to fetch them from.
func storeFiles(ctx context.Context, in *instance.Instance, r demo.Run) error {
	for id, name := range r.Files {
		if f, err := in.Store.File(ctx, id); err == nil && f.Blob != "" {
			continue
		}
		body, err := demo.File(name)
		if err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
		hash, err := in.Store.PutFile(ctx, id, body, 64<<20)
		if err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
		if _, err := in.Desk.Measure(ctx, hash); err != nil { // measured as it arrives, as the ingest worker does
			return fmt.Errorf("demo %s: %w", name, err)
		}
	}
	return nil
}

// decide corrects and decides a run at the time of the demo's story, so
// the morning's decisions read as made in the morning; a run decided
// before (a restart) is left as it is. It works through a store and a desk
// of its own whose clock says that time: the server's say now.
func decide(ctx context.Context, in *instance.Instance, data, db, runID string, d *demo.Decision) error {
	run, err := in.Store.Run(ctx, runID)
	if err != nil || run.Status != review.StatusNeedsReview {
		return err
	}
	rv, err := in.Store.Review(ctx, runID)
	if err != nil || rv.Decision != "" {
		return err
	}
	then := func() time.Time { return d.At }
	store, err := storage.Open(ctx, data, storage.Options{DB: db, Now: then})
	if err != nil {
		return err
	}
	defer store.Close()
	clerk := desk.New(store, nil, rules.New(then), then)
	version := rv.Version
	for _, e := range d.Edits {
		text := e.Text
		saved, err := clerk.SaveEdit(ctx, runID, d.By, desk.Change{Version: version, OutputID: e.Output, Path: e.Path, Text: &text, Code: e.Code})
		if err != nil {
			return fmt.Errorf("%s %s: %w", e.Output, e.Path, err)
		}
		version = saved.Version
	}
	return clerk.Decide(ctx, runID, &review.User{Email: d.By, Role: review.RoleReviewer}, desk.Verdict{Version: version, Approve: d.Approve, Note: d.Note})
}
