// Package rules checks a run against its workflow's validation rules:
// expressions in CEL (github.com/google/cel-go, the language Kubernetes
// validates its resources with) over the run's fields by their Extend
// names. Numbers are exact decimals, never floats; a rule's evaluation is
// bounded in cost, so a hostile rule cannot hold a server.
package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"

	"github.com/reviewer-app/reviewer/review"
)

// CostLimit bounds one rule's evaluation on one run (or row), in CEL's cost
// units: about a million steps.
const CostLimit = 1_000_000

// Engine compiles and evaluates rules; compiled rules are kept, so a rule
// is compiled once per set of field names. It is safe for concurrent use.
type Engine struct {
	now func() time.Time

	mu       sync.Mutex
	envs     map[string]*cel.Env
	programs map[string]cel.Program
}

// New returns an engine whose today() is now's date, in UTC.
func New(now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{now: now, envs: map[string]*cel.Env{}, programs: map[string]cel.Program{}}
}

// Check compiles every rule against the fields of sample, a run of the
// workflow, and reports the first that does not compile, saying where: a
// syntax error, an unknown field, an expression that is not a condition.
// Fields inside objects and rows are only known when a run is read, so
// each rule is then evaluated on sample too: a name it lacks (i.amout for
// i.amount) is reported where the rule writes it.
func (e *Engine) Check(rules []review.Rule, sample *review.Run) error {
	if err := review.CheckRules(rules); err != nil {
		return err
	}
	fields := slices.Sorted(maps.Keys(review.TopFields(sample)))
	for _, r := range rules {
		if r.Each != "" && !slices.Contains(fields, r.Each) {
			return review.Errorf(review.EINVALID, "Rule %q: its runs have no list field %q to check row by row.", r.Name, r.Each)
		}
		if _, err := e.program(r, fields); err != nil {
			return review.Errorf(review.EINVALID, "Rule %q: %s", r.Name, err)
		}
	}
	for _, r := range rules {
		r.Disabled = false
		res := e.Evaluate(sample, []review.Rule{r})[0]
		if name, ok := strings.CutPrefix(res.Error, "there is no "); ok {
			return review.Errorf(review.EINVALID, "Rule %q: %s%s is not a field of %s.", r.Name, place(r.Expr, name), name, sample.ID)
		}
	}
	return nil
}

// place says where name is first selected in expr ("line 1, column 5: "),
// or nothing when it cannot be found.
func place(expr, name string) string {
	i := strings.Index(expr, "."+name)
	if i < 0 {
		return ""
	}
	line := strings.Count(expr[:i+1], "\n") + 1
	col := i + 1 - strings.LastIndex(expr[:i+1], "\n")
	return fmt.Sprintf("line %d, column %d: ", line, col)
}

// Evaluate checks run against rules (disabled rules are skipped) and says
// what each found. A rule that cannot be evaluated (a field missing, a
// number that is text) fails with the reason.
func (e *Engine) Evaluate(run *review.Run, rules []review.Rule) []review.RuleResult {
	values := review.TopFields(run)
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	vars := map[string]any{}
	all := map[string]any{}
	for n, raw := range values {
		v := native(raw)
		all[n] = v
		if identifier(n) {
			vars[n] = v
		}
	}
	vars["fields"] = all
	var out []review.RuleResult
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		out = append(out, e.evaluate(r, names, vars))
	}
	return out
}

func (e *Engine) evaluate(r review.Rule, names []string, vars map[string]any) review.RuleResult {
	res := review.RuleResult{Rule: r.Name, Severity: r.Severity, Passed: true}
	fail := func(err error, fields []string) review.RuleResult {
		res.Passed, res.Message, res.Fields = false, r.Message, fields
		if err != nil {
			res.Error = err.Error()
		}
		return res
	}
	prg, err := e.program(r, names)
	if err != nil {
		return fail(err, r.Fields)
	}
	if r.Each == "" {
		if ok, err := holds(prg, vars); !ok {
			return fail(err, r.Fields)
		}
		return res
	}
	rows, _ := vars[r.Each].([]any)
	if v, present := vars[r.Each]; present && v != nil && rows == nil {
		return fail(fmt.Errorf("%s is not a list", r.Each), r.Fields)
	}
	var failed []string
	var first error
	for i, row := range rows {
		vars["row"] = row
		ok, err := holds(prg, vars)
		if ok {
			continue
		}
		if first == nil {
			first = err
		}
		at := r.Each + "[" + strconv.Itoa(i) + "]"
		if len(r.Fields) == 0 {
			failed = append(failed, at)
		}
		for _, f := range r.Fields {
			failed = append(failed, at+"."+f)
		}
	}
	delete(vars, "row")
	if failed != nil {
		return fail(first, failed)
	}
	return res
}

// holds runs a compiled rule: true only for a true result.
func holds(prg cel.Program, vars map[string]any) (bool, error) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		msg := err.Error()
		if k, ok := strings.CutPrefix(msg, "no such key: "); ok {
			msg = "there is no " + k
		}
		if strings.HasPrefix(msg, "no such overload") {
			msg = "a value is missing or not of the kind the rule expects (text where a number should be?)"
		}
		return false, errors.New(msg)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("the rule gave %s, not true or false", out.Type().TypeName())
	}
	return bool(b), nil
}

// program compiles a rule for runs with these top-level fields, or finds it
// compiled before.
func (e *Engine) program(r review.Rule, fields []string) (cel.Program, error) {
	fkey := strings.Join(fields, "\x00")
	key := fkey + "\x01" + r.Each + "\x01" + r.Expr
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.programs[key]; ok {
		return p, nil
	}
	env, err := e.env(fkey, fields)
	if err != nil {
		return nil, err
	}
	if r.Each != "" {
		if env, err = env.Extend(cel.Variable("row", cel.DynType)); err != nil {
			return nil, err
		}
	}
	ast, iss := env.Compile(r.Expr)
	if iss.Err() != nil {
		return nil, describe(iss)
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the expression gives %s, not a condition (true or false)", t)
	}
	prg, err := env.Program(ast, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, err
	}
	if len(e.programs) > 10_000 { // rules are few; a flood of distinct ones starts over
		clear(e.programs)
		clear(e.envs)
	}
	e.programs[key] = prg
	return prg, nil
}

// describe turns CEL's issues into a sentence with the place of the first.
func describe(iss *cel.Issues) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return iss.Err()
	}
	first := errs[0]
	msg := first.Message
	if loc := first.Location; loc != nil && loc.Line() > 0 {
		return fmt.Errorf("line %d, column %d: %s", loc.Line(), loc.Column()+1, msg)
	}
	return errors.New(msg)
}

// env is the language a workflow's rules are written in: its fields as
// variables, fields["any name"] for names that are not identifiers, exact
// numbers, CEL's string extensions, and sum, decimal and today. Numbers are
// typed dyn for the checker: the operators are the decimal's own (CEL calls
// the left operand's), so a rule puts the field on the left of a literal.
func (e *Engine) env(key string, fields []string) (*cel.Env, error) {
	if env, ok := e.envs[key]; ok {
		return env, nil
	}
	opts := []cel.EnvOption{
		cel.Variable("fields", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
		cel.Function("sum",
			cel.Overload("sum_list", []*cel.Type{cel.ListType(cel.DynType)}, cel.DynType, cel.UnaryBinding(sum))),
		cel.Function("decimal",
			cel.Overload("decimal_any", []*cel.Type{cel.DynType}, cel.DynType, cel.UnaryBinding(func(v ref.Val) ref.Val {
				if d, ok := toDecimal(v); ok && d.r != nil {
					return d
				}
				return types.NewErr("%v is not a number", v)
			}))),
		cel.Function("today",
			cel.Overload("today", nil, cel.StringType, cel.FunctionBinding(func(...ref.Val) ref.Val {
				return types.String(e.now().UTC().Format(time.DateOnly))
			}))),
	}
	for _, f := range fields {
		if identifier(f) {
			opts = append(opts, cel.Variable(f, cel.DynType))
		}
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	e.envs[key] = env
	return env, nil
}

// sum adds a list's numbers exactly; a null or a word in it is an error
// that names its place.
func sum(v ref.Val) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("sum: not a list")
	}
	total := new(big.Rat)
	it := l.Iterator()
	for i := 0; it.HasNext() == types.True; i++ {
		d, ok := toDecimal(it.Next())
		if !ok || d.r == nil {
			return types.NewErr("sum: item %d is not a number", i)
		}
		total.Add(total, d.r)
	}
	return decimal{total}
}

// native is a field's JSON value as the rule sees it: numbers as exact
// decimals, objects as maps, lists as lists.
func native(raw json.RawMessage) any {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return convert(v)
}

func convert(v any) any {
	switch v := v.(type) {
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(v)); ok {
			return decimal{r}
		}
		return string(v)
	case []any:
		for i := range v {
			v[i] = convert(v[i])
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = convert(v[k])
		}
		return v
	}
	return v
}

// identifier reports whether name can be a CEL variable.
func identifier(name string) bool {
	if name == "" || reserved[name] {
		return false
	}
	for i, c := range name {
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && (i == 0 || !(c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

var reserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true, "const": true, "continue": true,
	"else": true, "for": true, "function": true, "if": true, "import": true, "let": true, "loop": true, "package": true,
	"namespace": true, "return": true, "var": true, "void": true, "while": true, "fields": true, "row": true,
}
