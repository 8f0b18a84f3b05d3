package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
)

// benchRules measures what validation rules add to a reviewer's saved
// change: a run of 200 line items, a change saved (answered with the
// page's parts, its rules evaluated) without rules, then with 20.
func benchRules(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-rules-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	defer e.close()
	const runID = "workflow_run_bench_rules"
	items := make([]string, 200)
	for i := range items {
		items[i] = fmt.Sprintf(`{"description":"Item %d","quantity":2,"unit_price":1.25,"amount":2.5}`, i)
	}
	payload := `{"object":"workflow_run","id":"` + runID + `","status":"NEEDS_REVIEW","workflow":{"id":"wf_rules","name":"Rules"},
		"stepRuns":[{"id":"wsr_rules","step":{"name":"extract","type":"EXTRACT"},"result":{"extractRun":{"id":"exr_rules","output":{"value":
		{"invoice_number":"INV-0042","invoice_date":"2026-11-30","total":{"amount":500,"iso_4217_currency_code":"EUR"},"line_items":[` + strings.Join(items, ",") + `]},"metadata":{}}}}}]}`
	body := demo.Event("evt_bench_rules", review.EventRunNeedsReview, []byte(payload))
	ev, err := review.DecodeEvent(body)
	if err != nil {
		return nil, err
	}
	if _, err := e.store.AppendEvent(ctx, ev, body); err != nil {
		return nil, err
	}
	for {
		if _, err := e.store.Run(ctx, runID); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	version := 0
	saves := func() ([]time.Duration, error) {
		var ds []time.Duration
		for i := range 80 {
			body := fmt.Sprintf(`{"version":%d,"outputId":"exr_rules","path":"invoice_number","text":"INV-%04d","how":"typed"}`, version, i)
			d, rec := e.post("/runs/"+runID+"/edits", body)
			if rec.Code != 200 {
				return nil, fmt.Errorf("save: %d %s", rec.Code, rec.Body)
			}
			version++
			if i >= 20 {
				ds = append(ds, d)
			}
		}
		return ds, nil
	}
	bare, err := saves()
	if err != nil {
		return nil, err
	}
	rs := benchmarkRules()
	if err := e.desk.SetRules(ctx, "wf_rules", rs, "bench"); err != nil {
		return nil, err
	}
	checked, err := saves()
	if err != nil {
		return nil, err
	}
	// The evaluation alone, as the desk does it after a change.
	run, err := e.store.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	engine := rules.New(nil)
	var evals []time.Duration
	for i := range 220 {
		t0 := time.Now()
		res := engine.Evaluate(ctx, run, rs)
		if i >= 20 {
			evals = append(evals, time.Since(t0))
		}
		if len(review.Failed(res)) != 0 {
			return nil, fmt.Errorf("a benchmark rule failed: %+v", review.Failed(res))
		}
	}
	fmt.Fprintf(log, "saved change, 200 line items: p50 %s without rules, %s with 20; the evaluation alone p50 %s\n",
		ms(percentile(bare, 50)), ms(percentile(checked, 50)), ms(percentile(evals, 50)))
	return []result{
		{Name: "a change saved on a run of 200 line items, checked against 20 validation rules (CEL, exact decimals; 5 of them per row) and answered with the page's parts, server time p50 (p99)",
			Value:    fmt.Sprintf("%s (%s)", ms(percentile(checked, 50)), ms(percentile(checked, 99))),
			Baseline: fmt.Sprintf("%s (%s) without rules", ms(percentile(bare, 50)), ms(percentile(bare, 99))), Goal: "adds < 10 ms (no visible delay)",
			Ratio: ratio(float64(percentile(checked, 50)), float64(percentile(bare, 50))) + " (p50s)", Met: meets(percentile(checked, 50)-percentile(bare, 50) < 10*time.Millisecond)},
		{Name: "the 20 rules evaluated alone on that run, p50 (p99)", Value: fmt.Sprintf("%s (%s)", ms(percentile(evals, 50)), ms(percentile(evals, 99))), Baseline: "", Goal: ""},
	}, nil
}

// benchmarkRules are 20 rules of the kinds the README shows: sums, formats,
// dates, allowed values, and rules on every row.
func benchmarkRules() []review.Rule {
	exprs := []struct{ expr, each string }{
		{`total.amount == sum(line_items.map(i, i.amount))`, ""},
		{`invoice_number.matches("^INV-[0-9]{4}$")`, ""},
		{`invoice_date <= today()`, ""},
		{`total.iso_4217_currency_code in ["EUR", "USD"]`, ""},
		{`row.amount == row.quantity * row.unit_price`, "line_items"},
	}
	var rs []review.Rule
	for i := range 20 {
		x := exprs[i%len(exprs)]
		rs = append(rs, review.Rule{Name: fmt.Sprintf("rule %02d", i), Expr: x.expr, Each: x.each, Message: "m", Severity: review.SeverityBlock})
	}
	return rs
}
