package review_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

func TestDecodeEvent(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"ok", `{"eventId":"evt_1","eventType":"workflow.created","payload":{}}`, ""},
		{"not json", `not json`, "not a JSON object"},
		{"truncated", `{"eventId":"evt_1"`, "not a JSON object"},
		{"array", `[1,2]`, "not a JSON object"},
		{"trailing data", `{"eventId":"e","eventType":"t"} {}`, "after top-level value"},
		{"missing eventId", `{"eventType":"workflow.created"}`, "eventId"},
		{"empty eventId", `{"eventId":"  ","eventType":"workflow.created"}`, "eventId"},
		{"eventId a number", `{"eventId":7,"eventType":"workflow.created"}`, "eventId"},
		{"missing eventType", `{"eventId":"evt_1"}`, "eventType"},
		{"huge eventId", `{"eventId":"` + strings.Repeat("x", 300) + `","eventType":"t"}`, "200 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := review.DecodeEvent([]byte(tt.body))
			if tt.want == "" {
				if err != nil || ev.ID != "evt_1" || ev.Type != "workflow.created" {
					t.Fatalf("DecodeEvent = %+v, %v", ev, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || review.ErrorCode(err) != review.EINVALID {
				t.Fatalf("err = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSignedDataURL(t *testing.T) {
	for payload, want := range map[string]string{
		`{"object":"signed_data_url","data":"https://x.example/p?sig=1","id":"evt"}`: "https://x.example/p?sig=1",
		`{"data":"https://x.example/p"}`:                                             "https://x.example/p",
		`{"data":"not a link"}`:                                                      "",
		`{"object":"workflow_run","data":"https://x"}`:                               "",
		`{"object":"workflow_run","id":"workflow_run_1"}`:                            "",
	} {
		got, ok := review.SignedDataURL(json.RawMessage(payload))
		if got != want || ok != (want != "") {
			t.Errorf("SignedDataURL(%s) = %q %v, want %q", payload, got, ok, want)
		}
	}
}

func TestInterpret(t *testing.T) {
	run2026, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := func(typ string, payload string) review.Event {
		return review.Event{ID: "evt", Type: typ, Payload: json.RawMessage(payload)}
	}
	for typ, status := range map[string]review.Status{
		review.EventRunNeedsReview: review.StatusNeedsReview,
		review.EventRunCompleted:   review.StatusProcessed,
		review.EventRunFailed:      review.StatusFailed,
		review.EventRunRejected:    review.StatusRejected,
		review.EventRunCancelled:   review.StatusCancelled,
	} {
		c, err := review.Interpret(review.Event{ID: "e", Type: typ, Payload: run2026})
		if err != nil || c.Run == nil || c.Run.Status != status {
			t.Errorf("%s: change %+v, err %v; want run with status %s", typ, c, err, status)
		}
	}
	c, err := review.Interpret(ev(review.EventWorkflowDeleted, `{"object":"workflow","id":"workflow_9","name":"Old"}`))
	if err != nil || c.Workflow == nil || c.Workflow.ID != "workflow_9" || !c.WorkflowDeleted {
		t.Errorf("workflow.deleted: %+v %v", c, err)
	}
	c, err = review.Interpret(ev("workflow.deployed", `{"object":"workflow","id":"workflow_9","name":"New","version":4}`))
	if err != nil || c.Workflow.Version != "4" || c.WorkflowDeleted {
		t.Errorf("workflow.deployed: %+v %v", c, err)
	}
	c, err = review.Interpret(ev("processor_run.processed", `{"object":"document_processor_run","id":"dpr_1","type":"CLASSIFY","output":{"id":"c","type":"invoice","confidence":0.5}}`))
	if err != nil || c.Output == nil || c.Output.Class.Type != "invoice" {
		t.Errorf("processor_run.processed: %+v %v", c, err)
	}
	c, err = review.Interpret(ev("extract_run.processed", `{"object":"extract_run","id":"exr_1","output":{"value":{"a":"b"},"metadata":{}}}`))
	if err != nil || c.Output == nil || c.Output.Type != review.OutputExtract || len(c.Output.Fields) != 1 {
		t.Errorf("extract_run.processed: %+v %v", c, err)
	}
	c, err = review.Interpret(ev("batch_processor_run.processed", `{"anything":true}`))
	if err != nil || c.Run != nil || c.Output != nil {
		t.Errorf("unknown type must change nothing: %+v %v", c, err)
	}
	for _, bad := range []review.Event{
		ev(review.EventRunNeedsReview, `null`),
		ev(review.EventRunNeedsReview, `{"object":"workflow_run"}`),
		ev(review.EventStepRunProcessed, `{"id":"workflow_step_run_1"}`),
		ev(review.EventWorkflowCreated, `{"name":"no id"}`),
		ev("processor_run.failed", `{"type":"EXTRACT"}`),
	} {
		if _, err := review.Interpret(bad); err == nil {
			t.Errorf("Interpret(%s %s) succeeded", bad.Type, bad.Payload)
		}
	}
}

func TestStatusAdvances(t *testing.T) {
	tests := []struct {
		from, to review.Status
		want     bool
	}{
		{"", review.StatusNeedsReview, true},
		{review.StatusProcessing, review.StatusNeedsReview, true},
		{review.StatusNeedsReview, review.StatusNeedsReview, true},
		{review.StatusNeedsReview, review.StatusProcessed, true},
		{review.StatusNeedsReview, review.StatusProcessing, false},
		{review.StatusProcessed, review.StatusNeedsReview, false},
		{review.StatusRejected, review.StatusProcessed, false},
		{review.StatusCancelled, review.StatusCancelled, false},
		{"SOMETHING_NEW", review.StatusNeedsReview, true},
	}
	for _, tt := range tests {
		if got := tt.from.Advances(tt.to); got != tt.want {
			t.Errorf("%q → %q: %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"eventId":"evt_1","eventType":"workflow.created","payload":{}}`))
	f.Add([]byte(`{"eventId":"","eventType":1}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"payload":{"a":"}\"]"},"eventType":"x","eventId":"e\u0031","eventId":"last"}`))
	f.Add([]byte(` {"eventId" : "e" , "eventType":"t", "payload" : [1, {"x": "y"}, "\\"] } `))
	// Differential: DecodeEvent walks the body by hand, so it must agree
	// with encoding/json on every input.
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := review.DecodeEvent(body)
		// Keys match exactly (encoding/json's struct decoding would also
		// take "eventtype"; Extend's keys are exact).
		var members map[string]json.RawMessage
		refErr := json.Unmarshal(body, &members)
		var ref struct {
			EventID, EventType any
			Payload            json.RawMessage
		}
		json.Unmarshal(members["eventId"], &ref.EventID)
		json.Unmarshal(members["eventType"], &ref.EventType)
		ref.Payload = members["payload"]
		id, idOK := ref.EventID.(string)
		typ, typOK := ref.EventType.(string)
		refOK := refErr == nil && idOK && typOK && strings.TrimSpace(id) != "" && strings.TrimSpace(typ) != "" && len(id) <= 200 && len(typ) <= 200
		if (err == nil) != refOK {
			t.Fatalf("DecodeEvent err = %v; encoding/json says ok=%v (%v) for %q", err, refOK, refErr, body)
		}
		if err != nil {
			if review.ErrorCode(err) != review.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if ev.ID != id || ev.Type != typ {
			t.Fatalf("got %q %q, encoding/json %q %q", ev.ID, ev.Type, id, typ)
		}
		if (len(ref.Payload) == 0) != (len(ev.Payload) == 0) || (len(ref.Payload) > 0 && !jsonEqual(ref.Payload, ev.Payload)) {
			t.Fatalf("payload %q, encoding/json %q", ev.Payload, ref.Payload)
		}
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func FuzzInterpret(f *testing.F) {
	// Small seeds: the fuzzer mutates them far faster than whole demo runs.
	f.Add(review.EventRunNeedsReview, []byte(`{"id":"workflow_run_1","status":"NEEDS_REVIEW","files":[{"id":"file_1"}],"outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"t":{"type":"array","value":[{"a":1}],"schema":[{"fieldName":"a","type":"number"}],"references":[{"id":"0","page":1,"boundingBoxes":[{"left":1,"top":2,"right":3,"bottom":4}]}]}}}]}`))
	f.Add(review.EventRunCompleted, []byte(`{"id":"workflow_run_2","stepRuns":[{"id":"s1","step":{"type":"CLASSIFY"},"result":{"classifyRun":{"id":"clr_1","output":{"id":"c","type":"x","confidence":0.2}}}}]}`))
	f.Add(review.EventStepRunProcessed, []byte(`{"id":"s","workflowRunId":"workflow_run_1","result":{"parseRun":{"output":{"chunks":[{"blocks":[{"polygon":[{"x":1,"y":2}]}]}]}}}}`))
	f.Add("processor_run.processed", []byte(`{"id":"dpr_1","type":"EXTRACT","output":{"value":{"a":[{"b":1}]},"metadata":{"a[0].b":{"citations":[{"page":1}]}}}}`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		c, err := review.Interpret(review.Event{ID: "e", Type: typ, Payload: payload})
		if err != nil {
			if review.ErrorCode(err) != review.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if c.Run != nil {
			for _, o := range c.Run.Outputs {
				for _, fl := range o.Fields {
					for _, r := range fl.Refs {
						if b, ok := r.Fraction(review.PageSize{Width: 612, Height: 792}); ok && (b.Left < 0 || b.Right > 1 || b.Top < 0 || b.Bottom > 1) {
							t.Fatalf("box outside the page: %+v", b)
						}
					}
				}
			}
		}
	})
}
