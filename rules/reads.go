package rules

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// reads finds in a checked rule the top-level fields it names (as
// variables, or as fields.name and fields["name"]), whether it reads
// fields as a whole, and the values it compares fields with.
func reads(a *celast.AST, fields []string) *compiled {
	c := &compiled{}
	named := map[string]bool{}
	for _, f := range fields {
		named[f] = identifier(f)
	}
	read := func(n string) {
		if _, ok := named[n]; ok && !slices.Contains(c.reads, n) {
			c.reads = append(c.reads, n)
		}
	}
	keyed := map[int64]bool{} // the uses of fields by a constant key
	var whole []int64         // every use of fields
	seen := map[string]bool{}
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if n := e.AsIdent(); n == "fields" {
				whole = append(whole, e.ID())
			} else if named[n] {
				read(n)
			}
		case celast.SelectKind:
			if op := e.AsSelect().Operand(); isIdent(op, "fields") {
				keyed[op.ID()] = true
				read(e.AsSelect().FieldName())
			}
		case celast.CallKind:
			call := e.AsCall()
			if args := call.Args(); call.FunctionName() == operators.Index && isIdent(args[0], "fields") {
				if k, ok := literal(args[1]).(types.String); ok {
					keyed[args[0].ID()] = true
					read(string(k))
				}
			}
			for _, p := range probesOf(call, named) {
				if len(c.probes) < maxProbes && !seen[p.String()] {
					seen[p.String()] = true
					c.probes = append(c.probes, p)
				}
			}
		}
	}))
	for _, id := range whole {
		c.all = c.all || !keyed[id]
	}
	return c
}

func isIdent(e celast.Expr, name string) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == name
}

// literal is a constant's value, nil for anything else.
func literal(e celast.Expr) ref.Val {
	if e.Kind() != celast.LiteralKind {
		return nil
	}
	return e.AsLiteral()
}

// probe is a value a rule compares a field with, put in that field to
// reach what the rule does when it holds: a rule that waits for a
// reviewer to type BOOM is run with BOOM when it is saved.
type probe struct {
	root  string   // a top-level field, or row
	keys  []string // below it
	value any
}

// String says where the probe puts what, for a sentence: " with
// invoice_number = "BOOM"".
func (p *probe) String() string {
	if p == nil {
		return ""
	}
	v := fmt.Sprint(p.value)
	switch x := p.value.(type) {
	case string:
		v = fmt.Sprintf("%q", x)
	case nil:
		v = "null"
	}
	return " with " + strings.Join(append([]string{p.root}, p.keys...), ".") + " = " + v
}

// apply returns vars with the probe's value put in place: in every row
// for a rule on rows.
func (p *probe) apply(vars map[string]any, each string) map[string]any {
	out := maps.Clone(vars)
	all := maps.Clone(vars["fields"].(map[string]any))
	out["fields"] = all
	name, v := p.root, any(nil)
	if p.root == "row" {
		rows, _ := all[each].([]any)
		changed := make([]any, len(rows))
		for i, row := range rows {
			changed[i] = setAt(row, p.keys, p.value)
		}
		name, v = each, changed
	} else {
		v = setAt(all[p.root], p.keys, p.value)
	}
	all[name] = v
	if identifier(name) {
		out[name] = v
	}
	return out
}

// setAt is v with the value at keys replaced, copied where it changes.
func setAt(v any, keys []string, value any) any {
	if len(keys) == 0 {
		return value
	}
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m)+1)
	maps.Copy(out, m)
	out[keys[0]] = setAt(m[keys[0]], keys[1:], value)
	return out
}

// probesOf finds the probes in one call: a field compared with a constant
// (==, !=, <, <=, >, >=; a number also one either side of it, so both
// sides of a bound are reached), in a list of constants, or starting,
// ending or containing one.
func probesOf(call celast.CallExpr, named map[string]bool) []*probe {
	var out []*probe
	add := func(target celast.Expr, lit ref.Val, around bool) {
		root, keys, ok := path(target, named)
		if !ok || root == "" || lit == nil {
			return
		}
		v, isNumber := probeValue(lit)
		if !isNumber || !around {
			out = append(out, &probe{root, keys, v})
			return
		}
		d := v.(decimal)
		for _, step := range []int64{-1, 0, 1} {
			out = append(out, &probe{root, keys, decimal{new(big.Rat).Add(d.r, big.NewRat(step, 1))}})
		}
	}
	args := call.Args()
	switch fn := call.FunctionName(); fn {
	case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		around := fn != operators.Equals && fn != operators.NotEquals
		add(args[0], literal(args[1]), around)
		add(args[1], literal(args[0]), around)
	case operators.In, operators.OldIn:
		if args[1].Kind() == celast.ListKind {
			for _, el := range args[1].AsList().Elements() {
				add(args[0], literal(el), false)
			}
		}
	case "startsWith", "endsWith", "contains":
		if call.IsMemberFunction() && len(args) == 1 {
			add(call.Target(), literal(args[0]), false)
		}
	}
	return out
}

// probeValue is a constant as a field would hold it: numbers as decimals.
func probeValue(lit ref.Val) (v any, isNumber bool) {
	switch lit.(type) {
	case types.Int, types.Uint, types.Double:
		d, _ := toDecimal(lit)
		return d, true
	case types.Null:
		return nil, false
	}
	return lit.Value(), false
}

// path is where in the run's fields e reads: a field, row or fields, then
// the keys selected below it.
func path(e celast.Expr, named map[string]bool) (root string, keys []string, ok bool) {
	switch e.Kind() {
	case celast.IdentKind:
		root = e.AsIdent()
		if _, field := named[root]; field || root == "row" {
			return root, nil, true
		}
		return "", nil, root == "fields"
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", nil, false
		}
		root, keys, ok = path(s.Operand(), named)
		return settle(root, slices.Concat(keys, []string{s.FieldName()}), ok)
	case celast.CallKind:
		c := e.AsCall()
		if c.FunctionName() != operators.Index {
			break
		}
		if k, isText := literal(c.Args()[1]).(types.String); isText {
			root, keys, ok = path(c.Args()[0], named)
			return settle(root, slices.Concat(keys, []string{string(k)}), ok)
		}
	}
	return "", nil, false
}

// settle makes fields.name's root the field name.
func settle(root string, keys []string, ok bool) (string, []string, bool) {
	if ok && root == "" {
		return keys[0], keys[1:], true
	}
	return root, keys, ok
}
