package review_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// hostile is a list of n amounts each written 1e999999: read exactly, each
// is a 415 KB integer that takes some 29 ms to make.
func hostile(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("1e999999,", n), ",") + "]"
}

// TestNumbersBoundedAtTheDoor: a number an invoice can hold passes; one
// written with more digits or a larger exponent is refused with a sentence
// naming the field, whether typed or sent as a JSON value, alone or deep in
// a list.
func TestNumbersBoundedAtTheDoor(t *testing.T) {
	forty := strings.Repeat("9", 40)
	fine := []string{`0`, `-12.50`, forty, `0.` + strings.Repeat("1", 40), `1e30`, `-2.5E-30`, `1e+030`,
		`{"amount":1234.56,"iso_4217_currency_code":"EUR"}`, `["1e999999"]`}
	for _, v := range fine {
		if _, err := review.CheckValue(review.Field{Path: "x", Type: review.TypeArray}, json.RawMessage(`[`+v+`]`)); err != nil {
			t.Errorf("%.60s was refused: %v", v, err)
		}
	}
	refused := []string{`1e999999`, `1e31`, `1E-31`, forty + `1`, `0.` + strings.Repeat("0", 40) + `1`, `1.` + forty,
		`{"amount":1e999999,"iso_4217_currency_code":"EUR"}`, `[[{"deep":[1e100]}]]`}
	for _, v := range refused {
		_, err := review.CheckValue(review.Field{Path: "line_items", Type: review.TypeArray}, json.RawMessage(`[`+v+`]`))
		if review.ErrorCode(err) != review.EINVALID || !strings.HasPrefix(review.ErrorMessage(err), "line_items: ") ||
			!strings.Contains(review.ErrorMessage(err), "at most 40 digits") {
			t.Errorf("%.60s: %v, want it refused with a sentence naming the field", v, err)
		}
	}
	// The reported attack: 500 such amounts as one edit's JSON value.
	_, err := review.CheckValue(review.Field{Path: "line_items", Type: review.TypeArray}, json.RawMessage(hostile(500)))
	if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "1e999999") {
		t.Fatalf("500 amounts of 1e999999: %v", err)
	}
}

// TestUnreadableNumbersKept: a payload whose list holds 2,000 amounts of
// 1e999999 decodes (nothing acknowledged is lost); that list, its rows and
// the run's own fields that hold no such number are told apart: the former
// are marked unreadable, with a sentence, the latter are not.
func TestUnreadableNumbersKept(t *testing.T) {
	payload := `{"object":"workflow_run","id":"workflow_run_1","status":"NEEDS_REVIEW","stepRuns":[{"object":"workflow_step_run","id":"workflow_step_run_1","status":"PROCESSED",
		"step":{"type":"EXTRACT"},"result":{"extractRun":{"object":"extract_run","id":"exr_1","output":{"value":{"total":{"amount":12.5,"iso_4217_currency_code":"EUR"},
		"line_items":` + hostile(2000) + `,"note":"1e999999"},"metadata":{}}}}}]}`
	run, err := review.DecodeRun(json.RawMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	o := output(t, run, review.OutputExtract)
	for _, path := range []string{"line_items", "line_items[0]", "line_items[1999]"} {
		if f := field(t, o, path); !strings.Contains(f.Unreadable, "1e999999") || !strings.Contains(f.Unreadable, "no rule reads it") {
			t.Errorf("%s is not marked unreadable: %q", path, f.Unreadable)
		}
	}
	for _, path := range []string{"total", "note"} {
		if f := field(t, o, path); f.Unreadable != "" {
			t.Errorf("%s is marked unreadable: %q", path, f.Unreadable)
		}
	}
	if got := string(field(t, o, "line_items[7]").Value); got != "1e999999" {
		t.Errorf("the value is not kept as it came: %s", got)
	}
}

// TestTypedNumbersBounded: a typed number of more digits than an invoice
// holds is refused with the bounds, before it is read (reading a million
// digits takes seconds).
func TestTypedNumbersBounded(t *testing.T) {
	if _, err := review.ParseNumber(strings.Repeat("7", 40)); err != nil {
		t.Fatalf("40 digits: %v", err)
	}
	for _, s := range []string{strings.Repeat("7", 41), "1," + strings.Repeat("7", 1<<16), "0." + strings.Repeat("0", 40) + "1"} {
		_, err := review.ParseNumber(s)
		if review.ErrorCode(err) != review.EINVALID || !strings.Contains(err.Error(), "at most 40 digits") {
			t.Errorf("%.50s…: %v, want it refused with the bounds", s, err)
		}
	}
}
