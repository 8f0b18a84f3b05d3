package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Dashboard gathers the supervisor's figures. Every query reads summary
// columns through an index or figures kept by triggers or with each
// decision; none reads a payload, and none counts every waiting run or
// every decided one.
func (s *Store) Dashboard(ctx context.Context, sla time.Duration) (review.Dashboard, error) {
	now := s.now()
	d := review.Dashboard{Now: now, SLA: sla}
	n := ms(now)
	if err := s.waiting(ctx, &d, n, ms(now.Add(-sla))); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	if err := s.decidedFigures(ctx, &d, n); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	routing, err := s.RoutingCounts(ctx)
	if err != nil {
		return d, err
	}
	for wf, c := range routing {
		d.Routing = append(d.Routing, review.RoutingCount{WorkflowID: wf, LowConfidence: c[review.RoutedLow], Sample: c[review.RoutedSample], Rules: c[review.RoutedRules], Auto: c[review.RoutedAuto]})
	}
	sort.Slice(d.Routing, func(i, j int) bool { return d.Routing[i].WorkflowID < d.Routing[j].WorkflowID })

	if d.RuleFails, err = s.ruleFailures(ctx, now.AddDate(0, 0, -30)); err != nil {
		return d, err
	}
	if d.Sending, err = s.sending(ctx); err != nil {
		return d, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT f.workflow_id, coalesce(w.name, ''), f.path, f.edited, f.decided FROM field_corrections f LEFT JOIN workflows w ON w.id = f.workflow_id
		WHERE f.edited > 0 ORDER BY 1.0 * f.edited / f.decided DESC, f.decided DESC LIMIT 25`)
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c review.FieldCorrections
		if err := rows.Scan(&c.WorkflowID, &c.WorkflowName, &c.Path, &c.Edited, &c.Decided); err != nil {
			return d, fmt.Errorf("dashboard: %w", err)
		}
		d.Corrections = append(d.Corrections, c)
	}
	return d, rows.Err()
}

// CorrectedRuns lists the decided runs of a workflow in which a field was
// corrected, newest first: the runs behind a correction rate.
func (s *Store) CorrectedRuns(ctx context.Context, workflowID, path string, limit int) ([]review.RunSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+summaryColumns+` FROM runs WHERE id IN (SELECT run_id FROM field_outcomes WHERE workflow_id = ? AND path = ? AND edited = 1)
		ORDER BY decided_at DESC LIMIT ?`, workflowID, path, limit)
	if err != nil {
		return nil, fmt.Errorf("corrected runs: %w", err)
	}
	defer rows.Close()
	var out []review.RunSummary
	for rows.Next() {
		r, err := scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("corrected runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// decidedFigures fills in the dashboard's figures of the work done from
// the counts kept with each decision (see keepDecided): decisions per clock
// hour of the last 24, per day of the 7 shown, and per reviewer over those
// 7 days, with the median handling read from the kept buckets.
func (s *Store) decidedFigures(ctx context.Context, d *review.Dashboard, now int64) error {
	hour, firstDay := now/hourMS, now/dayMS-6
	hours, days := map[int64]int{}, map[int64]int{}
	byReviewer := map[string]*review.ReviewerStats{}
	err := s.each(ctx, `SELECT hour, decided_by, decision, n FROM decided_hours WHERE hour >= ? AND n > 0`, []any{firstDay * 24}, func(rows *sql.Rows) error {
		var h int64
		var by, decision string
		var k int
		if err := rows.Scan(&h, &by, &decision, &k); err != nil {
			return err
		}
		hours[h] += k
		days[h*hourMS/dayMS] += k
		r := byReviewer[by]
		if r == nil {
			r = &review.ReviewerStats{Email: by}
			byReviewer[by] = r
		}
		if decision == review.DecisionApproved {
			r.Approved += k
		} else {
			r.Rejected += k
		}
		return nil
	})
	if err != nil {
		return err
	}
	handling := map[string]map[int]int{}
	err = s.each(ctx, `SELECT decided_by, bucket, n FROM handling_days WHERE day >= ? AND n > 0`, []any{firstDay}, func(rows *sql.Rows) error {
		var by string
		var b, k int
		if err := rows.Scan(&by, &b, &k); err != nil {
			return err
		}
		if handling[by] == nil {
			handling[by] = map[int]int{}
		}
		handling[by][b] += k
		return nil
	})
	if err != nil {
		return err
	}
	for h := hour - 23; h <= hour; h++ {
		d.PerHour = append(d.PerHour, review.Bucket{Label: fromMS(h * hourMS).Format("15h"), Count: hours[h]})
	}
	for day := firstDay; day <= now/dayMS; day++ {
		d.PerDay = append(d.PerDay, review.Bucket{Label: fromMS(day * dayMS).Format("Mon 2"), Count: days[day]})
	}
	for by, r := range byReviewer {
		r.MedianFor = review.MedianHandling(handling[by])
		d.Reviewers = append(d.Reviewers, *r)
	}
	sort.Slice(d.Reviewers, func(i, j int) bool {
		a, b := d.Reviewers[i], d.Reviewers[j]
		return a.Approved+a.Rejected > b.Approved+b.Rejected || a.Approved+a.Rejected == b.Approved+b.Rejected && a.Email < b.Email
	})
	return nil
}

// decided is what the dashboard keeps of a decision.
type decided struct {
	at                     int64
	workflow, by, decision string
	handling               sql.NullInt64
}

// decidedOf reads what the dashboard keeps of a run's decision, before a
// write takes the decision back; on PostgreSQL the run stays locked to
// the commit, so the decision taken back is the one read.
func decidedOf(ctx context.Context, tx *txn, runID string) (decided, error) {
	q := `SELECT coalesce(decided_at, 0), workflow_id, decided_by, decision, handling_ms FROM runs WHERE id = ?`
	if tx.isPG() {
		q += ` FOR UPDATE` // SQLite's one writer holds it already
	}
	var x decided
	err := tx.QueryRowContext(ctx, q, runID).Scan(&x.at, &x.workflow, &x.by, &x.decision, &x.handling)
	if isNoRows(err) {
		return decided{}, nil
	}
	return x, err
}

// keepDecided adds a decision to the dashboard's kept figures (sign 1),
// or takes it back (-1): its clock hour's count, and its handling time's
// bucket (review.HandlingBucket) on its day.
func keepDecided(ctx context.Context, tx *txn, x decided, sign int) error {
	if x.decision == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO decided_hours (hour, decided_by, decision, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (hour, decided_by, decision) DO UPDATE SET n = decided_hours.n + excluded.n`, x.at/hourMS, x.by, x.decision, sign); err != nil {
		return err
	}
	if !x.handling.Valid {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO handling_days (day, decided_by, bucket, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (day, decided_by, bucket) DO UPDATE SET n = handling_days.n + excluded.n`,
		x.at/dayMS, x.by, review.HandlingBucket(time.Duration(x.handling.Int64)*time.Millisecond), sign)
	return err
}

// hourMS is the width of waiting_hours' hours.
const hourMS = int64(time.Hour / time.Millisecond)

// waiting fills in the dashboard's figures of the queue from waiting_hours
// (the waiting runs of each workflow by the hour they were queued in): the
// counts of whole hours are added up, and only the runs of the hour an age
// boundary falls in are counted, through the queue's index.
func (s *Store) waiting(ctx context.Context, d *review.Dashboard, now, sla int64) error {
	rows, err := s.r.QueryContext(ctx, `SELECT workflow_id, hour, n FROM waiting_hours WHERE n > 0`)
	if err != nil {
		return err
	}
	byHour := map[int64]int{}
	byWorkflow := map[string]int{}
	for rows.Next() {
		var wf string
		var hour int64
		var k int
		if err := rows.Scan(&wf, &hour, &k); err != nil {
			rows.Close()
			return err
		}
		byHour[hour] += k
		byWorkflow[wf] += k
		d.Waiting += k
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// upTo counts the waiting runs queued at or before t.
	upTo := func(t int64) (int, error) {
		boundary, k := t/hourMS, 0
		for hour, c := range byHour {
			if hour >= 0 && hour < boundary {
				k += c
			}
		}
		var in int
		err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status = 'NEEDS_REVIEW' AND queued_at >= ? AND queued_at <= ?`, boundary*hourMS, t).Scan(&in)
		return k + in, err
	}
	cuts := []int64{now - hourMS, now - 4*hourMS, now - 24*hourMS, now - 72*hourMS, sla}
	counts := make([]int, len(cuts))
	for i, t := range cuts {
		if counts[i], err = upTo(t); err != nil {
			return err
		}
	}
	known := d.Waiting - byHour[-1]
	d.PastSLA = counts[4]
	d.Ages = []review.Bucket{{Label: "< 1 h", Count: known - counts[0]}, {Label: "1–4 h", Count: counts[0] - counts[1]}, {Label: "4–24 h", Count: counts[1] - counts[2]},
		{Label: "1–3 d", Count: counts[2] - counts[3]}, {Label: "> 3 d", Count: counts[3]}}
	for wf, k := range byWorkflow {
		w := review.WorkflowDepth{ID: wf, Waiting: k}
		var old sql.NullInt64
		err := s.r.QueryRowContext(ctx, `SELECT queued_at, workflow_name FROM runs WHERE status = 'NEEDS_REVIEW' AND workflow_id = ? AND queued_at IS NOT NULL
			ORDER BY queued_at LIMIT 1`, wf).Scan(&old, &w.Name)
		if err != nil && !isNoRows(err) {
			return err
		}
		if old.Valid {
			w.Oldest = fromMS(old.Int64)
			if d.Oldest == nil || w.Oldest.Before(*d.Oldest) {
				t := w.Oldest
				d.Oldest = &t
			}
		}
		d.ByWorkflow = append(d.ByWorkflow, w)
	}
	sort.Slice(d.ByWorkflow, func(i, j int) bool {
		a, b := d.ByWorkflow[i], d.ByWorkflow[j]
		return a.Waiting > b.Waiting || a.Waiting == b.Waiting && a.ID < b.ID
	})
	return nil
}

// sending counts the outbox items waiting and given up, by kind: each count
// reads a partial index of its state, never the items sent.
func (s *Store) sending(ctx context.Context) ([]review.OutboxCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, 'pending', count(*) FROM outbox WHERE state = 'pending' GROUP BY kind
		UNION ALL SELECT kind, 'dead', count(*) FROM outbox WHERE state = 'dead' GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("dashboard: sending: %w", err)
	}
	defer rows.Close()
	counts := map[string]*review.OutboxCount{}
	for rows.Next() {
		var kind, state string
		var n int
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return nil, fmt.Errorf("dashboard: sending: %w", err)
		}
		c := counts[kind]
		if c == nil {
			c = &review.OutboxCount{Kind: kind}
			counts[kind] = c
		}
		if state == "dead" {
			c.GivenUp = n
		} else {
			c.Waiting = n
		}
	}
	var out []review.OutboxCount
	for _, kind := range []string{review.OutboxDelivery, review.OutboxEvalItem, review.OutboxExtendCall} {
		if c := counts[kind]; c != nil {
			out = append(out, *c)
		}
	}
	return out, rows.Err()
}
