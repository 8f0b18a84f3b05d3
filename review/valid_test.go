package review

import (
	"encoding/json"
	"strings"
	"testing"
)

// sampleJSON has every kind of value, escapes and numbers of each form.
const sampleJSON = ` {"a": [1, -0, 0.5, -12.25e+3, 1E-2, 7e9, true, false, null],
	"s": "x\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00 é", "o": {"": {}, "e": [], "n": [[{"k": "v"}]]}} `

// TestValidJSONAgreesWithEncodingJSON: validJSON, which checks every
// webhook body at the door in json.Valid's stead, accepts exactly what
// json.Valid accepts: the cases below, and every document made from the
// sample by deleting, doubling or replacing one byte.
func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	docs := []string{
		"", " ", "{}", "[]", `""`, "0", "-0", "01", "1.", ".5", "-", "1e", "1e+", "1E5", "+1", "0x1",
		"true", "tru", "truex", "nul", "null ", "[1,]", "[,1]", "{,}", `{"a"}`, `{"a":}`, `{"a":1,}`,
		`{"a" 1}`, `{1:2}`, `["a\x"]`, `["\u12"]`, `["\u12G4"]`, `["\u1234"]`, "[\"\x01\"]", "[\"\x7f\xff\"]",
		`"abc`, `"\`, `[1 2]`, "[1]]", "{}{}", "[", "\t[\n1\r]\n",
		strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		sampleJSON,
	}
	bytes := []byte(`{}[]",:0123456789.eE+-\u ntfxa` + "\x00\t\n\xff")
	for i := range len(sampleJSON) {
		docs = append(docs, sampleJSON[:i]+sampleJSON[i+1:], sampleJSON[:i+1]+sampleJSON[i:])
		for _, b := range bytes {
			docs = append(docs, sampleJSON[:i]+string(b)+sampleJSON[i+1:])
		}
	}
	for _, d := range docs {
		if got, want := validJSON([]byte(d)), json.Valid([]byte(d)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", d, got, want)
		}
	}
}

// FuzzValidJSON compares validJSON with json.Valid on any input.
func FuzzValidJSON(f *testing.F) {
	f.Add([]byte(sampleJSON))
	f.Add([]byte(`[1, "a", {"b": null}]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if got, want := validJSON(doc), json.Valid(doc); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", doc, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	doc := []byte(`{"items": [` + strings.Repeat(`{"name": "line item", "amount": -1234.50, "ok": true, "note": "a \"quoted\" word\n"},`, 200) + `null]}`)
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			validJSON(doc)
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			json.Valid(doc)
		}
	})
}
