package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/reviewer-app/reviewer/review"
)

// errNotPending refuses a batch holding an event applied meanwhile.
var errNotPending = errors.New("no longer pending: applied elsewhere")

// ApplyEvents applies interpreted events and marks them done (or failed, with
// the reason) in one transaction. A run change that the status rules refuse
// (a late event for a decided run) is a success that changes nothing.
//
// The transaction is kept short, for with SQLite the webhook receiver waits
// for the same one writer: what needs no database (a run's list columns and
// search words) is worked out before it begins, and a stretch of events for
// distinct runs (a burst of arrivals) is written with one statement per
// table, not a dozen per run.
func (s *Store) ApplyEvents(ctx context.Context, outs []review.EventOutcome) (review.Applied, error) {
	rows := make([]runRow, len(outs))
	for i, o := range outs {
		if r := o.Change.Run; o.Err == nil && r != nil {
			rows[i] = runRow{run: r, arrival: o.Change.Arrival, sum: r.Summary(), head: review.SummaryHead(r.Raw), words: fold(r.SearchText())}
		}
	}
	var applied review.Applied
	err := s.write(ctx, func(tx *txn) error {
		applied = review.Applied{}
		now := ms(s.now())
		for i := 0; i < len(outs); {
			n := runStretch(outs[i:])
			var changed []string
			var err error
			if n > 0 {
				changed, err = putRuns(ctx, tx, rows[i:i+n], now)
			} else {
				n = 1 // a change of another kind, on its own
				changed, err = applyChange(ctx, tx, outs[i].Change, now)
			}
			if err != nil {
				return fmt.Errorf("events %d to %d: %w", outs[i].Seq, outs[i+n-1].Seq, err)
			}
			for _, id := range changed {
				if err := s.logChange(ctx, tx, review.FeedRun, id, ""); err != nil {
					return err
				}
			}
			applied.Runs = append(applied.Runs, changed...)
			i += n
		}
		if err := s.logDuplicated(ctx, tx, applied.Runs); err != nil {
			return err
		}
		return markEvents(ctx, tx, outs, now)
	})
	if err != nil {
		return review.Applied{}, fmt.Errorf("apply events: %w", err)
	}
	if len(applied.Runs) > 0 {
		s.notify()
		s.wroteRuns(len(applied.Runs))
	}
	return applied, nil
}

// markEvents marks the events of outs done, or failed with their reason.
// Only pending ones: a leader that lost its lock a moment ago and applied
// them too finds them done, and its batch rolls back.
func markEvents(ctx context.Context, tx *txn, outs []review.EventOutcome, now int64) error {
	var done []any
	for _, o := range outs {
		switch {
		case o.Seq == 0: // not a stored event (a test, a benchmark)
		case o.Err == nil:
			done = append(done, o.Seq)
		default:
			res, err := tx.ExecContext(ctx, `UPDATE events SET state = 'failed', error = ?, attempts = attempts + 1, processed_at = ? WHERE seq = ? AND state = 'pending'`, o.Err.Error(), now, o.Seq)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("event %d: %w", o.Seq, errNotPending)
			}
		}
	}
	for len(done) > 0 {
		n := min(len(done), maxRowsPerStatement)
		at := "?"
		if tx.pg {
			at = "$1"
		}
		res, err := tx.ExecContext(ctx, `UPDATE events SET state = 'done', error = '', attempts = attempts + 1, processed_at = `+at+
			` WHERE state = 'pending' AND seq IN `+ids(tx.pg, 2, n), append([]any{now}, done[:n]...)...)
		if err != nil {
			return err
		}
		if got, _ := res.RowsAffected(); got != int64(n) {
			return fmt.Errorf("%d of %d events: %w", int64(n)-got, n, errNotPending)
		}
		done = done[n:]
	}
	return nil
}

// FailEvent marks one pending event failed with the reason, outside any
// batch. An event applied meanwhile (by a leader that lost its lock a
// moment ago) stays done.
func (s *Store) FailEvent(ctx context.Context, seq int64, reason string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE events SET state = 'failed', error = ?, attempts = attempts + 1, processed_at = ? WHERE seq = ? AND state = 'pending'`, reason, ms(s.now()), seq)
	if err != nil {
		return fmt.Errorf("fail event: %w", err)
	}
	return nil
}

// applyChange applies a change of another kind than a run's (those go
// through putRuns).
func applyChange(ctx context.Context, tx *txn, c review.EventChange, now int64) ([]string, error) {
	switch {
	case c.StepRun != nil:
		_, err := tx.ExecContext(ctx, `INSERT INTO step_runs (id, run_id, step_type, body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, step_type = excluded.step_type, body = excluded.body, updated_at = excluded.updated_at`,
			c.StepRun.ID, c.StepRun.RunID, c.StepRun.Type, []byte(c.StepRaw), now)
		if err != nil {
			return nil, err
		}
		return []string{c.StepRun.RunID}, nil
	case c.Output != nil:
		return putOutput(ctx, tx, c, now)
	case c.Workflow != nil:
		_, err := tx.ExecContext(ctx, `INSERT INTO workflows (id, name, version, deleted, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = coalesce(nullif(excluded.name, ''), workflows.name), version = coalesce(nullif(excluded.version, ''), workflows.version),
			deleted = excluded.deleted, updated_at = excluded.updated_at`,
			c.Workflow.ID, c.Workflow.Name, c.Workflow.Version, c.WorkflowDeleted, now)
		return nil, err
	}
	return nil, nil
}

// runRow is a run change with what is worked out before the write
// transaction opens.
type runRow struct {
	run     *review.Run     // nil: the event changes no run
	arrival *review.Arrival // what becomes of it, as desk.Arrive decided
	sum     review.RunSummary
	head    json.RawMessage // the payload's members a list shows (review.SummaryHead)
	words   string          // folded search text
}

// runStretch counts the leading outcomes that putRuns can write together:
// run changes for distinct runs, and events that change nothing (failed
// ones included). Another kind of change, or a second change of the same
// run, must see what came before it written, and ends the stretch.
func runStretch(outs []review.EventOutcome) int {
	seen := map[string]bool{}
	for i, o := range outs {
		c := o.Change
		switch {
		case o.Err != nil || (c.Run == nil && c.StepRun == nil && c.Output == nil && c.Workflow == nil):
		case c.Run != nil && !seen[c.Run.ID]:
			seen[c.Run.ID] = true
		default:
			return i
		}
	}
	return len(outs)
}

// putRuns stores runs of distinct ids as desk.Arrive decided
// (review.Arrival), one statement per table, and returns the runs that
// changed, in order. A decision is kept only while what it was made on
// holds: the run as it was kept, its workflow's rules and the documents
// fetched for its files, read here again;
// otherwise the batch is refused (review.ErrRefused) and decided anew.
func putRuns(ctx context.Context, tx *txn, rows []runRow, now int64) ([]string, error) {
	var keys []any
	keyed := map[string]bool{}
	var workflowIDs []any
	for _, r := range rows {
		if r.run == nil {
			continue
		}
		if r.arrival == nil {
			return nil, fmt.Errorf("run %s: no arrival decided (desk.Arrive decides it)", r.run.ID)
		}
		keys = append(keys, r.run.ID)
		if id := r.run.Workflow.ID; !keyed[id] {
			keyed[id] = true
			workflowIDs = append(workflowIDs, id)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	old, err := keptRuns(ctx, tx, tx.pg, keys)
	if err != nil {
		return nil, err
	}
	rules, err := arrivalRules(ctx, tx, tx.pg, workflowIDs)
	if err != nil {
		return nil, err
	}
	var fileIDs []any
	for _, row := range rows {
		if row.run != nil {
			for _, f := range row.run.Files {
				fileIDs = append(fileIDs, f.ID)
			}
		}
	}
	fetched, err := fetchedFiles(ctx, tx, tx.pg, fileIDs)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if r := row.run; r != nil && (!row.arrival.Kept.Same(old[r.ID]) || !row.arrival.Rules.Same(rules[r.Workflow.ID]) || !sameFetched(r.Files, row.arrival.Fetched, fetched)) {
			return nil, fmt.Errorf("run %s changed, or its workflow's rules or documents, since its arrival was decided: %w", r.ID, review.ErrRefused)
		}
	}
	var changed []string
	var runArgs, outputArgs, fileLinks []any
	var texts []searchText
	workflows := map[string]bool{}
	var workflowArgs []any
	files := newFileSet()
	for _, row := range rows {
		r := row.run
		if r == nil {
			continue
		}
		a := row.arrival
		if !a.Apply {
			continue
		}
		status, routed := a.Status, a.Routed
		if a.QASample {
			if err := sampleCompleted(ctx, tx, r, now); err != nil {
				return nil, err
			}
		}
		var queued, dueMeta any
		if !a.Queued.IsZero() {
			queued = ms(a.Queued)
		}
		if !a.DueMeta.IsZero() {
			dueMeta = ms(a.DueMeta)
		}
		due := int64(0)
		if !a.Due.IsZero() {
			due = ms(a.Due)
		}
		sum := row.sum
		runArgs = append(runArgs, r.ID, sum.WorkflowID, sum.WorkflowName, r.APIVersion, string(status), sum.FileName, sum.FileType, sum.PageCount,
			sum.MinConfidence, []byte(r.Raw), queued, now, now, routed, review.BatchID(row.head), []byte(row.head), sum.Title,
			a.DupKey, dueMeta, due)
		texts = append(texts, searchText{r.ID, row.words})
		if id := r.Workflow.ID; id != "" && !workflows[id] {
			workflows[id] = true
			workflowArgs = append(workflowArgs, id, r.Workflow.Name, r.Workflow.Version, now)
		}
		for _, o := range r.Outputs {
			if o.ID != "" {
				outputArgs = append(outputArgs, o.ID, r.ID)
			}
		}
		linked := map[string]bool{}
		for i, f := range r.Files {
			if f.ID == "" {
				continue
			}
			files.add(f)
			if !linked[f.ID] {
				linked[f.ID] = true
				fileLinks = append(fileLinks, r.ID, f.ID, i)
			}
		}
		changed = append(changed, r.ID)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	err = execRows(ctx, tx, `INSERT INTO runs (id, workflow_id, workflow_name, api_version, status, file_name, file_type, page_count, min_confidence, payload, queued_at, created_at, updated_at, routed, batch_id, head, title, dup_key, due_meta, due_at) VALUES `,
		`ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, workflow_name = excluded.workflow_name, api_version = excluded.api_version,
			status = excluded.status, file_name = excluded.file_name, file_type = excluded.file_type, page_count = excluded.page_count,
			min_confidence = excluded.min_confidence, payload = excluded.payload, queued_at = excluded.queued_at,
			updated_at = excluded.updated_at, batch_id = excluded.batch_id, head = excluded.head, title = excluded.title, dup_key = excluded.dup_key,
			due_meta = excluded.due_meta, due_at = excluded.due_at`, 20, runArgs)
	if err != nil {
		return nil, err
	}
	if err := indexRuns(ctx, tx, texts); err != nil {
		return nil, err
	}
	if err := execRows(ctx, tx, `INSERT INTO workflows (id, name, version, updated_at) VALUES `, `ON CONFLICT (id) DO NOTHING`, 4, workflowArgs); err != nil {
		return nil, err
	}
	// An output or a file named twice is written once, as the last said.
	if err := execRows(ctx, tx, `INSERT INTO run_outputs (output_id, run_id) VALUES `, `ON CONFLICT (output_id) DO UPDATE SET run_id = excluded.run_id`, 2, lastByKey(outputArgs, 2)); err != nil {
		return nil, err
	}
	if err := execRows(ctx, tx, `INSERT INTO files (id, name, type, updated_at) VALUES `,
		`ON CONFLICT (id) DO UPDATE SET name = coalesce(nullif(excluded.name, ''), files.name), type = coalesce(nullif(excluded.type, ''), files.type)`, 4, files.args(now)); err != nil {
		return nil, err
	}
	if err := execRows(ctx, tx, `INSERT INTO run_files (run_id, file_id, position) VALUES `, `ON CONFLICT DO NOTHING`, 3, fileLinks); err != nil {
		return nil, err
	}
	return changed, nil
}

// sameFetched reports whether each of files is fetched now as it was
// when an arrival was decided (was).
func sameFetched(files []review.File, was, now map[string]string) bool {
	for _, f := range files {
		if was[f.ID] != now[f.ID] {
			return false
		}
	}
	return true
}

// fileSet gathers the files of several runs, one row per id: a name or
// type is the last non-empty one given, as upserting them in turn would
// leave it.
type fileSet struct {
	order []string
	byID  map[string]*review.File
}

func newFileSet() *fileSet { return &fileSet{byID: map[string]*review.File{}} }

func (s *fileSet) add(f review.File) {
	have, ok := s.byID[f.ID]
	if !ok {
		s.order = append(s.order, f.ID)
		s.byID[f.ID] = &review.File{ID: f.ID, Name: f.Name, Type: f.Type}
		return
	}
	if f.Name != "" {
		have.Name = f.Name
	}
	if f.Type != "" {
		have.Type = f.Type
	}
}

func (s *fileSet) args(now int64) []any {
	var out []any
	for _, id := range s.order {
		f := s.byID[id]
		out = append(out, f.ID, f.Name, f.Type, now)
	}
	return out
}

// lastByKey keeps, of rows of cols values keyed by their first, the last
// row of each key, in the order keys first came.
func lastByKey(args []any, cols int) []any {
	at := map[any]int{}
	var out []any
	for i := 0; i < len(args); i += cols {
		if j, ok := at[args[i]]; ok {
			copy(out[j:j+cols], args[i:i+cols])
			continue
		}
		at[args[i]] = len(out)
		out = append(out, args[i:i+cols]...)
	}
	return out
}

// putOutput writes what desk.Arrive decided a standalone processor run
// event makes of the run holding its output (review.OutputArrival): only
// while that run is as it was read, and its workflow's key fields too;
// otherwise the batch is refused (review.ErrRefused) and decided anew.
func putOutput(ctx context.Context, tx *txn, c review.EventChange, now int64) ([]string, error) {
	a := c.OutputArrival
	if a == nil {
		return nil, fmt.Errorf("output %s: no arrival decided (desk.Arrive decides it)", c.Output.ID)
	}
	held, err := outputHolders(ctx, tx, tx.pg, []any{c.Output.ID})
	if err != nil {
		return nil, err
	}
	h := held[c.Output.ID]
	if h.RunID != a.Held.RunID || h.WorkflowID != a.Held.WorkflowID || h.Status != a.Held.Status || !bytes.Equal(h.Payload, a.Held.Payload) {
		return nil, fmt.Errorf("the run holding output %s changed since its splice was decided: %w", c.Output.ID, review.ErrRefused)
	}
	if a.Run == nil {
		return nil, nil // not a run under review here: stored, nothing to apply
	}
	rules, err := arrivalRules(ctx, tx, tx.pg, []any{h.WorkflowID})
	if err != nil {
		return nil, err
	}
	if !slices.Equal(rules[h.WorkflowID].KeyFields, a.KeyFields) {
		return nil, fmt.Errorf("the key fields of workflow %s changed since a splice was decided: %w", h.WorkflowID, review.ErrRefused)
	}
	sum := a.Run.Summary()
	if _, err = tx.ExecContext(ctx, `UPDATE runs SET payload = ?, min_confidence = ?, updated_at = ? WHERE id = ?`, []byte(a.Run.Raw), sum.MinConfidence, now, h.RunID); err != nil {
		return nil, err
	}
	if a.Keyed {
		_, err = tx.ExecContext(ctx, `UPDATE runs SET dup_key = ? WHERE id = ?`, a.DupKey, h.RunID)
	}
	return []string{h.RunID}, err
}
