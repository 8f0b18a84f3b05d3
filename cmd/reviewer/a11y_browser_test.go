package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/review"
)

// axeViolation is one rule axe-core found broken on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// TestAccessibility audits every kind of page with axe-core (vendored
// under testdata/axe, MPL-2.0) against WCAG 2.2 A and AA: no violation of
// impact serious or critical.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--demo")
	s.user("ada@example.com", review.RoleAdmin)
	ctx := browser(t)
	audit := func(name string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
			t.Fatalf("%s: load axe: %v", name, err)
		}
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}).then((r) => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe: %v", name, err)
		}
		var vs []axeViolation
		json.Unmarshal([]byte(out), &vs)
		for _, v := range vs {
			if v.Impact != "serious" && v.Impact != "critical" {
				continue
			}
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target)+": "+strings.ReplaceAll(n.Summary, "\n", " "))
			}
			t.Errorf("%s: %s (%s) at %d places: %s", name, v.ID, v.Help, len(v.Nodes), strings.Join(where, " | "))
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
		t.Fatal(err)
	}
	audit("sign-in")
	signIn(t, ctx, s.base, "ada@example.com")
	for _, p := range []struct{ name, path, ready string }{
		{"queue", "/", "#queue"},
		{"review: extraction with line items, classification, split", "/runs/" + runQH, ".grid"},
		{"review: JSON Schema extraction with parsed text", "/runs/" + runAWS, ".grid"},
		{"review: rotated page with a split", "/runs/workflow_run_demo_nics_rotated", ".splits-editor"},
		{"decided runs", "/decided", "#decided"},
		{"decided runs, searched", "/decided?q=nothing-like-it", "#decided"},
		{"queue, searched", "/?q=30064443", "#queue"},
		{"dashboard", "/dashboard", "main"},
		{"late and close to due", "/breaches", "#breaches"},
		{"sent to a supervisor", "/?view=escalated", "#queue"},
		{"users", "/admin/users", "main"},
		{"deliveries", "/admin/deliveries", "main"},
		{"settings", "/admin/settings", "main"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready))); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		audit(p.name)
	}
}
