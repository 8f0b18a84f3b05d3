package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// accuracyRuns is how many decided runs the accuracy page is measured at:
// 10,000 by default (built in seconds), 100,000 with -long.
var accuracyRuns = 10_000

// accuracyFields are the fields of every bench run, as folded paths.
var accuracyFields = []string{"invoice_number", "invoice_date", "due_date", "total", "vendor.name", "line_items[].description", "line_items[].amount", "purchase_order"}

// benchAccuracy measures the supervisor's accuracy page and the
// scorecards at accuracyRuns decided runs of 30 days (8 fields each, 5%
// checked in QA, focused time on each), served in process by the real
// wiring, beside the bare SQL of their largest aggregates on the same
// file. The runs are written straight into the database: through the desk
// 100,000 decisions take longer than the measurement is worth, and the
// pages read only the tables written here.
func benchAccuracy(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-accuracy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	defer e.close()
	if err := e.createUser(ctx, "lead@example.com", review.RoleSupervisor); err != nil {
		return nil, err
	}
	if e.cookie, err = e.signIn(ctx, "lead@example.com"); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "reviewer.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	t0 := time.Now()
	if err := fillAccuracy(ctx, db, accuracyRuns); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%d decided runs written in %s\n", accuracyRuns, time.Since(t0).Round(time.Millisecond))
	var out []result
	n := fmt.Sprintf("%d decided runs", accuracyRuns)
	for _, c := range []struct {
		name, path string
		bare       []string
	}{
		{"accuracy page", "/accuracy", []string{
			`SELECT workflow_id, path, sum(n), sum(edited) FROM field_daily WHERE day >= ? / 86400000 AND day < ? / 86400000 + 1 GROUP BY workflow_id, path`,
			`SELECT workflow_id, path, bin, sum(n), sum(edited) FROM field_bins WHERE week >= ? / 86400000 / 7 AND week < ? / 86400000 / 7 + 1 GROUP BY workflow_id, path, bin`,
			`SELECT workflow_id, path, bin, sum(n), sum(edited) FROM field_bins_daily WHERE day >= ? / 86400000 AND day < ? / 86400000 + 1 GROUP BY workflow_id, path, bin`,
			`SELECT workflow_id, path, sum(model_correct), sum(total), sum(first_correct), sum(first_total) FROM qa_daily WHERE day >= ? / 86400000 AND day < ? / 86400000 + 1 GROUP BY workflow_id, path`,
		}},
		{"scorecards page", "/scorecards", []string{
			`SELECT decided_by, day, decided, edited, active_ms, active_runs FROM reviewer_daily WHERE day >= ? / 86400000 AND day < ? / 86400000 + 1`,
			`SELECT first_by, first_at / 86400000 d, count(*), sum(agrees), sum(first_correct), sum(units) FROM qa_samples WHERE first_at >= ? AND first_at < ? AND qa_at IS NOT NULL AND first_by != '' GROUP BY first_by, d`,
		}},
		// What the daily sums save: the same grouping of the outcomes themselves.
		{"accuracy page, its grouping from the raw outcomes", "", []string{
			`SELECT workflow_id, path, coalesce(CAST(floor(confidence * 100) AS INTEGER), -1) b, count(*), sum(edited) FROM field_outcomes WHERE decided_at >= ? AND decided_at < ? GROUP BY workflow_id, path, b`,
		}},
	} {
		var ds, bare []time.Duration
		for i := range 30 {
			var d time.Duration
			if c.path != "" {
				var rec *httptest.ResponseRecorder
				if d, rec = e.get(c.path); rec.Code != 200 {
					return nil, fmt.Errorf("%s: %d %s", c.path, rec.Code, rec.Body)
				}
			}
			b, err := timeQueries(ctx, db, c.bare)
			if err != nil {
				return nil, err
			}
			if i >= 5 {
				ds, bare = append(ds, d), append(bare, b)
			}
		}
		if c.path == "" {
			out = append(out, result{Name: fmt.Sprintf("%s at %s (SQLite), p50 / p95", c.name, n), Value: ms(percentile(bare, 50)) + " / " + ms(percentile(bare, 95)),
				Baseline: "(the baseline of the line above)", Goal: "none: shows what the daily sums save"})
			continue
		}
		out = append(out, result{
			Name:     fmt.Sprintf("%s at %s (SQLite), p50 / p95", c.name, n),
			Value:    ms(percentile(ds, 50)) + " / " + ms(percentile(ds, 95)),
			Baseline: "bare SQL of its largest aggregates: " + ms(percentile(bare, 50)) + " / " + ms(percentile(bare, 95)),
			Goal:     "under 200 ms",
			Met:      meets(percentile(ds, 95) < 200*time.Millisecond),
		})
	}
	return out, nil
}

// timeQueries runs each query over the last 30 days and reads every row.
func timeQueries(ctx context.Context, db *sql.DB, qs []string) (time.Duration, error) {
	to := time.Now().UnixMilli() + 1
	from := to - 30*86_400_000
	t0 := time.Now()
	for _, q := range qs {
		rows, err := db.QueryContext(ctx, q, from, to)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// fillAccuracy writes n decided runs spread over the last 30 days: three
// workflows, six reviewers, the model wrong more often at low confidence,
// 5% of the runs checked in QA.
func fillAccuracy(ctx context.Context, db *sql.DB, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	prep := func(q string) *sql.Stmt {
		st, e := tx.PrepareContext(ctx, q)
		if e != nil && err == nil {
			err = e
		}
		return st
	}
	runs := prep(`INSERT INTO runs (id, workflow_id, workflow_name, api_version, status, payload, created_at, updated_at, decision, decided_by, decided_at) VALUES (?, ?, ?, '2026-02-09', 'PROCESSED', x'7b7d', ?, ?, 'approved', ?, ?)`)
	outcomes := prep(`INSERT INTO field_outcomes (run_id, workflow_id, path, edited, decided_at, confidence, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	samples := prep(`INSERT INTO qa_samples (run_id, workflow_id, source, first_by, first_at, sampled_at, qa_by, qa_at, units, model_correct, first_correct, agrees) VALUES (?, ?, 'decided', ?, ?, ?, 'qa@example.com', ?, ?, ?, ?, ?)`)
	decided := prep(`INSERT INTO decided_daily (day, workflow_id, runs, fields, uncorrected, yy, ym, mm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	daily := prep(`INSERT INTO field_daily (day, workflow_id, path, n, edited) VALUES (?, ?, ?, ?, ?)`)
	weekly := prep(`INSERT INTO field_bins (week, workflow_id, path, bin, n, edited) VALUES (?, ?, ?, ?, ?, ?)`)
	dailyBins := prep(`INSERT INTO field_bins_daily (day, workflow_id, path, bin, n, edited) VALUES (?, ?, ?, ?, ?, ?)`)
	reviewers := prep(`INSERT INTO reviewer_daily (day, decided_by, decided, edited, active_ms, active_runs) VALUES (?, ?, ?, ?, ?, ?)`)
	checks := prep(`INSERT INTO qa_daily (day, workflow_id, path, total, model_correct, first_total, first_correct) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	fields := prep(`INSERT INTO qa_fields (run_id, workflow_id, output_id, path, first_by, first_at, qa_at, confidence, total, model_correct, first_correct, model, first, qa) VALUES (?, ?, 'exr', ?, ?, ?, ?, ?, 1, ?, ?, x'31', x'31', x'31')`)
	active := prep(`INSERT INTO activity (actor, run_id, day, ms) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UnixMilli()
	// The daily sums the desk keeps with each decision, summed here.
	type fieldDay struct {
		day      int64
		wf, path string
		bin      int
	}
	type reviewerDay struct {
		day int64
		by  string
	}
	type qaDay struct {
		day      int64
		wf, path string
	}
	fieldSums, reviewerSums, qaSums := map[fieldDay][2]int{}, map[reviewerDay][4]int{}, map[qaDay][4]int{}
	runSums := map[qaDay]review.Clusters{} // per workflow and day; path unused
	for i := range n {
		id := fmt.Sprintf("workflow_run_bench_%07d", i)
		wf := fmt.Sprintf("wf_bench_%d", i%3)
		by := fmt.Sprintf("reviewer%d@example.com", i%6)
		at := now - rng.Int64N(30*86_400_000)
		if _, err := runs.ExecContext(ctx, id, wf, "Bench "+wf, at, at, by, at); err != nil {
			return err
		}
		qa := i%20 == 0
		edited, modelRight, firstRight := 0, 0, 0
		for _, p := range accuracyFields {
			conf := 0.5 + rng.Float64()/2
			wrong := rng.Float64() > conf+0.04
			if _, err := outcomes.ExecContext(ctx, id, wf, p, wrong, at, conf, by); err != nil {
				return err
			}
			k, e := fieldDay{at / 86_400_000, wf, p, review.ConfidenceBin(conf)}, 0
			if wrong {
				e, edited = 1, edited+1
			}
			fieldSums[k] = [2]int{fieldSums[k][0] + 1, fieldSums[k][1] + e}
			if qa {
				right := rng.IntN(50) != 0
				if right {
					firstRight++
				}
				qk, mr, fr := qaDay{(at + 60_000) / 86_400_000, wf, p}, 0, 0
				if !wrong {
					mr, modelRight = 1, modelRight+1
				}
				if right {
					fr = 1
				}
				q := qaSums[qk]
				qaSums[qk] = [4]int{q[0] + 1, q[1] + mr, q[2] + 1, q[3] + fr}
				if _, err := fields.ExecContext(ctx, id, wf, p, by, at, at+60_000, conf, !wrong, right); err != nil {
					return err
				}
			}
		}
		dk := qaDay{at / 86_400_000, wf, ""}
		c := runSums[dk]
		c.Add(len(accuracyFields)-edited, len(accuracyFields))
		runSums[dk] = c
		rk := reviewerDay{at / 86_400_000, by}
		spent := 20_000 + rng.IntN(60_000)
		rs := reviewerSums[rk]
		reviewerSums[rk] = [4]int{rs[0] + 1, rs[1] + edited, rs[2] + spent, rs[3] + 1}
		if qa {
			if _, err := samples.ExecContext(ctx, id, wf, by, at, at, at+60_000, len(accuracyFields), modelRight, firstRight, firstRight == len(accuracyFields)); err != nil {
				return err
			}
		}
		if _, err := active.ExecContext(ctx, by, id, at/86_400_000, spent); err != nil {
			return err
		}
	}
	days, weeks := map[qaDay][2]int{}, map[fieldDay][2]int{}
	for k, v := range fieldSums {
		d, w := qaDay{k.day, k.wf, k.path}, fieldDay{k.day / 7, k.wf, k.path, k.bin}
		days[d] = [2]int{days[d][0] + v[0], days[d][1] + v[1]}
		weeks[w] = [2]int{weeks[w][0] + v[0], weeks[w][1] + v[1]}
		if _, err := dailyBins.ExecContext(ctx, k.day, k.wf, k.path, k.bin, v[0], v[1]); err != nil {
			return err
		}
	}
	for k, v := range days {
		if _, err := daily.ExecContext(ctx, k.day, k.wf, k.path, v[0], v[1]); err != nil {
			return err
		}
	}
	for k, v := range weeks {
		if _, err := weekly.ExecContext(ctx, k.day, k.wf, k.path, k.bin, v[0], v[1]); err != nil {
			return err
		}
	}
	for k, v := range reviewerSums {
		if _, err := reviewers.ExecContext(ctx, k.day, k.by, v[0], v[1], v[2], v[3]); err != nil {
			return err
		}
	}
	for k, c := range runSums {
		if _, err := decided.ExecContext(ctx, k.day, k.wf, c.Runs, c.Samples, c.Correct, c.YY, c.YM, c.MM); err != nil {
			return err
		}
	}
	for k, v := range qaSums {
		if _, err := checks.ExecContext(ctx, k.day, k.wf, k.path, v[0], v[1], v[2], v[3]); err != nil {
			return err
		}
	}
	return tx.Commit()
}
