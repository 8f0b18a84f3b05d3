package review_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

func demoRun(t *testing.T, name string) json.RawMessage {
	t.Helper()
	runs, err := demo.Payloads()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Name == name {
			return r.Payload
		}
	}
	t.Fatalf("no demo run %s", name)
	return nil
}

func output(t *testing.T, r *review.Run, typ review.OutputType) *review.Output {
	t.Helper()
	for i := range r.Outputs {
		if r.Outputs[i].Type == typ {
			return &r.Outputs[i]
		}
	}
	t.Fatalf("run %s has no %s output", r.ID, typ)
	return nil
}

func field(t *testing.T, o *review.Output, path string) *review.Field {
	t.Helper()
	f, ok := o.Field(path)
	if !ok {
		var have []string
		for _, f := range o.Fields {
			have = append(have, f.Path)
		}
		t.Fatalf("no field %s; have %s", path, strings.Join(have, ", "))
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestDecodeRun2026Schema(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "aws_2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.APIVersion != review.Version2026 || run.Status != review.StatusNeedsReview {
		t.Fatalf("version %s status %s", run.APIVersion, run.Status)
	}
	if run.Workflow.ID != "workflow_demo_invoices" || run.Workflow.Version != "3" {
		t.Fatalf("workflow = %+v", run.Workflow)
	}
	if len(run.Files) != 1 || run.Files[0].PageCount != 1 || run.Files[0].Type != "PDF" {
		t.Fatalf("files = %+v", run.Files)
	}
	ex := output(t, run, review.OutputExtract)
	if ex.ID != "exr_demo_aws" || ex.Form != review.FormSchema || ex.Name != "Invoice extractor" {
		t.Fatalf("extract output = %s %s %q", ex.ID, ex.Form, ex.Name)
	}
	if got := strings.Join(ex.Location, "."); got != "stepRuns.1.result.extractRun" {
		t.Fatalf("location = %s", got)
	}
	types := map[string]review.FieldType{
		"invoice_number": review.TypeString, "invoice_date": review.TypeDate, "total": review.TypeCurrency,
		"bill_to": review.TypeObject, "bill_to.name": review.TypeString, "line_items": review.TypeArray,
		"line_items[0]": review.TypeObject, "line_items[3].amount": review.TypeNumber, "tax_included": review.TypeBoolean,
		"billing_period": review.TypeEnum, "approver_signature": review.TypeSignature, "purchase_order": review.TypeString,
	}
	for path, want := range types {
		if f := field(t, ex, path); f.Type != want {
			t.Errorf("%s: type %s, want %s", path, f.Type, want)
		}
	}
	// Schema order, parents before children, depth by nesting.
	if ex.Fields[0].Path != "invoice_number" || field(t, ex, "line_items[2].description").Depth != 2 {
		t.Errorf("order/depth wrong: first %s", ex.Fields[0].Path)
	}
	bp := field(t, ex, "billing_period")
	if len(bp.Enum) != 4 || bp.Enum[3].Value != nil || bp.Enum[0].Description != "Billed every month" || !bp.Nullable {
		t.Errorf("billing_period enum = %+v nullable=%v", bp.Enum, bp.Nullable)
	}
	inv := field(t, ex, "invoice_number")
	if len(inv.Refs) != 1 || inv.Refs[0].Kind != review.RefCitation || inv.Refs[0].Page != 1 || inv.Refs[0].FileID != "file_demo_aws" || inv.Refs[0].Text != "42183017" {
		t.Fatalf("invoice_number refs = %+v", inv.Refs)
	}
	box, ok := inv.Refs[0].Fraction(review.PageSize{Width: 612, Height: 792})
	if !ok || !near(box.Left, 535.4/612) || !near(box.Bottom, 125.4/792) {
		t.Fatalf("invoice_number box = %+v", box)
	}
	addr := field(t, ex, "bill_to.address")
	if len(addr.Refs) != 2 || *addr.Confidence.ReviewAgent != 2 || addr.Insights[0].Type != "issue" {
		t.Errorf("bill_to.address = %+v", addr)
	}
	if c, ok := field(t, ex, "purchase_order").Confidence.Value(); ok {
		t.Errorf("purchase_order confidence = %v, want none", c)
	}
	if low, _ := run.MinConfidence(); !near(low, 0.55) {
		t.Errorf("min confidence = %v, want 0.55", low)
	}
	cl := output(t, run, review.OutputClassify)
	if cl.Class == nil || cl.Class.Type != "invoice" || len(cl.Classes) != 3 {
		t.Errorf("classification = %+v, classes %d", cl.Class, len(cl.Classes))
	}
	if len(run.Parses) != 1 || len(run.Parses[0].Blocks) < 20 || run.Parses[0].FileID != "file_demo_aws" {
		t.Fatalf("parses = %+v", run.Parses)
	}
	b := run.Parses[0].Blocks[0]
	if b.Content != "Amazon Web Services Invoice" || b.Ref.PageWidth != 612 || b.Ref.Page != 1 {
		t.Errorf("first block = %+v", b)
	}
}

func TestDecodeRun2025FieldMap(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "qualityhosting_2025.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.APIVersion != review.Version2025 || run.DashboardURL == "" || run.Workflow.Version != "7" {
		t.Fatalf("run = %s %q %+v", run.APIVersion, run.DashboardURL, run.Workflow)
	}
	ex := output(t, run, review.OutputExtract)
	if ex.Form != review.FormFieldMap || strings.Join(ex.Location, ".") != "outputs.0" || ex.Initial == nil {
		t.Fatalf("extract = %s %v", ex.Form, ex.Location)
	}
	types := map[string]review.FieldType{
		"invoice_number": review.TypeString, "invoice_date": review.TypeDate, "customer_number": review.TypeNumber,
		"total": review.TypeCurrency, "vendor": review.TypeObject, "vendor.name": review.TypeString,
		"line_items": review.TypeArray, "line_items[6]": review.TypeObject, "line_items[6].quantity": review.TypeNumber,
		"payment_method": review.TypeEnum, "is_paid": review.TypeBoolean, "signature": review.TypeSignature, "notes": review.TypeString,
	}
	for path, want := range types {
		if f := field(t, ex, path); f.Type != want {
			t.Errorf("%s: type %s, want %s", path, f.Type, want)
		}
	}
	// Row references (id = row index) belong to the row, not the array.
	if refs := field(t, ex, "line_items").Refs; len(refs) != 0 {
		t.Errorf("line_items has %d refs, want them on rows", len(refs))
	}
	row := field(t, ex, "line_items[6]")
	if len(row.Refs) != 1 || row.Refs[0].Page != 2 || row.Refs[0].Kind != review.RefBox {
		t.Fatalf("line_items[6] refs = %+v", row.Refs)
	}
	box, ok := row.Refs[0].Fraction(review.PageSize{Width: 595.276, Height: 841.89})
	if !ok || !near(box.Top, 374.7/841.89) {
		t.Errorf("row box = %+v", box)
	}
	if f := field(t, ex, "notes"); string(f.Value) != "null" || f.Confidence.Score == nil {
		t.Errorf("notes = %s %+v", f.Value, f.Confidence)
	}
	if pm := field(t, ex, "payment_method"); len(pm.Enum) != 3 || *pm.Enum[0].Value != "BANK_TRANSFER" {
		t.Errorf("payment_method enum = %+v", pm.Enum)
	}
	sp := output(t, run, review.OutputSplitter)
	if len(sp.Splits) != 1 || sp.Splits[0].StartPage != 1 || sp.Splits[0].EndPage != 2 || sp.Splits[0].Identifier != "30064443" {
		t.Errorf("splits = %+v", sp.Splits)
	}
	if cl := output(t, run, review.OutputClassify); cl.Class.ID != "classification2" || len(cl.Classes) != 3 {
		t.Errorf("classify = %+v", cl.Class)
	}
}

// TestDecodeSeedShapes decodes the processor-run shapes of seed 003 (the
// 2025-04-21 docs' own examples) inside a run.
func TestDecodeSeedShapes(t *testing.T) {
	payload := `{"object":"workflow_run","id":"workflow_run_seed","status":"NEEDS_REVIEW","files":[{"id":"file_1","name":"a.pdf","type":"PDF","metadata":{"pageCount":3}}],
	"workflow":{"id":"workflow_1","name":"Seed","version":"1"},
	"outputs":[
	 {"object":"document_processor_run","id":"dpr_1234","edited":true,"type":"EXTRACT","config":{"fieldsToExtract":[{"id":"field1","type":"boolean","fieldName":"is_invoice","description":"Is this an invoice?"}]},
	  "initialOutput":{"is_invoice":{"id":"field1","type":"boolean","value":true,"confidence":1,"references":[]}},
	  "reviewedOutput":{"is_invoice":{"id":"field1","type":"boolean","value":false,"confidence":1,"references":[]}},
	  "output":{"is_invoice":{"id":"field1","type":"boolean","value":false,"confidence":1,"references":[]}}},
	 {"object":"document_processor_run","id":"dpr_5678","edited":true,"type":"CLASSIFY","config":{"classifications":[{"id":"classification1","type":"other","description":"x"},{"id":"classification2","type":"invoice","description":"an invoice"}]},
	  "initialOutput":{"id":"classification2","type":"invoice","confidence":0.95},"output":{"id":"classification2","type":"invoice","confidence":0.95}},
	 {"object":"document_processor_run","id":"dpr_9","type":"SPLITTER","output":{"subDocuments":[{"type":"invoice","identifier":"invoice_48","startPage":1,"endPage":2},{"type":"addendum","identifier":"a","startPage":3,"endPage":3}]}},
	 {"object":"document_processor_run","id":"dpr_10","type":"SOMETHING_NEW","output":{"whatever":1}}
	]}`
	run, err := review.DecodeRun(json.RawMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Outputs) != 4 {
		t.Fatalf("outputs = %d, want 4 (an unknown type is kept)", len(run.Outputs))
	}
	ex := output(t, run, review.OutputExtract)
	if f := field(t, ex, "is_invoice"); f.Type != review.TypeBoolean || string(f.Value) != "false" || !ex.Edited {
		t.Errorf("is_invoice = %+v", f)
	}
	if sp := output(t, run, review.OutputSplitter); len(sp.Splits) != 2 || sp.Splits[1].Type != "addendum" {
		t.Errorf("splits = %+v", sp.Splits)
	}
	if run.PageCount() != 3 {
		t.Errorf("page count = %d", run.PageCount())
	}
}

func TestDecodeRunBadInput(t *testing.T) {
	tests := []struct{ name, payload, want string }{
		{"not json", `{`, "workflow run"},
		{"not a run", `{"object":"extract_run","id":"exr_1"}`, "not a workflow_run"},
		{"no id", `{"object":"workflow_run","status":"NEEDS_REVIEW"}`, "workflow_run"},
		{"confidence is a word", `{"id":"workflow_run_1","outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"a":{"type":"string","value":"x","confidence":"high"}}}]}`, "confidence"},
		{"page is text", `{"id":"workflow_run_1","outputs":[{"id":"dpr_1","type":"SPLITTER","output":{"subDocuments":[{"startPage":"two"}]}}]}`, "startPage"},
		{"outputs not array", `{"id":"workflow_run_1","outputs":{"a":1}}`, ""},
		{"start is not a time", `{"id":"workflow_run_1","initialRunAt":"yesterday"}`, "initialRunAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := review.DecodeRun(json.RawMessage(tt.payload))
			if tt.want == "" {
				return // must simply not panic
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || review.ErrorCode(err) != review.EINVALID {
				t.Fatalf("err = %v (code %s), want invalid mentioning %q", err, review.ErrorCode(err), tt.want)
			}
		})
	}
}

// TestWaitingSince: a run waits from its submission to Extend, unless the
// time Extend gives cannot be right.
func TestWaitingSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, start string
		want        time.Time
	}{
		{"not told", `null`, now},
		{"an hour ago", `"2026-12-01T11:00:00Z"`, now.Add(-time.Hour)},
		{"ahead of this clock", `"2026-12-01T12:00:05Z"`, now},
		{"nonsense", `"0001-01-01T00:00:00Z"`, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, err := review.DecodeRun(json.RawMessage(`{"id":"workflow_run_1","status":"NEEDS_REVIEW","initialRunAt":` + tt.start + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := run.WaitingSince(now); !got.Equal(tt.want) {
				t.Errorf("waiting since %v, want %v", got, tt.want)
			}
		})
	}
}

// TestHostileStringsKept: values are data; decoding keeps them verbatim.
func TestHostileStringsKept(t *testing.T) {
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	b, _ := json.Marshal(hostile)
	payload := `{"id":"workflow_run_x","outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"name":{"type":"string","value":` + string(b) + `,"confidence":0.5}}}]}`
	run, err := review.DecodeRun(json.RawMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	json.Unmarshal(field(t, &run.Outputs[0], "name").Value, &got)
	if got != hostile {
		t.Fatalf("value = %q", got)
	}
}

func TestStepRunSeed(t *testing.T) {
	body, err := os.ReadFile("testdata/step_run_parse_seed.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := review.DecodeEvent(body)
	if err != nil {
		t.Fatal(err)
	}
	c, err := review.Interpret(ev)
	if err != nil {
		t.Fatal(err)
	}
	s := c.StepRun
	if s == nil || s.Type != "PARSE" || s.RunID != "workflow_run_xKm9pNv3qWsY_jL2tR5Dh" || s.Parse == nil || len(s.Parse.Blocks) != 1 {
		t.Fatalf("step run = %+v", s)
	}
	if b := s.Parse.Blocks[0]; !b.Ref.HasBox || b.Ref.Rect.Right != 20 {
		t.Errorf("block = %+v", b)
	}
}

// TestDecodeRotatedDemo: the NICS demo gives its page size unrotated
// (1008×612) for a page displayed 612×1008; boxes still land in the
// displayed frame.
func TestDecodeRotatedDemo(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "nics_rotated_2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := field(t, output(t, run, review.OutputExtract), "state")
	box, ok := f.Refs[0].Fraction(review.PageSize{Width: 612, Height: 1008})
	if !ok || !near(box.Left, 525.79888/612) || !near(box.Top, 43.2/1008) {
		t.Fatalf("state box = %+v", box)
	}
	if sp := output(t, run, review.OutputSplitter); len(sp.Splits) != 1 || sp.Splits[0].Identifier != "2015-11" {
		t.Fatalf("split = %+v", sp.Splits)
	}
}

// TestStepResultTypeFromItsMember: a step's result says its type by the
// member it comes in (extractRun); a run without "object" still has fields.
func TestStepResultTypeFromItsMember(t *testing.T) {
	payload := `{"object":"workflow_run","id":"workflow_run_bare","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"W"},
		"files":[{"id":"file_1","name":"a.pdf","type":"PDF"}],
		"stepRuns":[{"id":"wsr_1","step":{"name":"extract","type":"EXTRACT"},"result":{"extractRun":{"id":"exr_1",
		"output":{"value":{"total":"4.11"},"metadata":{"total":{"ocrConfidence":0.5}}}}}}]}`
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Run.Output("exr_1")
	if o == nil || o.Type != review.OutputExtract || len(o.Fields) != 1 || o.Fields[0].Path != "total" {
		t.Fatalf("output: %+v", o)
	}
}

// TestParsedCells: a block parsed from a workbook keeps its sheet (an
// object as Extend's API describes it, or a bare name), its cell and its
// formula; a table's cells inherit nothing but the page.
func TestParsedCells(t *testing.T) {
	payload := `{"object":"workflow_run","id":"workflow_run_sheet","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"W"},
		"files":[{"id":"file_1","name":"a.xlsx","type":"EXCEL"}],
		"stepRuns":[{"id":"wsr_1","step":{"name":"parse","type":"PARSE"},"result":{"parseRun":{"id":"pr_1","file":{"id":"file_1"},
		"output":{"chunks":[{"object":"chunk","type":"document","blocks":[
			{"id":"t","type":"table","content":"","metadata":{"page":{"number":1},"sheet":{"index":1,"name":"Totals"}},"children":[
				{"id":"c","type":"table_cell","content":"39","details":{"type":"table_cell_details","rowIndex":2,"columnIndex":1,"cellReference":"B3","formula":"=SUM(B1:B2)"},
				 "metadata":{"sheet":{"index":1,"name":"Totals"}}},
				{"id":"m","type":"table_cell","content":"Head","details":{"cellReference":"A1:C1"},"metadata":{"sheet":"Totals"}}]}]}]}}}}]}`
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, b := range c.Run.Parses[0].Blocks {
		got += fmt.Sprintf("%s:%s!%s%s p%d %s; ", b.ID, b.Sheet, b.Cell, b.Formula, b.Ref.Page, b.Ref.FileID)
	}
	if want := "t:Totals! p1 file_1; c:Totals!B3=SUM(B1:B2) p1 file_1; m:Totals!A1:C1 p1 file_1; "; got != want {
		t.Fatalf("blocks\n got %s\nwant %s", got, want)
	}
}

// TestRepeatedKeyOfALargeObject: of a key given twice, the last counts,
// in an object large enough to be looked up through an index as in a
// small one.
func TestRepeatedKeyOfALargeObject(t *testing.T) {
	for _, n := range []int{3, 40} {
		var meta strings.Builder
		meta.WriteString(`{"invoice_number":{"ocrConfidence":0.1,"citations":[]}`)
		for i := range n {
			fmt.Fprintf(&meta, `,"other_%d":{"ocrConfidence":0.5,"citations":[]}`, i)
		}
		meta.WriteString(`,"invoice_number":{"ocrConfidence":0.9,"citations":[]}}`)
		raw := `{"object":"workflow_run","id":"workflow_run_x","status":"NEEDS_REVIEW","stepRuns":[{"id":"wsr_x","step":{"name":"extract","type":"EXTRACT"},
			"result":{"extractRun":{"id":"exr_x","output":{"value":{"invoice_number":"1"},"metadata":` + meta.String() + `}}}}]}`
		run, err := review.DecodeRun(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := field(t, output(t, run, review.OutputExtract), "invoice_number").Confidence.Value(); !ok || c != 0.9 {
			t.Errorf("%d other keys: confidence %v, want the last given, 0.9", n, c)
		}
	}
}
