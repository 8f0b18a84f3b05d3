package rules

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/reviewer-app/reviewer/review"
)

// MaxDecimalBits bounds a number a rule computes, numerator and
// denominator together. The numbers a rule reads are below 10^70 (some 470
// bits, review.MaxDigits and review.MaxExponent), so sums and products of
// a few of them stay far below; squaring in a loop doubles a number's size
// at each step for one step of cost, and would reach gigabytes in thirty.
const MaxDecimalBits = 4096

// decimalFunctions are sum(list) and decimal(x).
func decimalFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("sum",
			cel.Overload("sum_list", []*cel.Type{cel.ListType(cel.DynType)}, cel.DynType, cel.UnaryBinding(sum))),
		cel.Function("decimal",
			cel.Overload("decimal_any", []*cel.Type{cel.DynType}, cel.DynType, cel.UnaryBinding(func(v ref.Val) ref.Val {
				if d, ok := toDecimal(v); ok && d.r != nil {
					return d
				}
				return types.NewErr("%v is not a number", v)
			}))),
	}
}

// sum adds a list's numbers exactly; a null or a word in it is an error
// that names its place.
func sum(v ref.Val) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("sum: not a list")
	}
	total := decimal{new(big.Rat)}
	it := l.Iterator()
	for i := 0; it.HasNext() == types.True; i++ {
		d, ok := toDecimal(it.Next())
		if !ok || d.r == nil {
			return types.NewErr("sum: item %d is not a number", i)
		}
		grows(total, d)
		total.r.Add(total.r, d.r)
	}
	return total
}

// parseDecimal reads a number's text exactly, unless it is written beyond
// what an invoice holds: that is never read.
func parseDecimal(s string) (decimal, bool) {
	if len(s) > 2*review.MaxDigits || review.NumberBeyond(s) {
		return decimal{}, false
	}
	r, ok := new(big.Rat).SetString(s)
	return decimal{r}, ok
}

// bits is a decimal's size.
func (d decimal) bits() int { return d.r.Num().BitLen() + d.r.Denom().BitLen() }

// grows stops the rule, before the work, when a result of a and b could
// pass MaxDecimalBits: the result of +, -, * or / is at most their sizes
// together. It panics as CEL's cost limit does; the evaluation recovers.
func grows(a, b decimal) {
	if a.bits()+b.bits() > MaxDecimalBits {
		panic(interpreter.EvalCancelledError{Cause: interpreter.CostLimitExceeded,
			Message: fmt.Sprintf("a number it computes grew beyond %d bits", MaxDecimalBits)})
	}
}

// decimalType is CEL's type for the numbers of a run: every number a field
// holds is exact (a rational, from the number's decimal text), so
// 0.1 + 0.2 == 0.3 holds in a rule, as it does on the invoice.
var decimalType = cel.ObjectType("decimal", traits.AdderType, traits.SubtractorType, traits.MultiplierType,
	traits.DividerType, traits.NegatorType, traits.ComparerType)

// decimal is an exact number in a rule.
type decimal struct{ r *big.Rat }

// toDecimal makes a decimal of a CEL number: an int exactly, a double by the
// shortest decimal text that reads back as it (so the literal 0.1 is one
// tenth), a decimal as it is. ok is false for anything else.
func toDecimal(v ref.Val) (decimal, bool) {
	switch n := v.(type) {
	case decimal:
		return n, true
	case types.Int:
		return decimal{new(big.Rat).SetInt64(int64(n))}, true
	case types.Uint:
		return decimal{new(big.Rat).SetUint64(uint64(n))}, true
	case types.Double:
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(float64(n), 'g', -1, 64))
		return decimal{r}, ok
	case types.String:
		return parseDecimal(string(n))
	}
	return decimal{}, false
}

func (d decimal) other(v ref.Val, op string) (decimal, ref.Val) {
	o, ok := toDecimal(v)
	if !ok || o.r == nil {
		return decimal{}, types.NewErr("%s: a number and a %s", op, v.Type().TypeName())
	}
	return o, nil
}

func (d decimal) Add(v ref.Val) ref.Val {
	o, err := d.other(v, "+")
	if err != nil {
		return err
	}
	grows(d, o)
	return decimal{new(big.Rat).Add(d.r, o.r)}
}

func (d decimal) Subtract(v ref.Val) ref.Val {
	o, err := d.other(v, "-")
	if err != nil {
		return err
	}
	grows(d, o)
	return decimal{new(big.Rat).Sub(d.r, o.r)}
}

func (d decimal) Multiply(v ref.Val) ref.Val {
	o, err := d.other(v, "*")
	if err != nil {
		return err
	}
	grows(d, o)
	return decimal{new(big.Rat).Mul(d.r, o.r)}
}

func (d decimal) Divide(v ref.Val) ref.Val {
	o, err := d.other(v, "/")
	if err != nil {
		return err
	}
	if o.r.Sign() == 0 {
		return types.NewErr("division by zero")
	}
	grows(d, o)
	return decimal{new(big.Rat).Quo(d.r, o.r)}
}

func (d decimal) Negate() ref.Val { return decimal{new(big.Rat).Neg(d.r)} }

func (d decimal) Compare(v ref.Val) ref.Val {
	o, err := d.other(v, "comparison")
	if err != nil {
		return err
	}
	return types.Int(d.r.Cmp(o.r))
}

func (d decimal) Equal(v ref.Val) ref.Val {
	o, ok := toDecimal(v)
	return types.Bool(ok && o.r != nil && d.r.Cmp(o.r) == 0)
}

func (d decimal) ConvertToNative(t reflect.Type) (any, error) {
	switch t.Kind() {
	case reflect.Float64:
		f, _ := d.r.Float64()
		return f, nil
	case reflect.String:
		return d.String(), nil
	}
	return nil, fmt.Errorf("a decimal is not a %v", t)
}

func (d decimal) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.StringType:
		return types.String(d.String())
	case types.DoubleType:
		f, _ := d.r.Float64()
		return types.Double(f)
	case types.TypeType:
		return decimalType
	}
	if t.TypeName() == decimalType.TypeName() {
		return d
	}
	return types.NewErr("a decimal cannot be a %s", t.TypeName())
}

func (d decimal) Type() ref.Type { return decimalType }
func (d decimal) Value() any     { return d.r }

// String writes the number as a person would: exactly when it is a decimal
// fraction, to 10 places otherwise (a third).
func (d decimal) String() string {
	if d.r.IsInt() {
		return d.r.RatString()
	}
	if s, exact := d.r.FloatPrec(); exact {
		return d.r.FloatString(s)
	}
	return d.r.FloatString(10)
}
