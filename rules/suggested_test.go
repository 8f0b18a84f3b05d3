package rules_test

import (
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
)

// TestSumSuggestionFits: the suggested "lines add up" rule is written the
// way a workflow's fields allow (a total in a currency or a plain number,
// line amounts either way), is offered to none without line items, and
// says what the run page's own check used to: lines that add up pass,
// lines that do not fail.
func TestSumSuggestionFits(t *testing.T) {
	e := rules.New(nil)
	var sum review.Suggestion
	for _, s := range review.Suggestions() {
		if s.Rule.Name == "lines add up" {
			sum = s
		}
	}
	tests := []struct{ name, good, bad, want string }{
		{"a total in a currency", `{"total":{"amount":3.3,"iso_4217_currency_code":"EUR"},"line_items":[{"amount":1.1},{"amount":2.2}]}`,
			`{"total":{"amount":3.4,"iso_4217_currency_code":"EUR"},"line_items":[{"amount":1.1},{"amount":2.2}]}`, sum.Exprs[0]},
		{"line amounts in a currency", `{"total":{"amount":3.3},"line_items":[{"amount":{"amount":1.1}},{"amount":{"amount":2.2}}]}`,
			`{"total":{"amount":3.3},"line_items":[{"amount":{"amount":1.1}},{"amount":{"amount":2.3}}]}`, sum.Exprs[1]},
		{"plain numbers", `{"total":3.3,"line_items":[{"amount":1.1},{"amount":2.2}]}`, `{"total":3.3,"line_items":[{"amount":1.2},{"amount":2.2}]}`, sum.Exprs[2]},
		{"no line items", `{"total":3.3}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := invoice(t, tt.good)
			fit, ok := sum.Fit(func(r review.Rule) error { return e.Fits(t.Context(), r, good) })
			if tt.want == "" {
				if ok {
					t.Fatalf("offered %q to a workflow without line items", fit.Rule.Expr)
				}
				return
			}
			if !ok || fit.Rule.Expr != tt.want || fit.Rule.Severity != review.SeverityWarn {
				t.Fatalf("fit = %+v, %v; want %q as a warning", fit.Rule, ok, tt.want)
			}
			for run, want := range map[*review.Run]bool{good: true, invoice(t, tt.bad): false} {
				if res := e.Evaluate(t.Context(), run, []review.Rule{fit.Rule}); len(res) != 1 || res[0].Passed != want {
					t.Errorf("%s: %+v, want passed %v", tt.name, res, want)
				}
			}
		})
	}
	if !sum.Kept([]review.Rule{{Name: "my sum", Expr: sum.Exprs[2]}}) || sum.Kept([]review.Rule{{Name: "other", Expr: "true"}}) {
		t.Error("a kept rule with the suggestion's condition is not recognised, or another is")
	}
}
