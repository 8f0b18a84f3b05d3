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
	"golang.org/x/sync/errgroup"
)

// loadDemo stores the demo documents and sends their runs to the server's
// own webhook, signed, exactly as Extend would: the demo exercises the real
// ingest path. Then the runs decided earlier in the demo's day are decided
// through the desk, as a reviewer would. Event ids are fixed, so a restart
// adds nothing twice. It returns once the day is there, with history: what
// loads the measured weeks (loadHistory), which the caller runs while the
// day is already being shown.
func loadDemo(ctx context.Context, in *instance.Instance, secret, data, db string) (n int, history func() (int, error), err error) {
	runs, err := demo.Runs(time.Now())
	if err != nil {
		return 0, nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, r := range runs {
		if err := storeFiles(ctx, in, r); err != nil {
			return 0, nil, err
		}
		// Event ids are of Extend's alphabet: the run's name without ".json".
		id := "evt_demo_" + strings.NewReplacer(".json", "", "+", "_").Replace(r.Name)
		ev := demo.Event(id, review.EventRunNeedsReview, r.Payload)
		if err := demo.Send(ctx, client, in.URL+"/webhooks/extend", secret, ev); err != nil {
			return 0, nil, fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	if err := demoRules(ctx, in, runs); err != nil {
		return 0, nil, err
	}
	if err := demoQARules(ctx, in, runs); err != nil {
		return 0, nil, err
	}
	past, err := openPast(ctx, data, db)
	if err != nil {
		return 0, nil, err
	}
	for _, r := range runs {
		if r.Decided != nil {
			if err := past.decide(ctx, r.ID, r.Decided); err != nil {
				past.store.Close()
				return 0, nil, fmt.Errorf("demo %s: %w", r.Name, err)
			}
		}
		if r.Escalated != nil {
			if err := past.escalate(ctx, r.ID, r.Escalated); err != nil {
				past.store.Close()
				return 0, nil, fmt.Errorf("demo %s: %w", r.Name, err)
			}
		}
	}
	if err := checkDemoQA(ctx, in); err != nil {
		past.store.Close()
		return 0, nil, err
	}
	return len(runs), func() (int, error) {
		defer past.store.Close()
		return loadHistory(ctx, in, past, client, secret)
	}, nil
}

// historySenders is how many of the measured weeks' webhooks are sent at
// once: the server answers each as soon as it is stored, so a few in
// flight keep its one writer busy.
const historySenders = 4

// historyUnchecked is how many of the measured weeks' runs QA drew are
// left waiting for their check.
const historyUnchecked = 3

// loadHistory adds the demo's measured weeks (demo.History): their runs
// arrive through the signed webhook, are decided through the desk as their
// reviewers did, at their times, and the runs QA drew are checked by a
// second reviewer a couple of hours later, so the Accuracy page has
// several hundred decisions and their checks to measure. A restart finds
// them there and adds nothing.
func loadHistory(ctx context.Context, in *instance.Instance, past *pastDesk, client *http.Client, secret string) (int, error) {
	runs, err := demo.History(time.Now())
	if err != nil {
		return 0, err
	}
	if rv, err := in.Store.Review(ctx, runs[len(runs)-1].ID); err == nil && rv.Decision != "" {
		return len(runs), nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(historySenders)
	for _, r := range runs {
		g.Go(func() error {
			ev := demo.Event("evt_demo_"+r.Name, review.EventRunNeedsReview, r.Payload)
			return demo.Send(gctx, client, in.URL+"/webhooks/extend", secret, ev)
		})
	}
	if err := g.Wait(); err != nil {
		return 0, fmt.Errorf("demo history: %w", err)
	}
	// Decided in the order they were, each reviewer's focused time
	// reported as it was spent.
	past.newDesk()
	for _, r := range slices.SortedStableFunc(slices.Values(runs), func(a, b demo.Run) int { return a.Decided.At.Compare(b.Decided.At) }) {
		if err := applied(ctx, in, r.ID); err != nil {
			return 0, fmt.Errorf("demo %s: %w", r.Name, err)
		}
		if err := past.decide(ctx, r.ID, r.Decided); err != nil {
			return 0, fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	var drawn []demo.Run
	for _, r := range runs {
		q, err := in.Store.QASample(ctx, r.ID)
		if review.ErrorCode(err) == review.ENOTFOUND || err == nil && q.QAAt != nil {
			continue // not drawn, or checked
		}
		if err != nil {
			return 0, err
		}
		drawn = append(drawn, r)
	}
	// The last few drawn wait for their check: the QA queue a lead finds.
	checker := &review.User{Email: demo.HistoryChecker, Role: review.RoleSupervisor}
	for _, r := range drawn[:max(0, len(drawn)-historyUnchecked)] {
		var values []desk.QAValue
		for _, e := range r.Truth {
			values = append(values, desk.QAValue{OutputID: e.Output, Path: e.Path, Text: strings.TrimSpace(e.Text + " " + e.Code)})
		}
		past.at = r.Decided.At.Add(2 * time.Hour) // the weeks end yesterday
		if _, err := past.desk.CheckQA(ctx, r.ID, checker, values, nil); err != nil {
			return 0, fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	return len(runs), nil
}

// demoQA is the demo's QA: a quarter of the decided runs checked, and
// every run whose reviewer corrected one of these fields, where its
// workflow has it.
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
		// Each workflow's rule names the demo's fields its runs have.
		known, err := in.Desk.KnownFields(ctx, run.Workflow.ID)
		if err != nil {
			return err
		}
		rule := review.QARule{WorkflowID: run.Workflow.ID, SamplePercent: demoQA.SamplePercent}
		for _, f := range demoQA.Fields {
			if slices.Contains(known, f) {
				rule.Fields = append(rule.Fields, f)
			}
		}
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
		_, err := in.Store.Review(ctx, runID) // a row's columns: no payload to decode
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
		hash, err := in.Desk.StoreFile(ctx, id, body, 64<<20)
		if err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
		if _, err := in.Desk.Measure(ctx, hash); err != nil { // measured as it arrives, as the ingest worker does
			return fmt.Errorf("demo %s: %w", name, err)
		}
		if err := in.Desk.DrawFirst(ctx, hash); err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
	}
	return nil
}

// pastDesk is a store and a desk of their own whose clock says the time
// of the demo's story, so the morning's decisions read as made in the
// morning and the measured weeks' in their weeks: the server's say now.
type pastDesk struct {
	at    time.Time
	store *storage.Store
	desk  *desk.Desk
}

func openPast(ctx context.Context, data, db string) (*pastDesk, error) {
	p := &pastDesk{}
	store, err := storage.Open(ctx, data, storage.Options{DB: db, Now: p.then})
	if err != nil {
		return nil, err
	}
	p.store = store
	p.newDesk()
	return p, nil
}

func (p *pastDesk) then() time.Time { return p.at }

// newDesk gives p a desk of its own. A desk counts a reviewer's focused
// time up to the time since their last report, so the measured weeks,
// weeks before the day but loaded after it, need one that has not heard
// the day's.
func (p *pastDesk) newDesk() { p.desk = desk.New(p.store, nil, rules.New(p.then), p.then) }

// demoReportEvery is how often the run page reports focused time
// (static/js/active.js): the demo's reviewers report theirs as it does.
const demoReportEvery = 30 * time.Second

// focus reports the focused time d's reviewer spent on the run's page
// before deciding, as the page does while it is open, ending as they
// decide.
func (p *pastDesk) focus(ctx context.Context, runID string, d *demo.Decision) error {
	start := d.At.Add(-d.Active)
	for spent := time.Duration(0); spent < d.Active; {
		piece := min(demoReportEvery, d.Active-spent)
		spent += piece
		p.at = start.Add(spent)
		if err := p.desk.Active(ctx, runID, d.By, piece); err != nil {
			return err
		}
	}
	return nil
}

// decide corrects and decides a run at the time of the demo's story; a
// run decided before (a restart) is left as it is.
func (p *pastDesk) decide(ctx context.Context, runID string, d *demo.Decision) error {
	run, err := p.store.Run(ctx, runID)
	if err != nil || run.Status != review.StatusNeedsReview {
		return err
	}
	rv, err := p.store.Review(ctx, runID)
	if err != nil || rv.Decision != "" {
		return err
	}
	if err := p.focus(ctx, runID, d); err != nil {
		return err
	}
	p.at = d.At
	version := rv.Version
	for _, e := range d.Edits {
		text := e.Text
		saved, err := p.desk.SaveEdit(ctx, runID, d.By, desk.Change{Version: version, OutputID: e.Output, Path: e.Path, Text: &text, Code: e.Code})
		if err != nil {
			return fmt.Errorf("%s %s: %w", e.Output, e.Path, err)
		}
		version = saved.Version
	}
	return p.desk.Decide(ctx, runID, &review.User{Email: d.By, Role: review.RoleReviewer}, desk.Verdict{Version: version, Approve: d.Approve, Note: d.Note})
}

// escalate sends a run to a supervisor at the time of the demo's story; a
// run held or decided before (a restart) is left as it is.
func (p *pastDesk) escalate(ctx context.Context, runID string, e *demo.Escalation) error {
	rv, err := p.store.Review(ctx, runID)
	if err != nil || rv.Decision != "" || rv.Hold.Kind != "" {
		return err
	}
	p.at = e.At
	return p.desk.Escalate(ctx, runID, &review.User{Email: e.By, Role: review.RoleReviewer}, e.Reason)
}

// historyLoaded begins what `serve --demo` says when the measured weeks
// are loaded, after the day's "Loaded ..." line.
const historyLoaded = "Loaded the demo's measured weeks:"

// historySaid is what serve says when n runs of the measured weeks are loaded.
func historySaid(n int) string {
	return fmt.Sprintf("%s %d runs decided and checked over %d days", historyLoaded, n, demo.HistoryDays)
}
