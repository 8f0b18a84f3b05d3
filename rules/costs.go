package rules

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// MaxText bounds the text a rule builds with replace, join, format or
// split, checked before it is built: each can make a text many times the
// size of its operands in one step of cost (a text replaced into itself is
// its size squared). Invoice fields are a few hundred bytes.
const MaxText = 1 << 20

// sizes costs the calls CEL counts as one step whatever their operands,
// by their operands' and result's size: + of texts typed dyn (every field
// is), and arithmetic and comparison of decimals, ours. Other calls keep
// CEL's own costs (nil).
type sizes struct{}

func (sizes) CallCost(function, _ string, args []ref.Val, result ref.Val) *uint64 {
	switch function {
	case "_+_", "_-_", "_*_", "_/_", "-_", "_<_", "_<=_", "_>_", "_>=_", "sum", "decimal", "string":
	default:
		return nil
	}
	n := size(result)
	for _, a := range args {
		n += size(a)
	}
	if n == 0 {
		return nil
	}
	n++
	return &n
}

// size is a value's weight in cost units: text a unit per ten bytes
// (CEL's own factor for reading text), a decimal a unit per 64 bits.
func size(v ref.Val) uint64 {
	switch v := v.(type) {
	case types.String:
		return uint64(len(v)) / 10
	case decimal:
		return uint64(v.bits()) / 64
	}
	return 0
}

// textBounds say, before a call of CEL's string extensions, how large the
// text it would build is (a list of pieces by their count, each weighing
// about 32 bytes), by overload.
var textBounds = map[string]func(args []ref.Val) int{
	"string_replace_string_string":     replaced,
	"string_replace_string_string_int": replaced,
	"list_join":                        joined,
	"list_join_string":                 joined,
	"string_format":                    formatted,
	"string_split_string":              pieces,
	"string_split_string_int":          pieces,
}

// boundedStrings redeclares the string extensions that multiply text so
// that each stops the rule, before the work, when what it would build
// passes MaxText; the rest are CEL's, costed by size already.
func boundedStrings() []cel.EnvOption {
	base, err := cel.NewEnv(ext.Strings())
	if err != nil {
		panic(fmt.Sprintf("rules: CEL's string extensions: %v", err)) // fixed by the module version
	}
	var opts []cel.EnvOption
	for name, fn := range base.Functions() {
		impls, err := fn.Bindings()
		if err != nil {
			panic(fmt.Sprintf("rules: CEL's %s: %v", name, err))
		}
		byID := map[string]*functions.Overload{}
		for _, b := range impls {
			byID[b.Operator] = b
		}
		var overloads []cel.FunctionOpt
		for _, o := range fn.OverloadDecls() {
			bound, ok := textBounds[o.ID()]
			if !ok {
				continue
			}
			impl := byID[o.ID()]
			call := func(args ...ref.Val) ref.Val {
				if n := bound(args); n > MaxText {
					panic(interpreter.EvalCancelledError{Cause: interpreter.CostLimitExceeded,
						Message: fmt.Sprintf("a text it builds with %s would be %d bytes, beyond %d", name, n, MaxText)})
				}
				switch {
				case len(args) == 1 && impl.Unary != nil:
					return impl.Unary(args[0])
				case len(args) == 2 && impl.Binary != nil:
					return impl.Binary(args[0], args[1])
				}
				return impl.Function(args...)
			}
			decl := cel.Overload
			if o.IsMemberFunction() {
				decl = cel.MemberOverload
			}
			overloads = append(overloads, decl(o.ID(), o.ArgTypes(), o.ResultType(), cel.FunctionBinding(call)))
		}
		if overloads != nil {
			opts = append(opts, cel.Function(name, overloads...))
		}
	}
	return opts
}

// text reads a string argument; "" for anything else (the call then
// answers its own error).
func text(v ref.Val) string {
	s, _ := v.(types.String)
	return string(s)
}

// replaced bounds s.replace(old, new[, n]).
func replaced(args []ref.Val) int {
	s, old, repl := text(args[0]), text(args[1]), text(args[2])
	n := utf8.RuneCountInString(s) + 1
	if old != "" {
		n = strings.Count(s, old)
	}
	if len(args) == 4 {
		if k, ok := args[3].(types.Int); ok && k >= 0 && int(k) < n {
			n = int(k)
		}
	}
	return len(s) + n*max(len(repl)-len(old), 0)
}

// joined bounds list.join([sep]).
func joined(args []ref.Val) int {
	sep := 0
	if len(args) == 2 {
		sep = len(text(args[1]))
	}
	n := 0
	if l, ok := args[0].(traits.Lister); ok {
		for it := l.Iterator(); it.HasNext() == types.True && n <= MaxText; {
			n += len(text(it.Next())) + sep
		}
	}
	return n
}

// formatted bounds format.format(args): each verb writes at most every
// argument's text.
func formatted(args []ref.Val) int {
	verbs := strings.Count(text(args[0]), "%")
	return len(text(args[0])) + verbs*min(textSize(args[1], MaxText), MaxText)
}

// textSize is about how long v is written as text, counted up to limit.
func textSize(v ref.Val, limit int) int {
	switch v := v.(type) {
	case types.String:
		return len(v)
	case decimal:
		return v.bits()/3 + 2
	case traits.Lister:
		n := 2
		for it := v.Iterator(); it.HasNext() == types.True && n <= limit; {
			n += textSize(it.Next(), limit-n) + 2
		}
		return n
	case traits.Mapper:
		n := 2
		for it := v.Iterator(); it.HasNext() == types.True && n <= limit; {
			k := it.Next()
			n += textSize(k, limit-n) + textSize(v.Get(k), limit-n) + 4
		}
		return n
	}
	return 32
}

// pieces bounds s.split(sep[, n]), by its pieces.
func pieces(args []ref.Val) int {
	s, sep := text(args[0]), text(args[1])
	n := utf8.RuneCountInString(s)
	if sep != "" {
		n = strings.Count(s, sep) + 1
	}
	if len(args) == 3 {
		if k, ok := args[2].(types.Int); ok && k >= 0 && int(k) < n {
			n = int(k)
		}
	}
	return 32 * n
}
