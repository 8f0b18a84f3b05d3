package review

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Rule is a check an admin writes for a workflow's runs: an expression over
// the run's fields (CEL; package rules evaluates it) that must hold before a
// run is approved, or that warns the reviewer when it does not.
type Rule struct {
	Name     string   `json:"name"`
	Expr     string   `json:"expr"`
	Message  string   `json:"message"`
	Severity string   `json:"severity"`           // SeverityBlock or SeverityWarn
	Each     string   `json:"each,omitempty"`     // a list field: the rule must hold for every row, named row
	Fields   []string `json:"fields,omitempty"`   // the fields it concerns, shown beside them
	Disabled bool     `json:"disabled,omitempty"` // kept, not checked
}

// Severities of a rule.
const (
	SeverityBlock = "block" // approval waits until the rule holds, or a supervisor overrides it
	SeverityWarn  = "warn"  // the reviewer is told; approval goes on
)

// Limits on a workflow's rules.
const (
	MaxRules       = 100
	MaxRuleExpr    = 4000
	MaxRuleMessage = 500
)

// CheckRules says whether rules can be kept as a workflow's rules, apart
// from their expressions, which package rules checks.
func CheckRules(rules []Rule) error {
	if len(rules) > MaxRules {
		return Errorf(EINVALID, "A workflow has at most %d rules.", MaxRules)
	}
	seen := map[string]bool{}
	for i, r := range rules {
		what := fmt.Sprintf("Rule %d", i+1)
		if r.Name != "" {
			what = fmt.Sprintf("Rule %q", r.Name)
		}
		switch {
		case r.Name == "" || utf8.RuneCountInString(r.Name) > 100:
			return Errorf(EINVALID, "%s needs a name of at most 100 characters.", what)
		case seen[r.Name]:
			return Errorf(EINVALID, "%s: two rules have this name.", what)
		case r.Expr == "":
			return Errorf(EINVALID, "%s needs an expression.", what)
		case len(r.Expr) > MaxRuleExpr:
			return Errorf(EINVALID, "%s: the expression is longer than %d bytes.", what, MaxRuleExpr)
		case r.Message == "" || utf8.RuneCountInString(r.Message) > MaxRuleMessage:
			return Errorf(EINVALID, "%s needs a message for the reviewer of at most %d characters.", what, MaxRuleMessage)
		case r.Severity != SeverityBlock && r.Severity != SeverityWarn:
			return Errorf(EINVALID, "%s: severity is %q or %q.", what, SeverityBlock, SeverityWarn)
		case len(r.Fields) > 50:
			return Errorf(EINVALID, "%s concerns at most 50 fields.", what)
		}
		seen[r.Name] = true
	}
	return nil
}

// TopFields returns the top-level fields of a run's extractions, by name:
// what a rule sees. The first extraction naming a field wins.
func TopFields(run *Run) map[string]Field {
	out := map[string]Field{}
	if run == nil {
		return out
	}
	for _, o := range run.Outputs {
		if o.Type != OutputExtract {
			continue
		}
		for _, f := range o.Fields {
			if _, seen := out[f.Path]; f.Depth == 0 && !seen {
				out[f.Path] = f
			}
		}
	}
	return out
}

// RuleResult is what a rule said of a run.
type RuleResult struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Passed   bool     `json:"passed"`
	Message  string   `json:"message,omitempty"` // the rule's message, when it failed
	Error    string   `json:"error,omitempty"`   // why it could not be evaluated: it counts as failed
	Fields   []string `json:"fields,omitempty"`  // the fields it concerns; for a rule on rows, the failing rows' fields
	// Costly is set when the rule ran past its cost or its time on the
	// run: it said nothing of the run, so it neither passed nor failed,
	// and holds nothing back. Error says what it ran past.
	Costly bool `json:"tooCostly,omitempty"`
}

// Blocking returns the failed rules that hold approval back.
func Blocking(results []RuleResult) []RuleResult {
	var out []RuleResult
	for _, r := range results {
		if !r.Passed && !r.Costly && r.Severity == SeverityBlock {
			out = append(out, r)
		}
	}
	return out
}

// Failed returns the rules that did not pass, the ones too costly to say
// aside.
func Failed(results []RuleResult) []RuleResult {
	return slices.DeleteFunc(slices.Clone(results), func(r RuleResult) bool { return r.Passed || r.Costly })
}

// Costly returns the rules that ran past their cost or time.
func Costly(results []RuleResult) []RuleResult {
	return slices.DeleteFunc(slices.Clone(results), func(r RuleResult) bool { return !r.Costly })
}
