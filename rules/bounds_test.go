package rules_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestEvaluatesOnlyNamedFields: a rule reads the fields it names and no
// other, so a list of amounts written 1e999999 (each 415 KB and 29 ms to
// read exactly) costs a rule about the total nothing; a rule that names
// that list fails, saying why, without reading its numbers either.
func TestEvaluatesOnlyNamedFields(t *testing.T) {
	e := rules.New(nil)
	run := invoice(t, `{"total":{"amount":12.5},"invoice_number":"INV-1","line_items":[`+strings.TrimSuffix(strings.Repeat(`{"amount":1e999999},`, 50), ",")+`]}`)
	named := []review.Rule{rule(`total.amount > 0`), rule(`fields["total"].amount > 0 && fields.total.amount < 13`), rule(`invoice_number.startsWith("INV")`)}
	for i := range named {
		named[i].Name = named[i].Expr
	}
	e.Evaluate(t.Context(), run, named) // compiled once
	var res []review.RuleResult
	if n := allocated(func() { res = e.Evaluate(t.Context(), run, named) }); n > 1<<20 {
		t.Errorf("evaluating rules that name only the total allocated %d bytes: the list was read", n)
	}
	for _, r := range res {
		if !r.Passed {
			t.Errorf("%+v, want it to pass", r)
		}
	}
	for _, expr := range []string{`size(line_items) > 0`, `sum(line_items.map(i, i.amount)) == total.amount`, `size(fields) > 0`} {
		var res []review.RuleResult
		if n := allocated(func() { res = e.Evaluate(t.Context(), run, []review.Rule{rule(expr)}) }); n > 16<<20 {
			t.Errorf("%s allocated %d bytes: the list's numbers were read", expr, n)
		}
		if len(res) != 1 || res[0].Passed || !strings.Contains(res[0].Error, "1e999999") {
			t.Errorf("%s: %+v, want a failure saying line_items holds 1e999999", expr, res)
		}
	}
}

// squarings is a rule's text that squares x n times over: each step
// doubles the number's size, costing CEL one step.
func squarings(x string, n int) string {
	return "[" + x + "]" + strings.Repeat(".map(x, x * x)", n) + "[0]"
}

// TestRulesCannotRunAway: rules that would take seconds of CPU or
// gigabytes (squared numbers, doubled or multiplied texts, nested loops) are
// stopped by their cost limit or deadline and said to be too costly: never
// a pass (even where the expensive part is or-ed with true), never a block.
// What they allocate on the way is bounded.
func TestRulesCannotRunAway(t *testing.T) {
	e := rules.New(nil)
	items := strings.TrimSuffix(strings.Repeat(`{"amount":12.5},`, 3), ",")
	run := invoice(t, `{"invoice_number":"INV-0001","total":{"amount":12.5},"line_items":[`+items+`]}`)
	tests := []struct{ name, expr string }{
		{"nested exists over squared products", `line_items.exists(a, line_items.exists(b, ` + squarings("a.amount * b.amount", 40) + ` < 0))`},
		{"or-ed with true", squarings("total.amount", 40) + ` > 0 || true`},
		{"text doubled", `size([invoice_number]` + strings.Repeat(".map(x, x + x)", 40) + `[0]) > 0`},
		{"text replaced into itself", `size([invoice_number]` + strings.Repeat(".map(x, x.replace('', x))", 4) + `[0]) > 0`},
		{"text joined", `size([invoice_number]` + strings.Repeat(".map(x, [x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x].join())", 8) + `[0]) > 0`},
		{"text formatted", `size([invoice_number]` + strings.Repeat(".map(x, '%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s'.format([x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x]))", 8) + `[0]) > 0`},
		{"text split to pieces", `size([invoice_number]` + strings.Repeat(".map(x, x + x)", 17) + `[0].split('')) > 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule(tt.expr)
			var res []review.RuleResult
			if n := allocated(func() { res = e.Evaluate(t.Context(), run, []review.Rule{r}) }); n > 64<<20 {
				t.Errorf("allocated %d MB", n>>20)
			}
			if len(res) != 1 || !res[0].Costly || res[0].Passed || !strings.Contains(res[0].Error, "too costly") {
				t.Fatalf("%+v, want it too costly", res)
			}
			if len(review.Blocking(res)) != 0 || len(review.Failed(res)) != 0 {
				t.Errorf("a rule too costly counts as failed or blocking: %+v", res)
			}
			if got := e.TooCostly(run.Workflow.ID, r); !strings.Contains(got, run.ID) {
				t.Errorf("TooCostly = %q, want it to name the run", got)
			}
		})
	}
}

// TestRuleDeadline: a rule still running at its deadline is stopped there,
// at the next look inside its loops, and is too costly; a cheap rule that
// a busy server made late keeps its answer.
func TestRuleDeadline(t *testing.T) {
	e := rules.New(nil)
	e.Deadline = time.Microsecond
	items := strings.TrimSuffix(strings.Repeat(`{"amount":1},`, 200), ",")
	run := invoice(t, `{"total":{"amount":3},"line_items":[`+items+`]}`)
	res := e.Evaluate(t.Context(), run, []review.Rule{rule(`line_items.all(a, line_items.all(b, a.amount + b.amount > 0))`)})
	if len(res) != 1 || !res[0].Costly || !strings.Contains(res[0].Error, "longer than") {
		t.Fatalf("%+v, want it too costly for its time", res)
	}
	cheap := rule(`total.amount > 0 && line_items[0].amount == 1`)
	cheap.Name = "cheap"
	if res := e.Evaluate(t.Context(), run, []review.Rule{cheap}); len(res) != 1 || !res[0].Passed {
		t.Fatalf("%+v, want a cheap rule late on a busy server to pass", res)
	}
}

// TestCheckFindsTriggers: a rule that is cheap on the newest run but
// costly when a field takes a value the rule looks for (a reviewer types
// BOOM), or on an older run, is refused when saved, saying where.
func TestCheckFindsTriggers(t *testing.T) {
	e := rules.New(nil)
	newest := invoice(t, `{"invoice_number":"INV-0002","total":{"amount":12.5},"line_items":[{"amount":1,"description":"Hosting"}]}`)
	older := invoice(t, `{"invoice_number":"INV-0001","total":{"amount":12.5},"line_items":[`+strings.TrimSuffix(strings.Repeat(`{"amount":1},`, 300), ",")+`]}`)
	older.ID = "workflow_run_older"
	bomb := squarings("total.amount", 40) + ` > 0`
	tests := []struct{ name, expr, each, want string }{
		{"a text it waits for", `invoice_number != 'BOOM' || ` + bomb, "", `invoice_number = "BOOM"`},
		{"a text it waits for, in fields", `fields["invoice_number"] == 'BOOM' && ` + bomb, "", `invoice_number = "BOOM"`},
		{"a text it waits for, among others", `invoice_number in ['BOOM', 'BANG'] && ` + bomb, "", `invoice_number = "BOOM"`},
		{"a number it waits for", `total.amount > 1000 && ` + bomb, "", `total.amount = 1001`},
		{"a row it waits for", `row.description == 'BOOM' && ` + bomb, "line_items", `description = "BOOM"`},
		{"an older run's longer list", `line_items.all(a, line_items.all(b, line_items.all(c, a.amount + b.amount + c.amount > 0)))`, "", "workflow_run_older"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule(tt.expr)
			r.Each = tt.each
			err := e.Check(t.Context(), []review.Rule{r}, []*review.Run{newest, older})
			if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "too costly") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it refused as too costly, mentioning %s", err, tt.want)
			}
		})
	}
	if err := e.Check(t.Context(), []review.Rule{rule(`invoice_number != 'BOOM' || total.amount > 0`)}, []*review.Run{newest, older}); err != nil {
		t.Fatalf("a cheap rule with a literal was refused: %v", err)
	}
}

// BenchmarkEvaluateHostile: the rule of the report, total.amount > 0, and
// one naming the list, on a run whose list holds 2,000 amounts written
// 1e999999 (read exactly, a minute of work and 1.4 GB).
func BenchmarkEvaluateHostile(b *testing.B) {
	run := invoice(b, `{"total":{"amount":12.5},"line_items":[`+strings.TrimSuffix(strings.Repeat(`{"amount":1e999999},`, 2000), ",")+`]}`)
	total, lines := rule(`total.amount > 0`), rule(`total.amount == sum(line_items.map(i, i.amount))`)
	lines.Name = "lines"
	e := rules.New(nil)
	for b.Loop() {
		if res := e.Evaluate(b.Context(), run, []review.Rule{total, lines}); !res[0].Passed || res[1].Passed {
			b.Fatalf("%+v", res)
		}
	}
}
