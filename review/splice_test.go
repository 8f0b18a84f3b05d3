package review_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

func TestSplice(t *testing.T) {
	doc := `{"id":"r1", "outputs":[{"id":"dpr_1","output":{"a":1.50}},{"id":"dpr_2","n":1e2}], "z":null}`
	tests := []struct {
		name  string
		path  []string
		value string
		want  string
	}{
		{"replace nested", []string{"outputs", "0", "output"}, `{"a":2}`,
			`{"id":"r1", "outputs":[{"id":"dpr_1","output":{"a":2}},{"id":"dpr_2","n":1e2}], "z":null}`},
		{"add a missing key", []string{"outputs", "1", "reviewedOutput"}, `{"b":true}`,
			`{"id":"r1", "outputs":[{"id":"dpr_1","output":{"a":1.50}},{"id":"dpr_2","n":1e2,"reviewedOutput":{"b":true}}], "z":null}`},
		{"replace top level", []string{"z"}, `"<x>"`,
			`{"id":"r1", "outputs":[{"id":"dpr_1","output":{"a":1.50}},{"id":"dpr_2","n":1e2}], "z":"<x>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := review.Splice(json.RawMessage(doc), tt.path, json.RawMessage(tt.value))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if at, ok := review.At(got, tt.path); !ok || string(at) != tt.value {
				t.Fatalf("At = %s %v", at, ok)
			}
		})
	}
	if _, err := review.Splice(json.RawMessage(`{"a":{}}`), []string{"a"}, json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := review.Splice(json.RawMessage(`{"a":{ }}`), []string{"a", "b"}, json.RawMessage(`1`)); string(got) != `{"a":{ "b":1}}` {
		t.Fatalf("into empty object: %s", got)
	}
	for _, bad := range [][]string{{"outputs", "9", "x"}, {"missing", "x"}, {"id", "x"}, {"outputs", "x"}} {
		if _, err := review.Splice(json.RawMessage(doc), bad, json.RawMessage(`1`)); err == nil {
			t.Errorf("Splice(%v) succeeded", bad)
		}
	}
}

// TestAtFindsEveryValue: the byte scanner finds, at every path of a real
// run (escaped keys and strings, numbers, nested lists), the value that
// decoding the run gives there.
func TestAtFindsEveryValue(t *testing.T) {
	raw, err := os.ReadFile("../demo/runs/aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	// A member with escapes in its key and strings, added at the end.
	body := strings.TrimSuffix(strings.TrimSpace(string(raw)), "}")
	raw = []byte(body + `, "esc\"aped\\key": ["a\"]b", {"x": [1, -2.5e3, true, null]}]}`)
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the test document: %v", err)
	}
	n := 0
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		got, ok := review.At(raw, path)
		var back any
		if !ok || json.Unmarshal(got, &back) != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("At %q = %.80s, %v", path, got, ok)
		}
		n++
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(append(slices.Clone(path), k), c)
			}
		case []any:
			for i, c := range v {
				walk(append(slices.Clone(path), strconv.Itoa(i)), c)
			}
		}
	}
	walk(nil, doc)
	if n < 100 {
		t.Fatalf("only %d values walked", n)
	}
}
