package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// dayMS is a UTC day in milliseconds: integer division by it gives the
// same day number on both databases.
const dayMS = 86_400_000

// QARule reads a workflow's QA rule; the zero rule (nothing sampled) when
// it has none.
func (s *Store) QARule(ctx context.Context, workflowID string) (review.QARule, error) {
	r := review.QARule{WorkflowID: workflowID}
	var fields string
	err := s.r.QueryRowContext(ctx, `SELECT sample_percent, fields FROM qa_rules WHERE workflow_id = ?`, workflowID).Scan(&r.SamplePercent, &fields)
	if err != nil && !isNoRows(err) {
		return r, fmt.Errorf("qa rule: %w", err)
	}
	r.Fields = splitFields(fields)
	return r, nil
}

// DecidedFields lists the fields (folded paths, classes and splits) the
// decided runs of a workflow have had, whatever their document type: the
// paths its corrections are counted by.
func (s *Store) DecidedFields(ctx context.Context, workflowID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT path FROM field_corrections WHERE workflow_id = ? ORDER BY path`, workflowID)
	if err != nil {
		return nil, fmt.Errorf("decided fields: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("decided fields: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// QARules lists the workflows' QA rules.
func (s *Store) QARules(ctx context.Context) (map[string]review.QARule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, sample_percent, fields FROM qa_rules`)
	if err != nil {
		return nil, fmt.Errorf("qa rules: %w", err)
	}
	defer rows.Close()
	out := map[string]review.QARule{}
	for rows.Next() {
		var r review.QARule
		var fields string
		if err := rows.Scan(&r.WorkflowID, &r.SamplePercent, &fields); err != nil {
			return nil, fmt.Errorf("qa rules: %w", err)
		}
		r.Fields = splitFields(fields)
		out[r.WorkflowID] = r
	}
	return out, rows.Err()
}

func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// SetQARule keeps (or, sampling nothing, removes) a workflow's QA rule.
func (s *Store) SetQARule(ctx context.Context, r review.QARule) error {
	var err error
	if r.SamplePercent == 0 && len(r.Fields) == 0 {
		_, err = s.exec(ctx, `DELETE FROM qa_rules WHERE workflow_id = ?`, r.WorkflowID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO qa_rules (workflow_id, sample_percent, fields) VALUES (?, ?, ?)
			ON CONFLICT (workflow_id) DO UPDATE SET sample_percent = excluded.sample_percent, fields = excluded.fields`,
			r.WorkflowID, r.SamplePercent, strings.Join(r.Fields, ","))
	}
	if err != nil {
		return fmt.Errorf("qa rule: %w", err)
	}
	return nil
}

// sampleCompleted puts a run Extend completed without review, drawn for
// QA (review.Arrive), in the QA queue: the check measures the model alone.
func sampleCompleted(ctx context.Context, tx *txn, r *review.Run, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO qa_samples (run_id, workflow_id, source, first_at, sampled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
		r.ID, r.Workflow.ID, review.QAFromCompleted, now, now)
	tx.changes = append(tx.changes, change{review.FeedQA, r.ID, ""})
	return err
}

// QAQueueLimit bounds the QA queue a page or a call lists: the oldest
// first, which are the ones to check.
const QAQueueLimit = 200

// QAQueue lists the runs waiting for a check, the oldest drawn first, and
// how many wait in all.
func (s *Store) QAQueue(ctx context.Context, limit int) ([]review.QASample, int, error) {
	if limit <= 0 || limit > QAQueueLimit {
		limit = QAQueueLimit
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM qa_samples WHERE qa_at IS NULL`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("qa queue: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT q.run_id, q.workflow_id, coalesce(w.name, ''), q.source, q.first_by, q.first_at, q.sampled_at
		FROM qa_samples q LEFT JOIN workflows w ON w.id = q.workflow_id WHERE q.qa_at IS NULL ORDER BY q.sampled_at, q.run_id LIMIT ?`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("qa queue: %w", err)
	}
	defer rows.Close()
	var out []review.QASample
	for rows.Next() {
		var q review.QASample
		var first, sampled int64
		if err := rows.Scan(&q.RunID, &q.WorkflowID, &q.WorkflowName, &q.Source, &q.FirstBy, &first, &sampled); err != nil {
			return nil, 0, fmt.Errorf("qa queue: %w", err)
		}
		q.FirstAt, q.SampledAt = fromMS(first), fromMS(sampled)
		out = append(out, q)
	}
	return out, total, rows.Err()
}

// QASample reads a run's QA sample, with its fields once checked.
func (s *Store) QASample(ctx context.Context, runID string) (review.QASample, error) {
	q := review.QASample{RunID: runID}
	var first, sampled int64
	var qaAt sql.NullInt64
	var payload []byte
	err := s.r.QueryRowContext(ctx, `SELECT q.workflow_id, coalesce(w.name, ''), q.source, q.first_by, q.first_at, q.first, q.sampled_at, q.qa_by, q.qa_at
		FROM qa_samples q LEFT JOIN workflows w ON w.id = q.workflow_id WHERE q.run_id = ?`, runID).
		Scan(&q.WorkflowID, &q.WorkflowName, &q.Source, &q.FirstBy, &first, &payload, &sampled, &q.QABy, &qaAt)
	if isNoRows(err) {
		return q, review.Errorf(review.ENOTFOUND, "Run %s is not in the QA queue.", runID)
	}
	if err != nil {
		return q, fmt.Errorf("qa sample: %w", err)
	}
	q.FirstAt, q.SampledAt, q.First = fromMS(first), fromMS(sampled), payload
	if !qaAt.Valid {
		return q, nil
	}
	at := fromMS(qaAt.Int64)
	q.QAAt = &at
	rows, err := s.r.QueryContext(ctx, `SELECT output_id, path, confidence, total, model_correct, first_correct, model, first, qa FROM qa_fields WHERE run_id = ? ORDER BY output_id, path`, runID)
	if err != nil {
		return q, fmt.Errorf("qa sample: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f review.QAField
		var conf sql.NullFloat64
		var m, fv, c []byte
		if err := rows.Scan(&f.OutputID, &f.Path, &conf, &f.Total, &f.ModelCorrect, &f.FirstCorrect, &m, &fv, &c); err != nil {
			return q, fmt.Errorf("qa sample: %w", err)
		}
		if conf.Valid {
			f.Confidence = &conf.Float64
		}
		f.Model, f.First, f.QA = m, fv, c
		q.Fields = append(q.Fields, f)
	}
	return q, rows.Err()
}

// QAWaiting reads, of runIDs, the samples still waiting for their check,
// as much as says who may learn their first review: run, source and first
// reviewer. A list of runs asks once, without the runs' bodies.
func (s *Store) QAWaiting(ctx context.Context, runIDs []string) ([]review.QASample, error) {
	if len(runIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(runIDs))
	for i, id := range runIDs {
		args[i] = id
	}
	var out []review.QASample
	err := s.each(ctx, `SELECT run_id, source, first_by FROM qa_samples WHERE qa_at IS NULL AND run_id IN (?`+strings.Repeat(", ?", len(runIDs)-1)+`)`, args, func(rows *sql.Rows) error {
		var q review.QASample
		err := rows.Scan(&q.RunID, &q.Source, &q.FirstBy)
		out = append(out, q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("qa waiting: %w", err)
	}
	return out, nil
}

// SaveQA records a check, its fields and their totals as desk counted them
// (review.TotalQA), if the run is still waiting for one: a second check of
// the same run is refused. The fields' first-review figures join the daily
// sums when reviewed: desk's word that a person decided the run first
// (review.QASample.Reviewed).
func (s *Store) SaveQA(ctx context.Context, runID, by string, at time.Time, fields []review.QAField, t review.QATotals, reviewed bool) error {
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE qa_samples SET qa_by = ?, qa_at = ?, units = ?, model_correct = ?, first_correct = ?, agrees = ?, fields = ? WHERE run_id = ? AND qa_at IS NULL`,
			by, ms(at), t.Units, t.ModelCorrect, t.FirstCorrect, t.Agrees, len(fields), runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ECONFLICT, "Run %s has been checked already.", runID)
		}
		var wf, firstBy string
		var firstAt int64
		if err := tx.QueryRowContext(ctx, `SELECT workflow_id, first_by, first_at FROM qa_samples WHERE run_id = ?`, runID).Scan(&wf, &firstBy, &firstAt); err != nil {
			return err
		}
		for _, f := range fields {
			firstTotal, firstCorrect, firstRuns := 0, 0, 0
			if reviewed {
				firstTotal, firstCorrect, firstRuns = f.Total, f.FirstCorrect, 1
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO qa_daily (day, workflow_id, path, total, model_correct, first_total, first_correct, runs, first_runs) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
				ON CONFLICT (day, workflow_id, path) DO UPDATE SET total = qa_daily.total + excluded.total, model_correct = qa_daily.model_correct + excluded.model_correct,
				first_total = qa_daily.first_total + excluded.first_total, first_correct = qa_daily.first_correct + excluded.first_correct,
				runs = qa_daily.runs + 1, first_runs = qa_daily.first_runs + excluded.first_runs`,
				ms(at)/dayMS, wf, f.Path, f.Total, f.ModelCorrect, firstTotal, firstCorrect, firstRuns); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO qa_fields (run_id, workflow_id, output_id, path, first_by, first_at, qa_at, confidence, total, model_correct, first_correct, model, first, qa)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, runID, wf, f.OutputID, f.Path, firstBy, firstAt, ms(at), f.Confidence, f.Total, f.ModelCorrect, f.FirstCorrect,
				[]byte(f.Model), []byte(f.First), []byte(f.QA)); err != nil {
				return err
			}
		}
		return s.logChange(ctx, tx, review.FeedQA, runID, by)
	})
	if err != nil {
		return fmt.Errorf("qa: %w", err)
	}
	s.notify()
	return nil
}

// rollUp adds a decision's field outcomes to the daily sums (sign 1), or
// takes them back (-1): the accuracy figures each top-level field of the
// run once, the unit QA scores; the corrections counts each column.
func rollUp(ctx context.Context, tx *txn, workflow, by string, at int64, outcomes map[string]review.Outcome, sign int) error {
	day, edited := at/dayMS, 0
	// The scorecards and the dashboard's "Fields corrected most" count
	// each field changed, list columns apart (a column's rate).
	for path, o := range outcomes {
		e := 0
		if o.Edited {
			e = 1
			edited++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO field_corrections (workflow_id, path, decided, edited) VALUES (?, ?, ?, ?)
			ON CONFLICT (workflow_id, path) DO UPDATE SET decided = field_corrections.decided + excluded.decided, edited = field_corrections.edited + excluded.edited`,
			workflow, path, sign, sign*e); err != nil {
			return err
		}
	}
	tops := review.ByTopLevel(outcomes)
	m, y := int64(len(tops)), int64(0)
	for _, o := range tops {
		if !o.Edited {
			y++
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO decided_daily (day, workflow_id, runs, fields, uncorrected, yy, ym, mm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, workflow_id) DO UPDATE SET runs = decided_daily.runs + excluded.runs, fields = decided_daily.fields + excluded.fields,
		uncorrected = decided_daily.uncorrected + excluded.uncorrected, yy = decided_daily.yy + excluded.yy, ym = decided_daily.ym + excluded.ym, mm = decided_daily.mm + excluded.mm`,
		day, workflow, sign, int64(sign)*m, int64(sign)*y, int64(sign)*y*y, int64(sign)*y*m, int64(sign)*m*m); err != nil {
		return err
	}
	for path, o := range tops {
		bin, e := -1, 0
		if o.Confidence != nil {
			bin = review.ConfidenceBin(*o.Confidence)
		}
		if o.Edited {
			e = 1
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO field_daily (day, workflow_id, path, n, edited) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (day, workflow_id, path) DO UPDATE SET n = field_daily.n + excluded.n, edited = field_daily.edited + excluded.edited`,
			day, workflow, path, sign, sign*e); err != nil {
			return err
		}
		if bin < 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO field_bins (week, workflow_id, path, bin, n, edited) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (week, workflow_id, path, bin) DO UPDATE SET n = field_bins.n + excluded.n, edited = field_bins.edited + excluded.edited`,
			day/7, workflow, path, bin, sign, sign*e); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO field_bins_daily (day, workflow_id, path, bin, n, edited) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, workflow_id, path, bin) DO UPDATE SET n = field_bins_daily.n + excluded.n, edited = field_bins_daily.edited + excluded.edited`,
			day, workflow, path, bin, sign, sign*e); err != nil {
			return err
		}
	}
	if by == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO reviewer_daily (day, decided_by, decided, edited) VALUES (?, ?, ?, ?)
		ON CONFLICT (day, decided_by) DO UPDATE SET decided = reviewer_daily.decided + excluded.decided, edited = reviewer_daily.edited + excluded.edited`,
		day, by, sign, sign*edited)
	return err
}

// unroll takes a decision (x, read before it is taken back) and its field
// outcomes out of the daily sums: the decision counts there even without
// fields.
func unroll(ctx context.Context, tx *txn, runID string, x decided) error {
	if x.decision == "" {
		return nil
	}
	outcomes := map[string]review.Outcome{}
	err := queryRows(ctx, tx, `SELECT path, edited, confidence FROM field_outcomes WHERE run_id = ?`, []any{runID}, func(rows *sql.Rows) error {
		var path string
		var o review.Outcome
		var conf sql.NullFloat64
		if err := rows.Scan(&path, &o.Edited, &conf); err != nil {
			return err
		}
		if conf.Valid {
			o.Confidence = &conf.Float64
		}
		outcomes[path] = o
		return nil
	})
	if err != nil {
		return err
	}
	return rollUp(ctx, tx, x.workflow, x.by, x.at, outcomes, -1)
}

// AddActive adds focused time a reviewer spent on a run's page to the day
// it was spent on, and to that day's sums.
func (s *Store) AddActive(ctx context.Context, actor, runID string, at time.Time, d time.Duration) error {
	day := ms(at) / dayMS
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO activity (actor, run_id, day, ms) VALUES (?, ?, ?, ?) ON CONFLICT (actor, day, run_id) DO NOTHING`, actor, runID, day, d.Milliseconds())
		if err != nil {
			return err
		}
		fresh, _ := res.RowsAffected()
		if fresh == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE activity SET ms = ms + ? WHERE actor = ? AND day = ? AND run_id = ?`, d.Milliseconds(), actor, day, runID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO reviewer_daily (day, decided_by, decided, edited, active_ms, active_runs) VALUES (?, ?, 0, 0, ?, ?)
			ON CONFLICT (day, decided_by) DO UPDATE SET active_ms = reviewer_daily.active_ms + excluded.active_ms, active_runs = reviewer_daily.active_runs + excluded.active_runs`,
			day, actor, d.Milliseconds(), fresh)
		return err
	})
	if err != nil {
		return fmt.Errorf("active time: %w", err)
	}
	return nil
}

// Accuracy measures the accuracy of the model's values and the reviewed
// ones per workflow and field, in aggregates the database computes: the
// page reads a few hundred rows however many runs were decided.
func (s *Store) Accuracy(ctx context.Context, f review.AccuracyFilter) (review.Accuracy, error) {
	a := review.Accuracy{From: f.From, To: f.To, Target: review.AccuracyTarget}
	from, to := ms(f.From), ms(f.To)
	wfs := map[string]*review.WorkflowAccuracy{}
	fields := map[[2]string]*review.FieldAccuracy{}
	get := func(wf string) *review.WorkflowAccuracy {
		if wfs[wf] == nil {
			wfs[wf] = &review.WorkflowAccuracy{ID: wf}
		}
		return wfs[wf]
	}
	field := func(wf, path string) *review.FieldAccuracy {
		k := [2]string{wf, path}
		if fields[k] == nil {
			fields[k] = &review.FieldAccuracy{Path: path}
		}
		return fields[k]
	}
	wfOnly, args := "", []any{from, to}
	if f.WorkflowID != "" {
		wfOnly = ` AND workflow_id = ?`
		args = append(args, f.WorkflowID)
	}
	at := func(col string) string { return ` WHERE ` + col + ` >= ? AND ` + col + ` < ?` + wfOnly }
	type agg struct{ mc, mt, fc, ft, runs, firstRuns int }
	days := append([]any{from / dayMS, (to + dayMS - 1) / dayMS}, args[2:]...)
	if err := s.each(ctx, `SELECT workflow_id, path, sum(model_correct), sum(total), sum(first_correct), sum(first_total), sum(runs), sum(first_runs)
		FROM qa_daily`+at("day")+` GROUP BY workflow_id, path`, days, func(rows *sql.Rows) error {
		var wf, path string
		var g agg
		if err := rows.Scan(&wf, &path, &g.mc, &g.mt, &g.fc, &g.ft, &g.runs, &g.firstRuns); err != nil {
			return err
		}
		fa := field(wf, path)
		fa.Model, fa.Reviewed = review.WilsonOf(g.mc, g.mt, g.runs), review.WilsonOf(g.fc, g.ft, g.firstRuns)
		return nil
	}); err != nil {
		return a, err
	}
	// A workflow's figures are over its runs' fields, which stand or fall
	// together: their intervals count runs as clusters, from the checked
	// runs of the same whole days the fields' sums are of.
	wholeDays := append([]any{from / dayMS * dayMS, (to + dayMS - 1) / dayMS * dayMS}, args[2:]...)
	if err := s.each(ctx, `SELECT workflow_id, `+clusterSums("1", "units", "model_correct")+`, `+
		clusterSums("CASE WHEN first_by != '' THEN 1 ELSE 0 END", "CASE WHEN first_by != '' THEN units ELSE 0 END", "first_correct")+`
		FROM qa_samples`+at("qa_at")+` GROUP BY workflow_id`, wholeDays, func(rows *sql.Rows) error {
		var wf string
		var model, first review.Clusters
		if err := rows.Scan(append([]any{&wf}, append(clusterArgs(&model), clusterArgs(&first)...)...)...); err != nil {
			return err
		}
		w := get(wf)
		w.Model, w.Reviewed = review.ClusterWilson(model), review.ClusterWilson(first)
		return nil
	}); err != nil {
		return a, err
	}
	if err := s.each(ctx, `SELECT workflow_id, first_by, sum(agrees), `+clusterSums("1", "units", "first_correct")+` FROM qa_samples`+at("qa_at")+
		` AND first_by != '' GROUP BY workflow_id, first_by ORDER BY first_by`, args, func(rows *sql.Rows) error {
		var wf string
		var r review.ReviewerAccuracy
		var ok int
		var c review.Clusters
		if err := rows.Scan(append([]any{&wf, &r.Email, &ok}, clusterArgs(&c)...)...); err != nil {
			return err
		}
		r.Checked = c.Runs
		r.Values, r.Accepted = review.ClusterWilson(c), review.Wilson(ok, r.Checked)
		w := get(wf)
		w.Reviewers = append(w.Reviewers, r)
		return nil
	}); err != nil {
		return a, err
	}
	if err := s.each(ctx, `SELECT workflow_id, count(*), sum(CASE WHEN qa_at IS NULL THEN 1 ELSE 0 END) FROM qa_samples
		WHERE (qa_at IS NULL OR qa_at >= ? AND qa_at < ?)`+wfOnly+` GROUP BY workflow_id`, args, func(rows *sql.Rows) error {
		var wf string
		var n, waiting int
		if err := rows.Scan(&wf, &n, &waiting); err != nil {
			return err
		}
		w := get(wf)
		w.Checked, w.Waiting = n-waiting, waiting
		return nil
	}); err != nil {
		return a, err
	}
	// The period's daily sums, whole UTC days, per field and by
	// confidence.
	if err := s.each(ctx, `SELECT workflow_id, path, sum(n), sum(edited) FROM field_daily`+at("day")+` GROUP BY workflow_id, path HAVING sum(n) > 0`, days, func(rows *sql.Rows) error {
		var wf, path string
		var n, edited int
		if err := rows.Scan(&wf, &path, &n, &edited); err != nil {
			return err
		}
		field(wf, path).Corrections = review.Wilson(n-edited, n)
		return nil
	}); err != nil {
		return a, err
	}
	if err := s.each(ctx, `SELECT workflow_id, CAST(sum(runs) AS BIGINT), CAST(sum(fields) AS BIGINT), CAST(sum(uncorrected) AS BIGINT),
		CAST(sum(yy) AS BIGINT), CAST(sum(ym) AS BIGINT), CAST(sum(mm) AS BIGINT) FROM decided_daily`+at("day")+` GROUP BY workflow_id HAVING sum(runs) > 0`, days, func(rows *sql.Rows) error {
		var wf string
		var c review.Clusters
		if err := rows.Scan(append([]any{&wf}, clusterArgs(&c)...)...); err != nil {
			return err
		}
		get(wf).Corrections = review.ClusterWilson(c)
		return nil
	}); err != nil {
		return a, err
	}
	// By confidence: the whole weeks within the period from the weekly
	// sums, the days at its ends (all of them, with no whole week within)
	// from the daily ones.
	type binKey struct {
		wf, path string
		bin      int
	}
	bins := map[binKey]review.Bin{}
	addBins := func(rows *sql.Rows) error {
		var k binKey
		var n, edited int
		if err := rows.Scan(&k.wf, &k.path, &k.bin, &n, &edited); err != nil {
			return err
		}
		b := bins[k]
		b.Bin, b.Total, b.Correct = k.bin, b.Total+n, b.Correct+n-edited
		bins[k] = b
		return nil
	}
	fromDay, toDay := from/dayMS, (to+dayMS-1)/dayMS
	weekFrom, weekTo := (fromDay+6)/7, toDay/7
	ends := [][2]int64{{fromDay, toDay}}
	if weekFrom < weekTo {
		ends = [][2]int64{{fromDay, weekFrom * 7}, {weekTo * 7, toDay}}
		if err := s.each(ctx, `SELECT workflow_id, path, bin, sum(n), sum(edited) FROM field_bins`+at("week")+` GROUP BY workflow_id, path, bin`,
			append([]any{weekFrom, weekTo}, args[2:]...), addBins); err != nil {
			return a, err
		}
	}
	// Each end a range of the key's first column, so the index is read
	// only for those days however long the history.
	for _, e := range ends {
		if e[0] < e[1] {
			if err := s.each(ctx, `SELECT workflow_id, path, bin, sum(n), sum(edited) FROM field_bins_daily`+at("day")+` GROUP BY workflow_id, path, bin`,
				append([]any{e[0], e[1]}, args[2:]...), addBins); err != nil {
				return a, err
			}
		}
	}
	byField := map[[2]string][]review.Bin{}
	for k, b := range bins {
		if b.Total > 0 {
			byField[[2]string{k.wf, k.path}] = append(byField[[2]string{k.wf, k.path}], b)
		}
	}
	for k, bs := range byField {
		fa := field(k[0], k[1])
		fa.Bands, fa.Advice = review.Bands(bs), review.Advise(bs, a.Target)
	}
	names, err := s.workflowNames(ctx)
	if err != nil {
		return a, err
	}
	for k, fa := range fields {
		w := get(k[0])
		w.Fields = append(w.Fields, *fa)
	}
	for _, w := range wfs {
		w.Name = names[w.ID]
		slices.SortFunc(w.Fields, func(x, y review.FieldAccuracy) int { return strings.Compare(x.Path, y.Path) })
		a.Workflows = append(a.Workflows, *w)
	}
	slices.SortFunc(a.Workflows, func(x, y review.WorkflowAccuracy) int { return strings.Compare(x.Name+x.ID, y.Name+y.ID) })
	return a, nil
}

// clusterSums selects the sums review.Clusters holds, of runs counted by
// run (1, or 0 for a run left out), their values m and right values y.
func clusterSums(run, m, y string) string {
	return `CAST(sum(` + run + `) AS BIGINT), CAST(sum(` + m + `) AS BIGINT), CAST(sum(CASE WHEN ` + run + ` = 1 THEN ` + y + ` ELSE 0 END) AS BIGINT), ` +
		`CAST(sum((` + y + `) * (` + y + `) * (` + run + `)) AS BIGINT), CAST(sum((` + y + `) * (` + m + `)) AS BIGINT), CAST(sum((` + m + `) * (` + m + `)) AS BIGINT)`
}

// clusterArgs are where clusterSums' columns are scanned to.
func clusterArgs(c *review.Clusters) []any {
	return []any{&c.Runs, &c.Samples, &c.Correct, &c.YY, &c.YM, &c.MM}
}

func (s *Store) workflowNames(ctx context.Context) (map[string]string, error) {
	names := map[string]string{}
	err := s.each(ctx, `SELECT id, name FROM workflows`, nil, func(rows *sql.Rows) error {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
		return nil
	})
	return names, err
}

// each runs a query on the reader and hands fn every row.
func (s *Store) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("accuracy: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("accuracy: %w", err)
		}
	}
	return rows.Err()
}

// Scorecards tells, per reviewer and UTC day, the runs decided, the time
// spent on their pages with the window focused, the fields changed, and
// how their decisions fared in QA.
func (s *Store) Scorecards(ctx context.Context, f review.ScorecardFilter) ([]review.Scorecard, error) {
	type key struct {
		email string
		day   int64
	}
	cards := map[key]*review.Scorecard{}
	get := func(email string, day int64) *review.Scorecard {
		k := key{email, day}
		if cards[k] == nil {
			cards[k] = &review.Scorecard{Email: email, Day: fromMS(day * dayMS)}
		}
		return cards[k]
	}
	from, to := ms(f.From), ms(f.To)
	who := func(col string) (string, []any) {
		if f.Email == "" {
			return "", nil
		}
		return " AND " + col + " = ?", []any{f.Email}
	}
	dayFrom, dayTo := from/dayMS, (to+dayMS-1)/dayMS
	w, extra := who("decided_by")
	if err := s.each(ctx, `SELECT decided_by, day, decided, edited, active_ms, active_runs FROM reviewer_daily WHERE day >= ? AND day < ?`+w,
		append([]any{dayFrom, dayTo}, extra...), func(rows *sql.Rows) error {
			var email string
			var day, active int64
			var decided, edited, runs int
			if err := rows.Scan(&email, &day, &decided, &edited, &active, &runs); err != nil {
				return err
			}
			if decided != 0 || edited != 0 || runs != 0 { // a day whose decisions were all taken back is no day's work
				c := get(email, day)
				c.Decided, c.FieldsChanged, c.Active, c.ActiveRuns = decided, edited, time.Duration(active)*time.Millisecond, runs
			}
			return nil
		}); err != nil {
		return nil, err
	}
	w, extra = who("first_by")
	if err := s.each(ctx, `SELECT first_by, first_at / `+fmt.Sprint(dayMS)+` d, count(*), sum(agrees), sum(first_correct), sum(units), sum(fields) FROM qa_samples
		WHERE first_at >= ? AND first_at < ? AND qa_at IS NOT NULL AND first_by != ''`+w+` GROUP BY first_by, d`,
		append([]any{from, to}, extra...), func(rows *sql.Rows) error {
			var email string
			var day int64
			var n, ok, fc, t, fields int
			if err := rows.Scan(&email, &day, &n, &ok, &fc, &t, &fields); err != nil {
				return err
			}
			c := get(email, day)
			c.Accepted, c.Accuracy = review.Wilson(ok, n), review.WilsonOf(fc, t, fields)
			return nil
		}); err != nil {
		return nil, err
	}
	out := make([]review.Scorecard, 0, len(cards))
	for _, c := range cards {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b review.Scorecard) int {
		if c := b.Day.Compare(a.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out, nil
}

// EachQAField hands fn every checked field of runs checked in [From, To)
// (zero: unbounded), of one workflow or all, in the order checked.
func (s *Store) EachQAField(ctx context.Context, f review.ExportFilter, fn func(review.QASample, review.QAField) error) error {
	q := `SELECT f.run_id, f.workflow_id, f.first_by, f.first_at, s.source, s.qa_by, f.qa_at, f.output_id, f.path, f.confidence, f.total, f.model_correct, f.first_correct, f.model, f.first, f.qa
		FROM qa_fields f JOIN qa_samples s ON s.run_id = f.run_id WHERE 1 = 1`
	var args []any
	if f.WorkflowID != "" {
		q, args = q+` AND f.workflow_id = ?`, append(args, f.WorkflowID)
	}
	if !f.From.IsZero() {
		q, args = q+` AND f.qa_at >= ?`, append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q, args = q+` AND f.qa_at < ?`, append(args, ms(f.To))
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY f.qa_at, f.run_id, f.output_id, f.path`, args...)
	if err != nil {
		return fmt.Errorf("qa export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var smp review.QASample
		var fld review.QAField
		var first, at int64
		var conf sql.NullFloat64
		var m, fv, c []byte
		if err := rows.Scan(&smp.RunID, &smp.WorkflowID, &smp.FirstBy, &first, &smp.Source, &smp.QABy, &at, &fld.OutputID, &fld.Path, &conf,
			&fld.Total, &fld.ModelCorrect, &fld.FirstCorrect, &m, &fv, &c); err != nil {
			return fmt.Errorf("qa export: %w", err)
		}
		checked := fromMS(at)
		smp.FirstAt, smp.QAAt = fromMS(first), &checked
		if conf.Valid {
			fld.Confidence = &conf.Float64
		}
		fld.Model, fld.First, fld.QA = m, fv, c
		if err := fn(smp, fld); err != nil {
			return err
		}
	}
	return rows.Err()
}

// recountQA scores again, under review.Score as it is now, the checks a
// migration marked (stored before an empty value scored as wrong), and
// moves the daily sums by the difference: one transaction per check, so a
// start cut short resumes, and an instance sharing the database that got
// there first leaves nothing to do.
func (s *Store) recountQA(ctx context.Context) error {
	for {
		var ids []string
		if err := s.each(ctx, `SELECT run_id FROM qa_samples WHERE recount = 1 ORDER BY run_id LIMIT 100`, nil, func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			ids = append(ids, id)
			return err
		}); err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if err := s.write(ctx, func(tx *txn) error { return recountCheck(ctx, tx, id) }); err != nil {
				return fmt.Errorf("recount the QA check of %s: %w", id, err)
			}
		}
	}
}

func recountCheck(ctx context.Context, tx *txn, runID string) error {
	res, err := tx.ExecContext(ctx, `UPDATE qa_samples SET recount = 0 WHERE run_id = ? AND recount = 1`, runID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // recounted by another instance
	}
	var wf, firstBy string
	var qaAt int64
	if err := tx.QueryRowContext(ctx, `SELECT workflow_id, first_by, qa_at FROM qa_samples WHERE run_id = ?`, runID).Scan(&wf, &firstBy, &qaAt); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT output_id, path, total, model_correct, first_correct, model, first, qa FROM qa_fields WHERE run_id = ?`, runID)
	if err != nil {
		return err
	}
	var old, now []review.QAField
	for rows.Next() {
		var f review.QAField
		var model, first, qa []byte
		if err := rows.Scan(&f.OutputID, &f.Path, &f.Total, &f.ModelCorrect, &f.FirstCorrect, &model, &first, &qa); err != nil {
			rows.Close()
			return err
		}
		old = append(old, f)
		f.ModelCorrect, f.Total = review.Score(model, qa)
		f.FirstCorrect, _ = review.Score(first, qa)
		now = append(now, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, f := range now {
		o := old[i]
		if f.Total == o.Total && f.ModelCorrect == o.ModelCorrect && f.FirstCorrect == o.FirstCorrect {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE qa_fields SET total = ?, model_correct = ?, first_correct = ? WHERE run_id = ? AND output_id = ? AND path = ?`,
			f.Total, f.ModelCorrect, f.FirstCorrect, runID, f.OutputID, f.Path); err != nil {
			return err
		}
		dt, dfc := f.Total-o.Total, f.FirstCorrect-o.FirstCorrect
		firstTotal := dt
		if firstBy == "" { // the model alone: no first review to count
			firstTotal, dfc = 0, 0
		}
		if _, err := tx.ExecContext(ctx, `UPDATE qa_daily SET total = total + ?, model_correct = model_correct + ?, first_total = first_total + ?, first_correct = first_correct + ?
			WHERE day = ? AND workflow_id = ? AND path = ?`, dt, f.ModelCorrect-o.ModelCorrect, firstTotal, dfc, qaAt/dayMS, wf, f.Path); err != nil {
			return err
		}
	}
	t := review.TotalQA(now)
	_, err = tx.ExecContext(ctx, `UPDATE qa_samples SET units = ?, model_correct = ?, first_correct = ?, agrees = ? WHERE run_id = ?`, t.Units, t.ModelCorrect, t.FirstCorrect, t.Agrees, runID)
	return err
}
