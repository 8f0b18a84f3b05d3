package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Ways a value can be changed, recorded in the audit trail.
const (
	HowTyped   = "typed"
	HowClicked = "clicked text"
	HowDrawn   = "drawn box"
	HowReset   = "reset"
)

// Edit is one change a reviewer made to one field.
type Edit struct {
	OutputID string
	Path     string
	Value    json.RawMessage // the new value, valid for the field's type
	Refs     []Ref           // a re-pointed reference; nil leaves the model's
	How      string
}

// KeyPath is the path of key inside parent ("" for a root field), in
// Extend's metadata-key syntax: parent.key, or parent["key"] (a JSON string)
// for a key holding ".", "[", "]", a quote or a backslash, which the dotted
// form cannot carry: unit.price as a key is ["unit.price"].
func KeyPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, `.[]"\`) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// PathSegments splits a metadata path (line_items[0].description,
// ["unit.price"]) into the keys and indexes Splice walks: ["line_items",
// "0", "description"]. Indexes are digits in brackets; a key is a dotted
// name or a JSON string in brackets.
func PathSegments(path string) ([]string, error) {
	bad := func(why string) error { return Errorf(EINVALID, "path %q %s", path, why) }
	var segs []string
	for i := 0; i < len(path); {
		switch {
		case path[i] == '[' && i+1 < len(path) && path[i+1] == '"':
			q, err := strconv.QuotedPrefix(path[i+1:])
			if err != nil || !strings.HasPrefix(path[i+1+len(q):], "]") {
				return nil, bad("has a bad quoted key")
			}
			key, _ := strconv.Unquote(q)
			segs = append(segs, key)
			i += 1 + len(q) + 1
		case path[i] == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, bad("has a bad index")
			}
			idx := path[i+1 : i+end]
			if _, err := strconv.Atoi(idx); err != nil || len(segs) == 0 {
				return nil, bad("has a bad index")
			}
			segs = append(segs, idx)
			i += end + 1
		default:
			if path[i] == '.' {
				if len(segs) == 0 {
					return nil, bad("starts with a dot")
				}
				i++
			} else if len(segs) > 0 {
				return nil, bad("is malformed")
			}
			end := strings.IndexAny(path[i:], ".[")
			if end < 0 {
				end = len(path) - i
			}
			if end == 0 {
				return nil, bad("has an empty key")
			}
			segs = append(segs, path[i:i+end])
			i += end
		}
	}
	if len(segs) == 0 {
		return nil, Errorf(EINVALID, "empty path")
	}
	return segs, nil
}

// Currencies are the ISO 4217 codes offered in the currency editor, the
// most used first. Any three-letter code is accepted.
var Currencies = []string{"USD", "EUR", "GBP", "JPY", "CNY", "CAD", "AUD", "CHF", "HKD", "SGD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "INR", "MYR", "IDR", "THB", "PHP", "VND", "KRW", "TWD", "NZD", "ZAR", "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "TRY", "ILS", "AED", "SAR", "QAR", "KWD", "EGP", "NGN", "KES", "RUB", "UAH", "RON", "BGN", "ISK"}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func hasOption(opts []EnumOption, v *string) bool {
	for _, o := range opts {
		if (o.Value == nil && v == nil) || (o.Value != nil && v != nil && *o.Value == *v) {
			return true
		}
	}
	return false
}

// ParseNumber reads a number as a person types it ("1,234.50", "-3",
// "1 234,50" with a decimal comma) and returns it exactly, as JSON.
func ParseNumber(typed string) (json.Number, error) {
	s := strings.TrimSpace(strings.NewReplacer(" ", "", "\u00a0", "", "'", "").Replace(typed))
	s = strings.TrimLeft(s, "$€£¥")
	if c, d := strings.LastIndex(s, ","), strings.LastIndex(s, "."); c > d && (d >= 0 || len(s)-c-1 != 3) {
		// 1.234,50 or 3,5: the comma is the decimal mark.
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	} else {
		s = strings.ReplaceAll(s, ",", "")
	}
	if numberBeyond(s) { // read before, a million digits take seconds
		return "", Errorf(EINVALID, "%s is not a number an invoice holds: write it with %s.", shortNumber(s), numberBounds)
	}
	if _, ok := new(big.Float).SetString(s); !ok || s == "" || strings.ContainsAny(s, "eE_xXpP") || strings.HasPrefix(s, "+") {
		return "", Errorf(EINVALID, "%q is not a number", strings.TrimSpace(typed)) // as typed, not as read
	}
	if !json.Valid([]byte(s)) { // "1." or ".5"
		f, _ := new(big.Float).SetString(s)
		s = f.Text('f', -1)
	}
	return json.Number(s), nil
}

// DateReading is how a typed date was understood. Alternative is set when
// the text could also mean another day (04/03/2018: 4 March or 3 April).
type DateReading struct {
	ISO         string
	Alternative string
}

var monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	"mai": 5, "okt": 10, "dez": 12, "mär": 3, "janv": 1, "févr": 2, "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12}

var (
	numericDate = regexp.MustCompile(`^(\d{1,4})[./\-\s](\d{1,2})[./\-\s](\d{2,4})$`)
	wordDate    = regexp.MustCompile(`^(\d{1,2})\.?\s*([[:alpha:]éûä]+)\.?,?\s*(\d{2,4})$|^([[:alpha:]éûä]+)\.?\s+(\d{1,2}),?\s*(\d{2,4})$`)
)

// ParseDate understands the common ways a date is written: 2018-03-04,
// 04/03/2018, 4.3.18, 20180304, 4 Mar 2018, March 4, 2018, 7. Mai 2014.
// Day-first is assumed for numeric dates (as on most documents outside the
// US); when month-first would also be a valid day, it is given as the
// Alternative so the reviewer sees the ambiguity.
func ParseDate(typed string) (DateReading, error) {
	s := strings.ToLower(strings.TrimSpace(typed))
	bad := Errorf(EINVALID, "%q is not a date this reader understands; write it YYYY-MM-DD", strings.TrimSpace(typed))
	if len(s) == 8 && isDigits(s) {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	mk := func(y, m, d int) (string, bool) {
		if y < 100 {
			y += 2000
			if y > time.Now().Year()+20 {
				y -= 100
			}
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if m < 1 || m > 12 || t.Day() != d || t.Month() != time.Month(m) {
			return "", false
		}
		return t.Format(time.DateOnly), true
	}
	if m := numericDate.FindStringSubmatch(s); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		if len(m[1]) == 4 { // year first
			if iso, ok := mk(a, b, c); ok {
				return DateReading{ISO: iso}, nil
			}
			return DateReading{}, bad
		}
		dayFirst, okD := mk(c, b, a)
		monthFirst, okM := mk(c, a, b)
		switch {
		case okD && okM && dayFirst != monthFirst:
			return DateReading{ISO: dayFirst, Alternative: monthFirst}, nil
		case okD:
			return DateReading{ISO: dayFirst}, nil
		case okM:
			return DateReading{ISO: monthFirst}, nil
		}
		return DateReading{}, bad
	}
	if m := wordDate.FindStringSubmatch(s); m != nil {
		day, month, year := m[1], m[2], m[3]
		if m[4] != "" {
			month, day, year = m[4], m[5], m[6]
		}
		mon := 0
		for name, n := range monthNames {
			if strings.HasPrefix(month, name) && len(name) >= 3 {
				mon = n
			}
		}
		d, _ := strconv.Atoi(day)
		y, _ := strconv.Atoi(year)
		if iso, ok := mk(y, mon, d); ok {
			return DateReading{ISO: iso}, nil
		}
	}
	return DateReading{}, bad
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Text is how a value reads on screen: text without quotes, numbers as
// sent, an amount with its currency, other values as compact JSON.
func Text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if m, ok := ReadMoney(raw); ok && m.Code != "" {
		return m.String()
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// Money is a currency field's value in Extend's shape: an amount, written
// exactly as sent (never through a float), and its ISO 4217 code.
type Money struct {
	Amount json.Number `json:"amount"`
	Code   string      `json:"iso_4217_currency_code"`
}

// ReadMoney reads a currency value; ok is false when raw is not one.
func ReadMoney(raw json.RawMessage) (m Money, ok bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return Money{}, false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil || m.Amount == "" && m.Code == "" {
		return Money{}, false
	}
	return m, true
}

// JSON is the value as Extend writes it.
func (m Money) JSON() json.RawMessage {
	amount := string(m.Amount)
	if amount == "" {
		amount = "null"
	}
	return json.RawMessage(`{"amount":` + amount + `,"iso_4217_currency_code":` + string(jsonOf(m.Code)) + `}`)
}

// String is how the value reads on screen: "4.11 USD".
func (m Money) String() string { return fmt.Sprintf("%s %s", m.Amount, m.Code) }
