package review_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		typ        review.FieldType
		text, code string
		want, alt  string
		bad        bool
	}{
		{review.TypeNumber, "1.234,56", "", "1234.56", "", false},
		{review.TypeNumber, " 0.10 ", "", "0.10", "", false},
		{review.TypeNumber, "", "", "null", "", false},
		{review.TypeNumber, "twelve", "", "", "", true},
		{review.TypeDate, "2014-08-03", "", `"2014-08-03"`, "", false},
		{review.TypeBoolean, "Yes", "", "true", "", false},
		{review.TypeBoolean, "maybe", "", "", "", true},
		{review.TypeEnum, "MONTHLY", "", `"MONTHLY"`, "", false},
		{review.TypeCurrency, "4,11", "usd", `{"amount":4.11,"iso_4217_currency_code":"USD"}`, "", false},
		{review.TypeString, "  as typed ", "", `"  as typed "`, "", false},
	}
	for _, tt := range tests {
		f := &review.Field{Path: "f", Type: tt.typ}
		got, alt, err := review.ParseText(f, tt.text, tt.code)
		if tt.bad != (err != nil) || !tt.bad && (string(got) != tt.want || alt != tt.alt) {
			t.Errorf("%s %q: %s %q %v, want %s %q bad=%v", tt.typ, tt.text, got, alt, err, tt.want, tt.alt, tt.bad)
		}
	}
	// An ambiguous date says its other reading.
	if _, alt, err := review.ParseText(&review.Field{Type: review.TypeDate}, "03/04/2024", ""); err != nil || alt == "" {
		t.Errorf("03/04/2024: alternative %q, %v", alt, err)
	}
}

func TestEditRows(t *testing.T) {
	list := &review.Field{Path: "rows", Type: review.TypeArray, Value: json.RawMessage(`[{"a":1,"b":2},{"a":3,"b":4}]`)}
	tests := []struct {
		op   string
		i    int
		want string
	}{
		{review.RowAdd, -1, `[{"a":1,"b":2},{"a":3,"b":4},{"a":null,"b":null}]`},
		{review.RowRemove, 0, `[{"a":3,"b":4}]`},
		{review.RowDown, 0, `[{"a":3,"b":4},{"a":1,"b":2}]`},
		{review.RowUp, 1, `[{"a":3,"b":4},{"a":1,"b":2}]`},
		{review.RowUp, 0, ""},
		{review.RowRemove, 2, ""},
		{"sideways", 0, ""},
	}
	for _, tt := range tests {
		got, err := review.EditRows(list, tt.op, tt.i)
		if (tt.want == "") != (err != nil) || tt.want != "" && string(got) != tt.want {
			t.Errorf("%s %d: %s %v, want %s", tt.op, tt.i, got, err, tt.want)
		}
	}
	if _, err := review.EditRows(&review.Field{Type: review.TypeString}, review.RowAdd, 0); err == nil {
		t.Error("rows added to a string")
	}
}

func TestChooseClassAndCheckSplits(t *testing.T) {
	o := &review.Output{Value: json.RawMessage(`{"id":"cls_a","type":"invoice","confidence":0.9}`),
		Classes: []review.ClassOption{{ID: "cls_a", Type: "invoice"}, {ID: "cls_b", Type: "receipt"}}}
	// Another class keeps none of the model's confidence or reasoning; the
	// model's own class is the model's output as it came.
	got, err := review.ChooseClass(o, o.Value, json.RawMessage(`{"id":"cls_b","type":"receipt"}`))
	if err != nil || string(got) != `{"id":"cls_b","type":"receipt"}` {
		t.Errorf("choose: %s %v", got, err)
	}
	if got, err := review.ChooseClass(o, o.Value, json.RawMessage(`{"id":"cls_a","type":"invoice"}`)); err != nil || string(got) != string(o.Value) {
		t.Errorf("back to the model's class: %s %v", got, err)
	}
	if _, err := review.ChooseClass(o, o.Value, json.RawMessage(`{"id":"cls_x","type":"poem"}`)); err == nil {
		t.Error("a class outside the configured ones was accepted")
	}
	for splits, ok := range map[string]bool{
		`[{"type":"invoice","startPage":1,"endPage":2}]`: true,
		`[{"type":"","startPage":1,"endPage":1}]`:        false,
		`[{"type":"a","startPage":2,"endPage":1}]`:       false,
		`[{"type":"a","startPage":1,"endPage":3}]`:       false,
		`{"not":"a list"}`:                               false,
	} {
		if _, err := review.ReviseSplits(o, nil, json.RawMessage(splits), 2); ok != (err == nil) {
			t.Errorf("%s: %v", splits, err)
		}
	}
}

func TestSameValueAndFoldPath(t *testing.T) {
	if !review.SameValue(json.RawMessage(`{"a":1.10,"b":[1]}`), json.RawMessage(`{"b":[1], "a":1.1}`)) {
		t.Error("the same value read as different")
	}
	if review.SameValue(json.RawMessage(`"1"`), json.RawMessage(`1`)) {
		t.Error("a string and a number read as the same")
	}
	if got := review.FoldPath(`line_items[12].amount`); got != "line_items[].amount" {
		t.Errorf("FoldPath = %s", got)
	}
}

func TestRoutingRule(t *testing.T) {
	low := 0.8
	nan := 0.0
	nan = nan / nan
	for _, r := range []review.RoutingRule{{SamplePercent: 101}, {SamplePercent: -1}, {Below: &nan}} {
		if r.Check() == nil {
			t.Errorf("%+v was accepted", r)
		}
	}
	run := func(conf string) *review.Run {
		r, err := review.DecodeRun([]byte(`{"object":"workflow_run","id":"workflow_run_r","status":"PROCESSED","outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"total":{"type":"number","value":1,"confidence":` + conf + `}}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := (review.RoutingRule{Below: &low}).Route(run("0.5"), false); got != review.RoutedLow {
		t.Errorf("low confidence: %s", got)
	}
	if got := (review.RoutingRule{Below: &low}).Route(run("0.95"), false); got != review.RoutedAuto {
		t.Errorf("high confidence: %s", got)
	}
	if got := (review.RoutingRule{SamplePercent: 100}).Route(run("0.95"), false); got != review.RoutedSample {
		t.Errorf("everything sampled: %s", got)
	}
	if got := (review.RoutingRule{FailingRules: true}).Route(run("0.95"), true); got != review.RoutedRules {
		t.Errorf("a failed blocking rule: %s", got)
	}
	if got := (review.RoutingRule{}).Route(run("0.95"), true); got != review.RoutedAuto {
		t.Errorf("a failed rule where the workflow does not route by rules: %s", got)
	}
}

func TestMoney(t *testing.T) {
	m, ok := review.ReadMoney(json.RawMessage(`{"amount": 1234.50, "iso_4217_currency_code": "EUR"}`))
	if !ok || m.Amount != "1234.50" || m.Code != "EUR" || m.String() != "1234.50 EUR" {
		t.Fatalf("read: %+v %v", m, ok)
	}
	if got := string(m.JSON()); got != `{"amount":1234.50,"iso_4217_currency_code":"EUR"}` {
		t.Fatalf("JSON: %s", got)
	}
	for _, raw := range []string{`"1234.50"`, `12`, `{"name":"x"}`, `null`} {
		if _, ok := review.ReadMoney(json.RawMessage(raw)); ok {
			t.Errorf("%s read as money", raw)
		}
	}
	if got := review.Text(json.RawMessage(`{"amount":4.11,"iso_4217_currency_code":"USD"}`)); got != "4.11 USD" {
		t.Errorf("Text = %q", got)
	}
}

// TestRefusalsQuoteWhatWasTyped: a value that cannot be read is quoted as
// the person typed it, not as the reader normalised it.
func TestRefusalsQuoteWhatWasTyped(t *testing.T) {
	for _, c := range []struct {
		f          review.Field
		text, code string
		want       string
	}{
		{review.Field{Path: "total", Type: review.TypeNumber}, "1'2 3a", "", `"1'2 3a" is not a number`},
		{review.Field{Path: "due", Type: review.TypeDate}, "Soon Next Week", "", `"Soon Next Week" is not a date`},
		{review.Field{Path: "total", Type: review.TypeCurrency}, "3.50", "eu", `"eu" is not an ISO 4217 currency code`},
	} {
		_, _, err := review.ParseText(&c.f, c.text, c.code)
		if err == nil || !strings.Contains(review.ErrorMessage(err), c.want) {
			t.Errorf("%q %q: %v, want %s", c.text, c.code, err, c.want)
		}
	}
}

// TestParseTextAsShown: an amount typed as the page shows it, its code
// after it, reads as that amount in that currency; a space inside the
// amount is no code.
func TestParseTextAsShown(t *testing.T) {
	f := &review.Field{Path: "total", Type: review.TypeCurrency}
	for text, want := range map[string]string{
		"4.11 USD":     `{"amount":4.11,"iso_4217_currency_code":"USD"}`,
		"1 234,50 eur": `{"amount":1234.50,"iso_4217_currency_code":"EUR"}`,
		"1 234":        `{"amount":1234,"iso_4217_currency_code":""}`,
	} {
		if got, _, err := review.ParseText(f, text, ""); err != nil || string(got) != want {
			t.Errorf("%q: %s %v, want %s", text, got, err, want)
		}
	}
}
