// Package rules checks a run against its workflow's validation rules:
// expressions in CEL (github.com/google/cel-go, the language Kubernetes
// validates its resources with) over the run's fields by their Extend
// names. Numbers are exact decimals, never floats. A rule reads only the
// fields it names, and cannot run away: its evaluation is bounded in cost
// (text and numbers counted by their size), in the size of what it builds,
// and in time; a rule that runs past a bound is too costly, which is
// neither a pass nor a failure.
package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/reviewer-app/reviewer/review"
)

// CostLimit bounds one rule's evaluation on one run (or row), in CEL's cost
// units: about a million steps, with text counted a unit per ten bytes and
// numbers a unit per 64 bits, so it bounds what a rule allocates too (some
// 10 MB). A rule reads a handful of fields in a few hundred units.
const CostLimit = 1_000_000

// Deadline bounds one rule's evaluation on one run, all its rows together:
// a rule takes microseconds, and the review page evaluates every rule of
// the workflow before it answers. It backs the cost limit up where CEL's
// costs are estimates.
const Deadline = 100 * time.Millisecond

// interruptEvery is how many steps of a rule's loops pass between looks at
// its deadline: a look is a channel poll, a step is CEL's cheapest work.
const interruptEvery = 100

// CheckTime bounds the check before rules are kept: every rule on each run
// of the sample, once as the run reads and once per value it compares a
// field with. Cheap rules take milliseconds in all.
const CheckTime = 10 * time.Second

// maxProbes bounds the values a rule is tried with when it is saved.
const maxProbes = 64

// Engine compiles and evaluates rules; compiled rules are kept, so a rule
// is compiled once per set of field names. It is safe for concurrent use.
type Engine struct {
	now     func() time.Time
	strings []cel.EnvOption // CEL's string extensions, bounded

	// Deadline is how long a rule may run on one run; the package's
	// Deadline unless set.
	Deadline time.Duration

	mu       sync.Mutex
	envs     map[string]*cel.Env
	programs map[string]*compiled
	costly   map[string]string // by costKey: on which run, past what
}

// compiled is a rule ready to run, with what it reads.
type compiled struct {
	prg    cel.Program
	reads  []string // the top-level fields it names
	all    bool     // it reads fields as a whole
	probes []*probe // values it compares fields with
}

// New returns an engine whose today() is now's date, in UTC.
func New(now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{now: now, strings: boundedStrings(), Deadline: Deadline,
		envs: map[string]*cel.Env{}, programs: map[string]*compiled{}, costly: map[string]string{}}
}

// Check compiles every rule against the fields of the newest run of its
// workflow, samples[0], and reports the first that does not compile, saying
// where: a syntax error, an unknown field, an expression that is not a
// condition. Fields inside objects and rows are only known when a run is
// read, so each rule is then evaluated on it too: a name it lacks (i.amout
// for i.amount) is reported where the rule writes it. Last, each rule is
// evaluated on every run of samples (recent runs of the workflow), as it
// reads and with each value the rule compares a field with put in that
// field: a rule too costly on any is refused, saying where and with what.
func (e *Engine) Check(ctx context.Context, rules []review.Rule, samples []*review.Run) error {
	if err := review.CheckRules(rules); err != nil || len(samples) == 0 {
		return err
	}
	inputs := make([]*input, len(samples))
	for i, s := range samples {
		inputs[i] = newInput(s)
	}
	newest := inputs[0]
	for _, r := range rules {
		if r.Each != "" && !slices.Contains(newest.names, r.Each) {
			return review.Errorf(review.EINVALID, "Rule %q: its runs have no list field %q to check row by row.", r.Name, r.Each)
		}
		if _, err := e.program(r, newest.names); err != nil {
			return review.Errorf(review.EINVALID, "Rule %q: %s", r.Name, err)
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, CheckTime, errCheckTime)
	defer cancel()
	for _, r := range rules {
		r.Disabled = false
		res := e.evaluate(ctx, r, newest, nil)
		if name, ok := strings.CutPrefix(res.Error, "there is no "); ok && !res.Costly {
			return review.Errorf(review.EINVALID, "Rule %q: %s%s is not a field of %s.", r.Name, place(r.Expr, name), name, newest.run.ID)
		}
		for _, in := range inputs {
			c, err := e.program(r, in.names)
			if err != nil {
				continue // an older run without a field the rule names
			}
			for _, p := range append([]*probe{nil}, c.probes...) {
				res := e.evaluate(ctx, r, in, p)
				if errors.Is(context.Cause(ctx), errCheckTime) {
					return review.Errorf(review.EINVALID, "Rule %q is too costly: checking the rules on %d recent runs took longer than %s.", r.Name, len(samples), CheckTime)
				}
				if res.Costly {
					return review.Errorf(review.EINVALID, "Rule %q is too costly on %s%s: %s.", r.Name, in.run.ID, p.String(), strings.TrimPrefix(res.Error, "too costly: "))
				}
			}
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
// number that is text, a number beyond what an invoice holds) fails with
// the reason; one that runs past its cost or time is too costly, and
// remembered as such for TooCostly.
func (e *Engine) Evaluate(ctx context.Context, run *review.Run, rules []review.Rule) []review.RuleResult {
	in := newInput(run)
	var out []review.RuleResult
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		res := e.evaluate(ctx, r, in, nil)
		if res.Costly {
			e.remember(run, r, res.Error)
		}
		out = append(out, res)
	}
	return out
}

// Fits says why r does not fit sample's fields, or nil if it compiles
// against them and reads sample without error: a sum of amounts that are
// currencies compiles (rows are dynamic) but cannot add.
func (e *Engine) Fits(ctx context.Context, r review.Rule, sample *review.Run) error {
	if err := e.Check(ctx, []review.Rule{r}, []*review.Run{sample}); err != nil {
		return err
	}
	if res := e.Evaluate(ctx, sample, []review.Rule{r}); len(res) == 1 && res[0].Error != "" {
		return review.Errorf(review.EINVALID, "%s", res[0].Error)
	}
	return nil
}

// TooCostly says on which run of the workflow the rule was last too
// costly, and why; empty if it never was since this engine started.
func (e *Engine) TooCostly(workflowID string, r review.Rule) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.costly[costKey(workflowID, r)]
}

func (e *Engine) remember(run *review.Run, r review.Rule, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.costly) > 10_000 { // rules are few; a flood of distinct ones starts over
		clear(e.costly)
	}
	e.costly[costKey(run.Workflow.ID, r)] = "Too costly on " + run.ID + ": " + strings.TrimPrefix(why, "too costly: ") + "."
}

func costKey(workflowID string, r review.Rule) string {
	return workflowID + "\x00" + r.Name + "\x00" + r.Each + "\x00" + r.Expr
}

// evaluate runs one rule on a run's fields, with p's value put in place
// when p is set.
func (e *Engine) evaluate(ctx context.Context, r review.Rule, in *input, p *probe) review.RuleResult {
	res := review.RuleResult{Rule: r.Name, Severity: r.Severity, Passed: true}
	fail := func(err error, fields []string) review.RuleResult {
		res.Passed, res.Message, res.Fields = false, r.Message, fields
		var costly runaway
		if errors.As(err, &costly) {
			res.Costly, res.Message, res.Fields = true, "", nil
		}
		if err != nil {
			res.Error = err.Error()
		}
		return res
	}
	c, err := e.program(r, in.names)
	if err != nil {
		return fail(err, r.Fields)
	}
	vars, err := in.vars(c)
	if err != nil {
		return fail(err, r.Fields)
	}
	if p != nil {
		vars = p.apply(vars, r.Each)
	}
	deadline := e.Deadline
	if deadline <= 0 {
		deadline = Deadline
	}
	ctx, cancel := context.WithTimeoutCause(ctx, deadline, runaway(fmt.Sprintf("it ran longer than %s", deadline)))
	defer cancel()
	if r.Each == "" {
		if ok, err := holds(ctx, c.prg, vars); !ok {
			return fail(err, r.Fields)
		}
		return res
	}
	rows, _ := vars["fields"].(map[string]any)[r.Each].([]any)
	if v, present := vars["fields"].(map[string]any)[r.Each]; present && v != nil && rows == nil {
		return fail(fmt.Errorf("%s is not a list", r.Each), r.Fields)
	}
	var failed []string
	var first error
	for i, row := range rows {
		vars["row"] = row
		ok, err := holds(ctx, c.prg, vars)
		if ok {
			continue
		}
		if errors.As(err, new(runaway)) || errors.Is(err, errNotEvaluated) {
			return fail(err, r.Fields)
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
	if failed != nil {
		return fail(first, failed)
	}
	return res
}

// runaway is why a rule was stopped: its cost, its time, or the size of
// something it built.
type runaway string

func (r runaway) Error() string { return "too costly: " + string(r) }

// errCheckTime ends the check before saving.
var errCheckTime = errors.New("the check ran out of time")

// errNotEvaluated is a rule whose caller gave up first (the request
// ended, the check before saving ran out of time).
var errNotEvaluated = errors.New("not evaluated")

// busyCost is the cost a rule has spent when it has worked for its time
// (a few milliseconds of CEL's work): a rule past its deadline that spent
// less was slowed by a busy server, and its answer stands if it has one.
const busyCost = CostLimit / 100

// holds runs a compiled rule: true only for a true result. A rule still
// running at the deadline is stopped at the next look inside its loops,
// and is too costly; so is one that got an answer all the same (an or
// with true) after working for its time.
func holds(ctx context.Context, prg cel.Program, vars map[string]any) (bool, error) {
	out, det, err := prg.ContextEval(ctx, vars)
	if ctx.Err() != nil {
		var why runaway
		if !errors.As(context.Cause(ctx), &why) {
			return false, fmt.Errorf("%w: %w", errNotEvaluated, context.Cause(ctx))
		}
		if spent := det.ActualCost(); errors.As(err, new(runaway)) || spent == nil || *spent >= busyCost {
			return false, why
		}
	}
	if err != nil {
		var stopped interpreter.EvalCancelledError
		if errors.As(err, &stopped) {
			if stopped.Cause == interpreter.CostLimitExceeded && strings.HasPrefix(stopped.Message, "operation cancelled") {
				return false, runaway(fmt.Sprintf("it went past its cost limit (%d steps, text and numbers counted by their size)", CostLimit))
			}
			return false, runaway(stopped.Message)
		}
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
func (e *Engine) program(r review.Rule, fields []string) (*compiled, error) {
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
	prg, err := env.Program(ast, cel.CostLimit(CostLimit), cel.CostTracking(sizes{}), cel.InterruptCheckFrequency(interruptEvery))
	if err != nil {
		return nil, err
	}
	c := reads(ast.NativeRep(), fields)
	c.prg = prg
	if r.Each != "" && !slices.Contains(c.reads, r.Each) {
		c.reads = append(c.reads, r.Each)
	}
	if len(e.programs) > 10_000 { // rules are few; a flood of distinct ones starts over
		clear(e.programs)
		clear(e.envs)
	}
	e.programs[key] = c
	return c, nil
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
// numbers, CEL's string extensions (those that multiply text bounded
// before they build it), sum, decimal and today, and duplicate: true when
// an earlier run of the workflow has the run's duplicate key. Numbers are typed dyn
// for the checker: the operators are the decimal's own (CEL calls the left
// operand's), so a rule puts the field on the left of a literal.
func (e *Engine) env(key string, fields []string) (*cel.Env, error) {
	if env, ok := e.envs[key]; ok {
		return env, nil
	}
	opts := append([]cel.EnvOption{
		cel.Variable("fields", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("duplicate", cel.BoolType),
		ext.Strings(),
	}, e.strings...)
	opts = append(opts, decimalFunctions()...)
	opts = append(opts, cel.Function("today",
		cel.Overload("today", nil, cel.StringType, cel.FunctionBinding(func(...ref.Val) ref.Val {
			return types.String(e.now().UTC().Format(time.DateOnly))
		}))))
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

// input is a run's top-level fields as rules read them: each converted to
// what CEL sees once, when a rule first names it.
type input struct {
	run    *review.Run
	names  []string
	fields map[string]review.Field
	values map[string]any
}

func newInput(run *review.Run) *input {
	fields := review.TopFields(run)
	return &input{run: run, names: slices.Sorted(maps.Keys(fields)), fields: fields, values: map[string]any{}}
}

// vars are a compiled rule's variables: the fields it names, by name and
// in fields. A field it names that holds a number beyond what an invoice
// holds is an error saying so: its numbers are never read.
func (in *input) vars(c *compiled) (map[string]any, error) {
	names := c.reads
	if c.all {
		names = in.names
	}
	vars, all := map[string]any{}, map[string]any{}
	for _, n := range names {
		f, ok := in.fields[n]
		if !ok {
			continue
		}
		if f.Unreadable != "" {
			return nil, errors.New(f.Unreadable)
		}
		v, ok := in.values[n]
		if !ok {
			v = native(f.Value)
			in.values[n] = v
		}
		all[n] = v
		if identifier(n) {
			vars[n] = v
		}
	}
	vars["fields"] = all
	// An earlier run of the workflow has the run's key (review.Duplicate).
	vars["duplicate"] = in.run.Duplicate != nil && in.run.Duplicate.Earlier
	return vars, nil
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
		if d, ok := parseDecimal(string(v)); ok {
			return d
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
	"namespace": true, "return": true, "var": true, "void": true, "while": true, "fields": true, "row": true, "duplicate": true,
}
