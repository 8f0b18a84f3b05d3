package review

import "slices"

// Suggestion is a rule the rules page offers a workflow that has no rule
// of its name yet, with why one would keep it. Fields are named
// differently from one workflow to another, so a suggestion has several
// ways of writing its condition: the first that fits the workflow's fields
// is offered.
type Suggestion struct {
	Rule  Rule // its Expr is the first of Exprs
	Why   string
	Exprs []string
}

// Fit is the suggestion written the first way check accepts (check
// compiles a rule against a workflow's fields), or false if none is.
func (s Suggestion) Fit(check func(Rule) error) (Suggestion, bool) {
	for _, expr := range s.Exprs {
		s.Rule.Expr = expr
		if check(s.Rule) == nil {
			return s, true
		}
	}
	return s, false
}

// Kept says whether rules already hold the suggestion: one of its name, or
// one with any of its conditions.
func (s Suggestion) Kept(rules []Rule) bool {
	for _, r := range rules {
		if r.Name == s.Rule.Name || slices.Contains(s.Exprs, r.Expr) {
			return true
		}
	}
	return false
}

// Suggestions are the rules offered to every workflow whose fields they
// fit. "lines add up" was once a check the run page made on its own,
// guessing at field names; as a rule a supervisor sees what it compares,
// chooses its severity and can change or delete it like any other.
func Suggestions() []Suggestion {
	sum := []string{
		"sum(line_items.map(i, i.amount)) == total.amount", // a total in a currency, plain line amounts
		"sum(line_items.map(i, i.amount.amount)) == total.amount",
		"sum(line_items.map(i, i.amount)) == total",
	}
	return []Suggestion{{
		Rule: Rule{Name: "lines add up", Expr: sum[0], Message: "The line amounts do not add up to the total.",
			Severity: SeverityWarn, Fields: []string{"line_items", "total"}},
		Why:   "The line items' amounts add up to the invoice's total: a line misread, missed or read twice shows as a difference.",
		Exprs: sum,
	}}
}
