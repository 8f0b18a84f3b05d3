package rules_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
)

// invoice is a 2026 run whose extraction holds fields, as Extend sends it.
func invoice(t testing.TB, fields string) *review.Run {
	t.Helper()
	var value map[string]json.RawMessage
	if err := json.Unmarshal([]byte(fields), &value); err != nil {
		t.Fatal(err)
	}
	props := map[string]any{}
	for k := range value {
		props[k] = map[string]any{}
	}
	schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
	payload := `{"object":"workflow_run","id":"workflow_run_1","status":"NEEDS_REVIEW","stepRuns":[{"object":"workflow_step_run","id":"workflow_step_run_1","status":"PROCESSED",
		"step":{"type":"EXTRACT"},"result":{"extractRun":{"object":"extract_run","id":"exr_1","output":{"value":` + fields + `,"metadata":{}},"config":{"schema":` + string(schema) + `}}}}]}`
	run, err := review.DecodeRun(json.RawMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func rule(expr string) review.Rule {
	return review.Rule{Name: "r", Expr: expr, Message: "m", Severity: review.SeverityBlock}
}

func TestEvaluate(t *testing.T) {
	e := rules.New(func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) })
	run := invoice(t, `{"invoice_number":"INV-0042","invoice_date":"2026-11-30","currency":"EUR",
		"total":{"amount":0.3,"iso_4217_currency_code":"EUR"},"tax":{"amount":0.05},
		"line_items":[{"amount":0.1,"quantity":3,"unit_price":0.0333},{"amount":0.15,"quantity":1,"unit_price":0.15}],
		"cents":[0.1,0.2],"po":null,"Vendor Name":"ACME","count":3}`)
	tests := []struct {
		name, expr string
		want       bool
	}{
		// Floats get these wrong: 0.1 + 0.2 != 0.3 in binary.
		{"decimal sum of a list", `sum(cents) == 0.3`, true},
		{"decimal literal sum", `decimal("0.1") + 0.2 == 0.3`, true},
		{"total is the lines plus tax", `total.amount == sum(line_items.map(i, i.amount)) + tax.amount`, true},
		{"total is not the lines alone", `total.amount == sum(line_items.map(i, i.amount))`, false},
		{"a comparison with an int", `total.amount > 0`, true},
		{"a comparison with a double", `total.amount < 0.31`, true},
		{"product per row, to the cent", `line_items.all(i, i.quantity * i.unit_price - i.amount < 0.01)`, true},
		{"required", `invoice_number != null && invoice_number != ""`, true},
		{"required, missing", `po != null`, false},
		{"format", `invoice_number.matches("^INV-[0-9]{4}$")`, true},
		{"format, wrong", `invoice_number.matches("^[0-9]+$")`, false},
		{"not in the future", `invoice_date <= today()`, true},
		{"within a year", `invoice_date >= "2025-12-01"`, true},
		{"allowed values", `currency in ["EUR", "USD"]`, true},
		{"allowed values, wrong", `currency in ["GBP"]`, false},
		{"between fields", `total.iso_4217_currency_code == currency`, true},
		{"a name that is not an identifier", `fields["Vendor Name"] == "ACME"`, true},
		{"integers are exact too", `count * 0.1 == 0.3`, true},
		{"string functions", `invoice_number.lowerAscii().startsWith("inv")`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Evaluate(t.Context(), run, []review.Rule{rule(tt.expr)})
			if len(res) != 1 || res[0].Passed != tt.want {
				t.Fatalf("%s: %+v, want passed = %v", tt.expr, res, tt.want)
			}
			if !tt.want && res[0].Message != "m" {
				t.Errorf("a failed rule says %q, want its message", res[0].Message)
			}
		})
	}
}

// TestEvaluateRows: a rule on rows says which rows fail, by their fields.
func TestEvaluateRows(t *testing.T) {
	e := rules.New(nil)
	run := invoice(t, `{"line_items":[{"amount":3,"quantity":3,"unit_price":1},{"amount":5,"quantity":2,"unit_price":2},{"amount":1.1,"quantity":1,"unit_price":1.1}]}`)
	r := rule(`row.amount == row.quantity * row.unit_price`)
	r.Each, r.Fields = "line_items", []string{"amount"}
	res := e.Evaluate(t.Context(), run, []review.Rule{r})
	if len(res) != 1 || res[0].Passed || strings.Join(res[0].Fields, " ") != "line_items[1].amount" {
		t.Fatalf("%+v, want row 1's amount failing", res)
	}
}

// TestEvaluateErrors: a rule that cannot be evaluated fails and says why;
// an expensive one is stopped.
func TestEvaluateErrors(t *testing.T) {
	e := rules.New(nil)
	items := make([]string, 200)
	for i := range items {
		items[i] = `{"amount":1}`
	}
	run := invoice(t, `{"total":{"amount":"twelve"},"line_items":[`+strings.Join(items, ",")+`],"po":null}`)
	tests := []struct{ name, expr, want string }{
		{"a word where a number is", `total.amount > 0`, "not of the kind"},
		{"a missing key", `total.currency == "EUR"`, "currency"},
		{"null arithmetic", `po + 1 > 0`, "missing"},
		{"too costly", `line_items.all(a, line_items.all(b, line_items.all(c, a.amount + b.amount + c.amount > 0)))`, "cost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Evaluate(t.Context(), run, []review.Rule{rule(tt.expr)})
			if len(res) != 1 || res[0].Passed || !strings.Contains(res[0].Error, tt.want) {
				t.Fatalf("%+v, want a failure mentioning %q", res, tt.want)
			}
		})
	}
}

// TestCheck: a rule is refused when saved, saying where it is wrong.
func TestCheck(t *testing.T) {
	e := rules.New(nil)
	sample := invoice(t, `{"invoice_number":"1","line_items":[{"amount":1}],"total":{"amount":1}}`)
	tests := []struct{ name, expr, each, want string }{
		{"syntax", `total.amount >`, "", "line 1, column 15"},
		{"unknown field", `totl.amount > 0`, "", "line 1, column 1: undeclared reference to 'totl'"},
		{"unknown on a later line", "invoice_number != null &&\n  tax > 0", "", "line 2, column 3"},
		{"not a condition", `invoice_number + "x"`, "", "not a condition"},
		{"rows of a field that is not there", `row.amount > 0`, "lines", `no list field "lines"`},
		{"row outside a rule on rows", `row.amount > 0`, "", "undeclared reference to 'row'"},
		{"a misspelt key in a row", "total.amount ==\n  sum(line_items.map(i, i.amout))", "", "line 2, column 27: amout is not a field of workflow_run_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule(tt.expr)
			r.Each = tt.each
			err := e.Check(t.Context(), []review.Rule{r}, []*review.Run{sample})
			if err == nil || review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
	good := rule(`total.amount == sum(line_items.map(i, i.amount))`)
	if err := e.Check(t.Context(), []review.Rule{good}, []*review.Run{sample}); err != nil {
		t.Fatal(err)
	}
	if err := e.Check(t.Context(), []review.Rule{good, good}, []*review.Run{sample}); err == nil {
		t.Error("two rules of one name were accepted")
	}
}

// BenchmarkEvaluate: a run of 200 line items against 20 rules, as the
// review page evaluates after every saved change.
func BenchmarkEvaluate(b *testing.B) {
	items := make([]string, 200)
	for i := range items {
		items[i] = `{"description":"Item","quantity":2,"unit_price":1.25,"amount":2.5}`
	}
	run := invoice(b, `{"invoice_number":"INV-0042","invoice_date":"2026-11-30","total":{"amount":500},"line_items":[`+strings.Join(items, ",")+`]}`)
	var rs []review.Rule
	for i := range 20 {
		r := rule([]string{
			`total.amount == sum(line_items.map(i, i.amount))`,
			`invoice_number.matches("^INV-[0-9]+$")`,
			`invoice_date <= today()`,
			`row.amount == row.quantity * row.unit_price`,
		}[i%4])
		if i%4 == 3 {
			r.Each = "line_items"
		}
		r.Name = "rule " + string(rune('a'+i))
		rs = append(rs, r)
	}
	e := rules.New(nil)
	b.ResetTimer()
	for b.Loop() {
		for _, res := range e.Evaluate(b.Context(), run, rs) {
			if !res.Passed {
				b.Fatalf("%+v", res)
			}
		}
	}
}

// TestDuplicate: a rule reads whether an earlier run has the run's
// duplicate key, so it can hold approval back; the earliest run of a key,
// and a run with none, pass; a field named duplicate stays readable.
func TestDuplicate(t *testing.T) {
	e := rules.New(nil)
	r := rule(`!duplicate`)
	for _, tt := range []struct {
		name string
		dup  *review.Duplicate
		want bool
	}{
		{"no other run", nil, true},
		{"an earlier run", &review.Duplicate{RunID: "workflow_run_0", Earlier: true}, false},
		{"only a later run", &review.Duplicate{RunID: "workflow_run_2"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := invoice(t, `{"invoice_number":"INV-0042","duplicate":"yes"}`)
			run.Duplicate = tt.dup
			res := e.Evaluate(t.Context(), run, []review.Rule{r, {Name: "field", Expr: `fields["duplicate"] == "yes"`, Message: "m", Severity: review.SeverityBlock}})
			if len(res) != 2 || res[0].Passed != tt.want || !res[1].Passed {
				t.Fatalf("%+v, want the rule passed = %v and the field read", res, tt.want)
			}
		})
	}
}
