package review

// maxJSONDepth is encoding/json's limit on nesting, kept so that validJSON
// accepts exactly what json.Valid accepts.
const maxJSONDepth = 10000

// validJSON reports whether doc is one JSON value, as json.Valid does, in
// a fraction of its time: every webhook body (20 KB and more) is checked at
// the door while its sender waits, and json.Valid's byte-at-a-time state
// machine was most of the receiver's CPU. Like json.Valid it does not
// check UTF-8.
func validJSON(doc []byte) bool {
	i, ok := validValue(doc, skipSpace(doc, 0), 0)
	return ok && skipSpace(doc, i) == len(doc)
}

// validValue checks the value at doc[i] and returns the index past it.
func validValue(doc []byte, i, depth int) (int, bool) {
	if i >= len(doc) {
		return i, false
	}
	switch c := doc[i]; {
	case c == '"':
		return validString(doc, i)
	case c == '{' || c == '[':
		if depth++; depth > maxJSONDepth {
			return i, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipSpace(doc, i+1)
		if i < len(doc) && doc[i] == end {
			return i + 1, true
		}
		for {
			if end == '}' {
				var ok bool
				if i >= len(doc) || doc[i] != '"' {
					return i, false
				}
				if i, ok = validString(doc, i); !ok {
					return i, false
				}
				if i = skipSpace(doc, i); i >= len(doc) || doc[i] != ':' {
					return i, false
				}
				i = skipSpace(doc, i+1)
			}
			var ok bool
			if i, ok = validValue(doc, i, depth); !ok {
				return i, false
			}
			if i = skipSpace(doc, i); i >= len(doc) {
				return i, false
			}
			switch doc[i] {
			case ',':
				i = skipSpace(doc, i+1)
			case end:
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(doc, i)
	case c == 't':
		return validWord(doc, i, "true")
	case c == 'f':
		return validWord(doc, i, "false")
	case c == 'n':
		return validWord(doc, i, "null")
	}
	return i, false
}

// validString checks the string starting at doc[i] (a quote).
func validString(doc []byte, i int) (int, bool) {
	for i++; i < len(doc); i++ {
		switch c := doc[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i++; i >= len(doc) {
				return i, false
			}
			switch doc[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(doc) {
					return i, false
				}
				for _, h := range doc[i+1 : i+5] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		}
	}
	return i, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validNumber checks the number starting at doc[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(doc []byte, i int) (int, bool) {
	if doc[i] == '-' {
		i++
	}
	switch {
	case i < len(doc) && doc[i] == '0':
		i++
	case i < len(doc) && doc[i] >= '1' && doc[i] <= '9':
		i = digits(doc, i)
	default:
		return i, false
	}
	if i < len(doc) && doc[i] == '.' {
		if j := digits(doc, i+1); j > i+1 {
			i = j
		} else {
			return j, false
		}
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := digits(doc, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(doc []byte, i int) int {
	for i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
		i++
	}
	return i
}

func validWord(doc []byte, i int, word string) (int, bool) {
	if len(doc)-i < len(word) || string(doc[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}
