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
// columns through an index or figures kept by triggers; none reads a
// payload, and none counts every waiting run.
func (s *Store) Dashboard(ctx context.Context, sla time.Duration) (review.Dashboard, error) {
	now := s.now()
	d := review.Dashboard{Now: now, SLA: sla}
	n := ms(now)
	h := hourMS
	if err := s.waiting(ctx, &d, n, ms(now.Add(-sla))); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}

	// Decisions per hour (24 h) and per day (7 d).
	hours := map[int64]int{}
	days := map[string]int{}
	type decided struct {
		by       string
		decision string
		handling sql.NullInt64
	}
	var recent []decided
	rows, err := s.r.QueryContext(ctx, `SELECT decided_at, decided_by, decision, handling_ms FROM runs WHERE decided_at >= ?`, ms(now.Add(-7*24*time.Hour)))
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	for rows.Next() {
		var at int64
		var x decided
		if err := rows.Scan(&at, &x.by, &x.decision, &x.handling); err != nil {
			rows.Close()
			return d, fmt.Errorf("dashboard: %w", err)
		}
		if at > n-24*h {
			hours[(n-at)/h]++
		}
		days[fromMS(at).Format("Mon 2")]++
		recent = append(recent, x)
	}
	rows.Close()
	for i := int64(23); i >= 0; i-- {
		d.PerHour = append(d.PerHour, review.Bucket{Label: now.Add(-time.Duration(i) * time.Hour).Format("15h"), Count: hours[i]})
	}
	for i := 6; i >= 0; i-- {
		label := now.AddDate(0, 0, -i).Format("Mon 2")
		d.PerDay = append(d.PerDay, review.Bucket{Label: label, Count: days[label]})
	}
	byReviewer := map[string]*review.ReviewerStats{}
	handling := map[string][]int64{}
	for _, x := range recent {
		r := byReviewer[x.by]
		if r == nil {
			r = &review.ReviewerStats{Email: x.by}
			byReviewer[x.by] = r
		}
		if x.decision == review.DecisionApproved {
			r.Approved++
		} else {
			r.Rejected++
		}
		if x.handling.Valid {
			handling[x.by] = append(handling[x.by], x.handling.Int64)
		}
	}
	for by, r := range byReviewer {
		hs := handling[by]
		sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
		if len(hs) > 0 {
			r.MedianFor = time.Duration(hs[len(hs)/2]) * time.Millisecond
		}
		d.Reviewers = append(d.Reviewers, *r)
	}
	sort.Slice(d.Reviewers, func(i, j int) bool {
		return d.Reviewers[i].Approved+d.Reviewers[i].Rejected > d.Reviewers[j].Approved+d.Reviewers[j].Rejected
	})

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
	rows, err = s.r.QueryContext(ctx, `SELECT f.workflow_id, coalesce(w.name, ''), f.path, f.edited, f.decided FROM field_corrections f LEFT JOIN workflows w ON w.id = f.workflow_id
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
