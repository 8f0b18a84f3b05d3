package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

// TestDemoAdvisesAThreshold: the demo's measured weeks answer "which
// confidence threshold would let us review fewer runs at 99%" from the
// product alone. The API's accuracy of the JSON Schema invoices advises a
// threshold on total from the weeks' several hundred decisions, with its
// counts, and the supervisor's Accuracy page says it in words with the
// same counts and how many fewer runs that is than are reviewed now; the
// workflow's figures say how many runs their samples came from.
func TestDemoAdvisesAThreshold(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("sam@example.com", review.RoleSupervisor)
	var acc review.Accuracy
	if err := json.Unmarshal(supervisorGet(t, s, "/api/v1/accuracy?workflowId=workflow_demo_invoices"), &acc); err != nil {
		t.Fatal(err)
	}
	var total *review.FieldAccuracy
	var checked int
	for _, w := range acc.Workflows {
		checked = w.Checked
		for i := range w.Fields {
			if w.Fields[i].Path == "total" {
				total = &w.Fields[i]
			}
		}
	}
	if total == nil {
		t.Fatalf("the API measures no total of the demo's invoices: %+v", acc)
	}
	a := total.Advice
	if !a.Reachable || a.Threshold < 0.6 || a.Threshold > 0.95 || a.Measured < demo.HistoryRuns || a.Below <= 0 || a.Below >= a.Measured ||
		a.Above.Samples != a.Measured-a.Below || a.Above.Low < 0.99 {
		t.Fatalf("the API's advice on total: %+v", a)
	}
	if checked < 50 || total.Model.Samples != checked {
		t.Errorf("%d runs checked in QA, total's model accuracy on %d: the weeks' checks are not measured", checked, total.Model.Samples)
	}

	ctx := browser(t)
	signIn(t, ctx, s.base, "sam@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/accuracy"), chromedp.WaitVisible(chromedp.CSS(`[data-accuracy-workflow="workflow_demo_invoices"] [data-accuracy-field="total"] [data-advice]`))); err != nil {
		t.Fatal(err)
	}
	said, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-accuracy-workflow="workflow_demo_invoices"] [data-accuracy-field="total"] [data-advice]`)))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^To reach 99% on total, send runs below (0\.\d\d) to review: (\d+)% of runs \((\d+) of (\d+)\), (\d+) fewer than the (\d+) reviewed now`).FindStringSubmatch(said)
	if m == nil {
		t.Fatalf("the page's advice on total reads %q", said)
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	// The workflow's figure is over its checked runs' fields, and says so.
	model, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-accuracy-workflow="workflow_demo_invoices"] p [data-rate="model"]`)))
	if m := regexp.MustCompile(`, (\d+) samples, (\d+) runs\)$`).FindStringSubmatch(model); err != nil || m == nil || num(m[2]) != checked || num(m[1]) <= checked {
		t.Errorf("the workflow's model accuracy reads %q (%v), want its samples and its %d runs", model, err, checked)
	}
	if m[1] != strconv.FormatFloat(a.Threshold, 'f', 2, 64) || num(m[3]) != a.Below || num(m[4]) != a.Measured || num(m[5]) != a.Measured-a.Below || num(m[6]) != a.Measured {
		t.Errorf("the page's advice %q does not agree with the API's %+v", said, a)
	}
}
