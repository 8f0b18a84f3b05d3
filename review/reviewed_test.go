package review_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

func at(t *testing.T, doc json.RawMessage, path ...string) string {
	t.Helper()
	v, ok := review.At(doc, path)
	if !ok {
		t.Fatalf("nothing at %v", path)
	}
	return review.Text(v)
}

func raw(t *testing.T, doc json.RawMessage, path ...string) string {
	t.Helper()
	v, ok := review.At(doc, path)
	if !ok {
		t.Fatalf("nothing at %v", path)
	}
	return string(v)
}

func check(t *testing.T, run *review.Run, e review.Edit) review.Edit {
	t.Helper()
	for _, o := range run.Outputs {
		if o.ID != e.OutputID {
			continue
		}
		if f, ok := o.Field(e.Path); ok {
			v, err := review.CheckValue(*f, e.Value)
			if err != nil {
				t.Fatalf("CheckValue(%s, %s): %v", e.Path, e.Value, err)
			}
			e.Value = v
		}
	}
	return e
}

var noSizes = func(string, int) review.PageSize { return review.PageSize{Width: 612, Height: 792} }

// TestReviewed2026Schema edits every field type of a JSON Schema extraction
// (API 2026-02-09), approves, and checks the reviewed run: changed values
// exactly as typed, everything else byte for byte as it came.
func TestReviewed2026Schema(t *testing.T) {
	orig := demoRun(t, "aws_2026.json")
	run, err := review.DecodeRun(orig)
	if err != nil {
		t.Fatal(err)
	}
	const ex = "exr_demo_aws"
	edits := []review.Edit{
		{OutputID: ex, Path: "invoice_number", Value: json.RawMessage(`"42183018"`), How: review.HowTyped},
		{OutputID: ex, Path: "invoice_date", Value: json.RawMessage(`"2014-08-04"`), How: review.HowTyped},
		{OutputID: ex, Path: "total", Value: json.RawMessage(`{"amount":4.110000000000000001,"iso_4217_currency_code":"EUR"}`), How: review.HowTyped},
		{OutputID: ex, Path: "tax_included", Value: json.RawMessage(`true`), How: review.HowTyped},
		{OutputID: ex, Path: "billing_period", Value: json.RawMessage(`null`), How: review.HowTyped},
		{OutputID: ex, Path: "approver_signature", Value: json.RawMessage(`{"printed_name":"A. Jeff","signature_date":"2014-08-05","is_signed":true,"title_or_role":"CFO"}`), How: review.HowTyped},
		{OutputID: ex, Path: "line_items[1].amount", Value: json.RawMessage(`1.870`), How: review.HowTyped},
		{OutputID: ex, Path: "purchase_order", Value: json.RawMessage(`"PO <b>7</b> & co"`), How: review.HowClicked},
		{OutputID: ex, Path: "bill_to.address", Value: json.RawMessage(`"93B Sai Yu Chung"`), How: review.HowDrawn,
			Refs: []review.Ref{{Kind: review.RefManual, FileID: "file_demo_aws", Page: 1, HasBox: true, Rect: review.Rect{Left: 0.1, Top: 0.2, Right: 0.3, Bottom: 0.25}, Text: "93B Sai Yu Chung"}}},
		{OutputID: "clr_demo_aws", Path: review.PathClass, Value: json.RawMessage(`{"id":"cls_receipt","type":"receipt","confidence":0.97}`), How: review.HowTyped},
	}
	for i := range edits {
		edits[i] = check(t, run, edits[i])
	}
	when := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	out, err := run.Reviewed(edits, review.Decision{Approved: true, By: "ana@example.com", At: when}, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	exr := []string{"stepRuns", "1", "result", "extractRun"}
	p := func(rest ...string) []string { return append(append([]string{}, exr...), rest...) }
	want := map[string]string{
		"invoice_number":           `"42183018"`,
		"invoice_date":             `"2014-08-04"`,
		"total":                    `{"amount":4.110000000000000001,"iso_4217_currency_code":"EUR"}`,
		"tax_included":             `true`,
		"billing_period":           `null`,
		"approver_signature":       `{"printed_name":"A. Jeff","signature_date":"2014-08-05","is_signed":true,"title_or_role":"CFO"}`,
		"purchase_order":           `"PO <b>7</b> & co"`,
		"account_number":           `"296664039561"`,
		"line_items.1.amount":      `1.870`,
		"line_items.0.amount":      `0.01`,
		"line_items.1.description": `"Amazon Elastic Compute Cloud"`,
	}
	for path, v := range want {
		for _, key := range []string{"reviewedOutput", "output"} {
			if got := raw(t, out, p(append([]string{key, "value"}, strings.Split(path, ".")...)...)...); got != v {
				t.Errorf("%s.value.%s = %s, want %s", key, path, got, v)
			}
		}
	}
	if got := raw(t, out, p("initialOutput")...); got != raw(t, orig, p("output")...) {
		t.Errorf("initialOutput is not the model's output")
	}
	if at(t, out, p("reviewed")...) != "true" || at(t, out, p("edited")...) != "true" {
		t.Errorf("reviewed/edited not set")
	}
	var edited map[string]review.FieldEdit
	json.Unmarshal([]byte(raw(t, out, p("edits")...)), &edited)
	if len(edited) != 9 || string(edited["invoice_number"].OriginalValue) != `"42183017"` || string(edited["invoice_number"].EditedValue) != `"42183018"` {
		t.Errorf("edits = %v", edited)
	}
	// The re-pointed reference, as a 2026 citation in points of the page.
	cit := raw(t, out, p("output", "metadata", "bill_to.address", "citations")...)
	if !strings.Contains(cit, `"page":{"height":792,"number":1,"width":612}`) || !strings.Contains(cit, `{"x":61.2,"y":158.4}`) {
		t.Errorf("citation = %s", cit)
	}
	// Untouched: other steps and other fields' metadata, byte for byte.
	for _, path := range [][]string{{"stepRuns", "0"}, p("output", "metadata", "invoice_number"), p("config"), {"files"}, {"workflow"}} {
		if raw(t, out, path...) != raw(t, orig, path...) {
			t.Errorf("%v changed", path)
		}
	}
	cls := []string{"stepRuns", "2", "result", "classifyRun"}
	if got := at(t, out, append(cls, "reviewedOutput", "type")...); got != "receipt" {
		t.Errorf("class = %s", got)
	}
	if _, ok := review.At(out, append(cls, "edits")); ok {
		t.Errorf("a classification has no edits map in Extend's shape")
	}
	for path, v := range map[string]string{"status": `"PROCESSED"`, "reviewed": "true", "reviewedByUser": `"ana@example.com"`, "reviewedAt": `"2026-11-23T10:00:00Z"`, "rejectionNote": "null"} {
		if got := raw(t, out, path); got != v {
			t.Errorf("%s = %s, want %s", path, got, v)
		}
	}
	// The result is a run Extend's readers (and ours) understand.
	again, err := review.DecodeRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := again.Outputs[0].Field("line_items[1].amount"); string(f.Value) != "1.870" {
		t.Errorf("re-read amount = %s", f.Value)
	}
}

// TestReviewed2025FieldMap edits a legacy field map (API 2025-04-21),
// removes a row, re-classifies, corrects a split, and rejects.
func TestReviewed2025FieldMap(t *testing.T) {
	orig := demoRun(t, "qualityhosting_2025.json")
	run, err := review.DecodeRun(orig)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := review.At(orig, []string{"outputs", "0", "output", "line_items", "value"})
	var rows []json.RawMessage
	json.Unmarshal(items, &rows)
	fewer, _ := json.Marshal(rows[:6])
	const ex = "dpr_demo_qh_extract"
	edits := []review.Edit{
		{OutputID: ex, Path: "line_items", Value: fewer, How: review.HowTyped},
		{OutputID: ex, Path: "line_items[0].amount", Value: json.RawMessage(`3.90`), How: review.HowTyped},
		{OutputID: ex, Path: "customer_number", Value: json.RawMessage(`47775`), How: review.HowTyped},
		{OutputID: ex, Path: "payment_method", Value: json.RawMessage(`"CARD"`), How: review.HowTyped},
		{OutputID: ex, Path: "notes", Value: json.RawMessage(`"check VAT"`), How: review.HowTyped},
		{OutputID: ex, Path: "vendor.name", Value: json.RawMessage(`"QualityHosting AG (DE)"`), How: review.HowTyped},
		{OutputID: ex, Path: "invoice_date", Value: json.RawMessage(`"2014-05-07"`), How: review.HowReset},
		{OutputID: "dpr_demo_qh_split", Path: review.PathSplits, Value: json.RawMessage(`[{"type":"invoice","identifier":"30064443","startPage":1,"endPage":1},{"type":"terms","identifier":"","startPage":2,"endPage":2}]`), How: review.HowTyped},
	}
	for i := range edits {
		edits[i] = check(t, run, edits[i])
	}
	out, err := run.Reviewed(edits, review.Decision{Approved: false, Note: "Wrong customer <script>", By: "bo@example.com", At: time.Unix(1_800_000_000, 0)}, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	o := []string{"outputs", "0", "reviewedOutput"}
	get := func(rest ...string) string { return raw(t, out, append(append([]string{}, o...), rest...)...) }
	if n := strings.Count(get("line_items", "value"), `"description"`); n != 6 {
		t.Errorf("rows = %d, want 6", n)
	}
	if got := get("line_items", "value", "0", "amount"); got != "3.90" {
		t.Errorf("row 0 amount = %s", got)
	}
	if got := get("customer_number", "value"); got != "47775" {
		t.Errorf("customer_number = %s", got)
	}
	if got := get("customer_number", "confidence"); got != "0.95" {
		t.Errorf("the model's confidence must stay: %s", got)
	}
	if got := get("vendor", "value", "name"); got != `"QualityHosting AG (DE)"` {
		t.Errorf("vendor.name = %s", got)
	}
	if got := get("invoice_number"); got != raw(t, orig, "outputs", "0", "output", "invoice_number") {
		t.Errorf("untouched field changed: %s", got)
	}
	var edited map[string]review.FieldEdit
	json.Unmarshal([]byte(raw(t, out, "outputs", "0", "edits")), &edited)
	if _, ok := edited["invoice_date"]; ok {
		t.Errorf("a reset to the model's value is not an edit: %v", edited)
	}
	if len(edited) != 6 {
		t.Errorf("edits = %d entries: %v", len(edited), edited)
	}
	if got := raw(t, out, "outputs", "2", "reviewedOutput", "subDocuments", "1", "type"); got != `"terms"` {
		t.Errorf("split = %s", got)
	}
	if at(t, out, "outputs", "1", "edited") != "false" || at(t, out, "outputs", "1", "reviewed") != "true" {
		t.Errorf("an unedited output is reviewed, not edited")
	}
	for path, v := range map[string]string{"status": "REJECTED", "reviewedBy": "bo@example.com", "rejectionNote": "Wrong customer <script>"} {
		if got := at(t, out, path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
	if _, ok := review.At(out, []string{"reviewedByUser"}); ok {
		t.Errorf("2025-04-21 names the reviewer reviewedBy, not reviewedByUser")
	}
}

func TestCheckValue(t *testing.T) {
	opt := func(s string) *string { return &s }
	tests := []struct {
		typ   review.FieldType
		value string
		ok    bool
	}{
		{review.TypeString, `"x"`, true},
		{review.TypeString, `5`, false},
		{review.TypeNumber, `123456789012345678901234567890.5`, true},
		{review.TypeNumber, `"12"`, false},
		{review.TypeDate, `"2018-03-04"`, true},
		{review.TypeDate, `"2018-02-30"`, false},
		{review.TypeDate, `"04/03/2018"`, false},
		{review.TypeBoolean, `false`, true},
		{review.TypeBoolean, `"yes"`, false},
		{review.TypeEnum, `"A"`, true},
		{review.TypeEnum, `"Z"`, false},
		{review.TypeCurrency, `{"amount":1.5,"iso_4217_currency_code":"EUR"}`, true},
		{review.TypeCurrency, `{"amount":1.5,"iso_4217_currency_code":"euro"}`, false},
		{review.TypeSignature, `{"is_signed":true,"printed_name":"A","title_or_role":"B","signature_date":"2020-01-01"}`, true},
		{review.TypeSignature, `{"is_signed":"yes"}`, false},
		{review.TypeNumber, `null`, true},
		{review.TypeString, `{`, false},
	}
	for _, tt := range tests {
		f := review.Field{Path: "f", Type: tt.typ, Enum: []review.EnumOption{{Value: opt("A")}, {Value: nil}}}
		_, err := review.CheckValue(f, json.RawMessage(tt.value))
		if (err == nil) != tt.ok {
			t.Errorf("CheckValue(%s, %s) = %v, want ok=%v", tt.typ, tt.value, err, tt.ok)
		}
	}
	if v, _ := review.CheckValue(review.Field{Type: review.TypeNumber}, json.RawMessage(` 1.50 `)); string(v) != "1.50" {
		t.Errorf("numbers keep their digits: %s", v)
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]string{
		"1,234.50": "1234.50", "1.234,50": "1234.50", "3,5": "3.5", "-12": "-12", "$ 4.11": "4.11",
		"1 234,5": "1234.5", "0.1000000000000000055511151231257827": "0.1000000000000000055511151231257827", "1,234": "1234", "7.": "7", ".5": "0.5",
	} {
		got, err := review.ParseNumber(in)
		if err != nil || string(got) != want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "1e5", "0x10", "1.2.3", "+-1"} {
		if _, err := review.ParseNumber(bad); err == nil {
			t.Errorf("ParseNumber(%q) succeeded", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, iso, alt string }{
		{"2018-03-04", "2018-03-04", ""},
		{"04/03/2018", "2018-03-04", "2018-04-03"},
		{"25/12/2018", "2018-12-25", ""},
		{"12/25/2018", "2018-12-25", ""},
		{"18/03/18", "2018-03-18", ""},
		{"24-01-16", "2016-01-24", ""},
		{"20180304", "2018-03-04", ""},
		{"05 MAR 2018", "2018-03-05", ""},
		{"August 3, 2014", "2014-08-03", ""},
		{"7. Mai 2014", "2014-05-07", ""},
		{"5.5.2018", "2018-05-05", ""},
	}
	for _, tt := range tests {
		got, err := review.ParseDate(tt.in)
		if err != nil || got.ISO != tt.iso || got.Alternative != tt.alt {
			t.Errorf("ParseDate(%q) = %+v, %v; want %s (or %s)", tt.in, got, err, tt.iso, tt.alt)
		}
	}
	for _, bad := range []string{"31/02/2018", "tomorrow", "2018-13-01", "13/13/2013"} {
		if _, err := review.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded", bad)
		}
	}
}

func TestPathSegments(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "line_items[0].description": "line_items/0/description", "a.b.c": "a/b/c", "m[1][2]": "m/1/2"} {
		got, err := review.PathSegments(in)
		if err != nil || strings.Join(got, "/") != want {
			t.Errorf("PathSegments(%q) = %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "[0]", "a[x]", "a[0]b"} {
		if _, err := review.PathSegments(bad); err == nil {
			t.Errorf("PathSegments(%q) succeeded", bad)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1,234.50", "1.234,50", "-3", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := review.ParseNumber(s)
		if err == nil && !json.Valid([]byte(n)) {
			t.Fatalf("ParseNumber(%q) = %q, not a JSON number", s, n)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"04/03/2018", "7. Mai 2014", "20180304"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := review.ParseDate(s)
		if err != nil {
			return
		}
		if _, err := time.Parse(time.DateOnly, d.ISO); err != nil {
			t.Fatalf("ParseDate(%q) = %q, not a date", s, d.ISO)
		}
	})
}

// TestWithEditsRereadsOnlyTheEditedOutputs: the run as edited is the run
// with only its edited outputs read again from the spliced payload. An
// output nobody edited is the run's own (a long run's extraction is not
// decoded a second time to show a changed classification), a step result
// delivered apart from the run stays, and the edited output follows its
// edit.
func TestWithEditsRereadsOnlyTheEditedOutputs(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "aws_2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	step := `{"object":"workflow_step_run","id":"wsr_apart","workflowRunId":"` + run.ID + `","status":"PROCESSED","step":{"name":"second look","type":"EXTRACT"},
		"result":{"extractRun":{"id":"exr_apart","output":{"value":{"po":"7"},"metadata":{}}}}}`
	if err := run.AddStepRun(json.RawMessage(step)); err != nil {
		t.Fatal(err)
	}
	edited, err := run.WithEdits([]review.Edit{{OutputID: "clr_demo_aws", Path: review.PathClass, Value: json.RawMessage(`{"id":"cls_receipt","type":"receipt","confidence":0.97}`)}}, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	if got := edited.Output("clr_demo_aws").Class; got == nil || got.Type != "receipt" {
		t.Fatalf("the edited classification reads %+v", got)
	}
	if run.Output("clr_demo_aws").Class.Type == "receipt" {
		t.Fatal("editing changed the run as it arrived")
	}
	ex, was := edited.Output("exr_demo_aws"), run.Output("exr_demo_aws")
	if len(ex.Fields) == 0 || &ex.Fields[0] != &was.Fields[0] {
		t.Fatal("the extraction nobody edited was decoded again")
	}
	if edited.Output("exr_apart") == nil {
		t.Fatal("the step result delivered apart from the run is gone from the run as edited")
	}
}

// TestLegacyBoxesKeepTheirUnit: a box drawn on a legacy (2025-04-21)
// output whose model boxes are in points is written in points; the output
// never mixes fractions and points.
func TestLegacyBoxesKeepTheirUnit(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "qualityhosting_2025.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := review.Edit{OutputID: "dpr_demo_qh_extract", Path: "total", Value: json.RawMessage(`{"amount":34.73,"iso_4217_currency_code":"EUR"}`), How: review.HowDrawn,
		Refs: []review.Ref{{Kind: review.RefManual, FileID: "file_demo_qh", Page: 2, HasBox: true, Rect: review.Rect{Left: 0.5, Top: 0.25, Right: 0.75, Bottom: 0.5}}}}
	out, err := run.Reviewed([]review.Edit{e}, review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"boundingBoxes":[{"left":306,"top":198,"right":459,"bottom":396}],"fieldName":"total"`) {
		i := strings.Index(string(out), `"fieldName":"total"`)
		t.Fatalf("the drawn box reads %.200s", string(out)[max(i-120, 0):])
	}
}
