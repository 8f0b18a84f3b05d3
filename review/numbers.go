package review

import (
	"fmt"
	"strconv"
)

// MaxDigits numberBounds the digits a number is written with, leading zeros of
// its whole part aside: an invoice's largest amount with its cents has some
// 20, and 40 leaves room for an account number sent as a number. Read
// exactly, a number of a million digits takes a rule seconds.
const MaxDigits = 40

// MaxExponent numberBounds the exponent a number is written with (1e30): no
// invoice needs more, and 1e999999, 9 bytes of JSON, is a 415 KB integer
// that takes 29 ms to read exactly. With MaxDigits it keeps every number a
// rule reads below 10^70, and every fraction's denominator too.
const MaxExponent = 30

// numberBeyond reports whether a JSON number's text is written beyond
// MaxDigits or MaxExponent. It reads the text only, never the value, so a
// hostile number costs what its bytes cost.
func numberBeyond[T string | []byte](n T) bool {
	i := 0
	if i < len(n) && n[i] == '-' {
		i++
	}
	for i < len(n) && n[i] == '0' {
		i++
	}
	digits := 0
	for ; i < len(n) && n[i] != 'e' && n[i] != 'E'; i++ {
		if n[i] != '.' {
			digits++
		}
	}
	if digits > MaxDigits {
		return true
	}
	if i == len(n) {
		return false
	}
	i++ // the exponent
	if i < len(n) && (n[i] == '+' || n[i] == '-') {
		i++
	}
	for i < len(n) && n[i] == '0' {
		i++
	}
	exp := n[i:]
	if len(exp) > 2 {
		return true
	}
	e, _ := strconv.Atoi(string(exp))
	return e > MaxExponent
}

// NumberBeyond reports whether s is written as a number beyond MaxDigits or
// MaxExponent: a rule's decimal("…") of such a text is not read either.
func NumberBeyond(s string) bool { return numberBeyond(s) }

// OversizedNumber returns the first number in a JSON value written beyond
// MaxDigits or MaxExponent, shortened to be quoted, reading only the text:
// numbers inside strings are text and do not count.
func OversizedNumber(raw []byte) (string, bool) {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(raw) && (raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E' || raw[j] == '+' || raw[j] == '-' || '0' <= raw[j] && raw[j] <= '9') {
				j++
			}
			if n := raw[i:j]; numberBeyond(n) {
				return shortNumber(n), true
			}
			i = j - 1
		}
	}
	return "", false
}

// shortNumber is a number to be quoted in a sentence, its beginning when
// it is long.
func shortNumber[T string | []byte](n T) string {
	if len(n) > 24 {
		return string(n[:16]) + "…(" + strconv.Itoa(len(n)) + " characters)"
	}
	return string(n)
}

// numberBounds says what a number may be, for a sentence.
var numberBounds = fmt.Sprintf("at most %d digits and an exponent of at most %d", MaxDigits, MaxExponent)

// markUnreadable marks the fields holding a number beyond the numberBounds, and
// the fields they are in. Each field's own value is read once, where it has
// no fields below it, so a deep payload costs its length, not its length
// times its depth.
func markUnreadable(fields []Field) []Field {
	var open []int // the fields enclosing the one at hand
	for i := range fields {
		f := &fields[i]
		for len(open) > 0 && fields[open[len(open)-1]].Depth >= f.Depth {
			open = open[:len(open)-1]
		}
		if leaf := i+1 == len(fields) || fields[i+1].Depth <= f.Depth; leaf {
			if n, ok := OversizedNumber(f.Value); ok {
				f.Unreadable = unreadable(f.Path, n)
				for j := len(open) - 1; j >= 0 && fields[open[j]].Unreadable == ""; j-- {
					fields[open[j]].Unreadable = unreadable(fields[open[j]].Path, n)
				}
			}
		}
		open = append(open, i)
	}
	return fields
}

func unreadable(path, n string) string {
	return fmt.Sprintf("%s holds %s, which is not a number an invoice holds (%s): it is shown as it came, and no rule reads it until it is corrected.", path, n, numberBounds)
}
