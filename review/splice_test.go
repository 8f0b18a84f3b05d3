package review_test

import (
	"encoding/json"
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
