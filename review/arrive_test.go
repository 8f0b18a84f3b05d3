package review

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestArrive: what becomes of an arriving run, given what is kept of it
// and its workflow's rules.
func TestArrive(t *testing.T) {
	done := &Run{ID: "r", Status: StatusProcessed}
	asks := &Run{ID: "r", Status: StatusNeedsReview}
	sample := ArrivalRules{Routing: &RoutingRule{SamplePercent: 100}}
	auto := ArrivalRules{Routing: &RoutingRule{}}
	failing := ArrivalRules{Routing: &RoutingRule{FailingRules: true}}
	qa := ArrivalRules{QAPercent: 100}
	for _, tt := range []struct {
		name  string
		kept  Kept
		run   *Run
		rules ArrivalRules
		want  Arrival
	}{
		{"new, completed, no rule", Kept{}, done, ArrivalRules{}, Arrival{Apply: true, Status: StatusProcessed}},
		{"new, completed, sampled", Kept{}, done, sample, Arrival{Apply: true, Status: StatusNeedsReview, Routed: RoutedSample}},
		{"new, completed, failed a rule", Kept{}, done, failing, Arrival{Apply: true, Status: StatusNeedsReview, Routed: RoutedRules}},
		{"new, completed, auto-approved", Kept{}, done, auto, Arrival{Apply: true, Status: StatusProcessed, Routed: RoutedAuto}},
		{"new, completed, drawn for QA", Kept{}, done, qa, Arrival{Apply: true, Status: StatusProcessed, QASample: true}},
		{"new, routed to review: not for QA", Kept{}, done, ArrivalRules{Routing: sample.Routing, QAPercent: 100}, Arrival{Apply: true, Status: StatusNeedsReview, Routed: RoutedSample}},
		{"new, Extend asks for review: not routed nor drawn", Kept{}, asks, ArrivalRules{Routing: sample.Routing, QAPercent: 100}, Arrival{Apply: true, Status: StatusNeedsReview}},
		{"routed to review, completed again", Kept{Status: StatusNeedsReview, Routed: RoutedSample}, done, auto, Arrival{}},
		{"decided", Kept{Status: StatusRejected}, done, qa, Arrival{}},
		{"in review in Extend, then completed", Kept{Status: StatusNeedsReview}, done, ArrivalRules{Routing: sample.Routing, QAPercent: 100}, Arrival{Apply: true, Status: StatusProcessed}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Arrive(tt.run, Arriving{Kept: tt.kept, Rules: tt.rules, FailsRules: func(string) (bool, error) { return true, nil }})
			tt.want.Kept, tt.want.Rules = tt.kept, tt.rules
			if err != nil || !(got.Apply == tt.want.Apply && got.Status == tt.want.Status && got.Routed == tt.want.Routed && got.QASample == tt.want.QASample) {
				t.Fatalf("Arrive = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestArriveKeysBeforeRouting: the duplicate key is known when routing
// asks whether the run fails a rule (which may ask about duplicates).
func TestArriveKeysBeforeRouting(t *testing.T) {
	run, err := DecodeRun([]byte(`{"object":"workflow_run","id":"workflow_run_1","status":"PROCESSED","workflow":{"id":"wf"},
		"outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"invoice_number":{"type":"string","value":" 42 ","confidence":0.9}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DuplicateKey(run, []string{"invoice_number"})
	if want == "" {
		t.Fatal("no key")
	}
	var asked string
	a, err := Arrive(run, Arriving{
		Rules:      ArrivalRules{Routing: &RoutingRule{FailingRules: true}, KeyFields: []string{"invoice_number"}},
		FailsRules: func(key string) (bool, error) { asked = key; return key == want, nil },
	})
	if err != nil || asked != want || a.DupKey != want || a.Routed != RoutedRules || a.Status != StatusNeedsReview {
		t.Fatalf("Arrive = %+v, %v; asked with %q, want %q", a, err, asked, want)
	}
}

// TestArrivalRulesSame: a routing threshold is compared by value, and a
// validation rule counts.
func TestArrivalRulesSame(t *testing.T) {
	x, y, z := 0.8, 0.8, 0.9
	a := ArrivalRules{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}, KeyFields: []string{"n"}}
	if !a.Same(ArrivalRules{Routing: &RoutingRule{WorkflowID: "wf", Below: &y}, KeyFields: []string{"n"}}) {
		t.Fatal("equal rules differ")
	}
	for _, b := range []ArrivalRules{
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &z}, KeyFields: []string{"n"}},
		{Routing: &RoutingRule{WorkflowID: "wf"}, KeyFields: []string{"n"}},
		{KeyFields: []string{"n"}},
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}},
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}, KeyFields: []string{"n"}, QAPercent: 1},
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}, KeyFields: []string{"n"}, Checks: []Rule{{Name: "r", Expr: "true"}}},
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}, KeyFields: []string{"n"}, DueField: "due_by"},
		{Routing: &RoutingRule{WorkflowID: "wf", Below: &x}, KeyFields: []string{"n"}, Within: time.Hour},
	} {
		if a.Same(b) {
			t.Fatalf("%+v same as %+v", b, a)
		}
	}
}

// TestArriveDue: a run that goes to review is due when Extend's metadata
// field (the setting) says, else its workflow's service level after it
// began to wait, else never; one already waiting keeps its due time unless
// Extend sends one, and one that never waits has none.
func TestArriveDue(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	started := now.Add(-3 * time.Hour)
	meta := time.Date(2026, 12, 8, 17, 0, 0, 0, time.UTC)
	run := func(status Status, due time.Time) *Run {
		raw := `{"metadata":{}}`
		if !due.IsZero() {
			raw = `{"metadata":{"due_by":"` + due.Format(time.RFC3339) + `"}}`
		}
		return &Run{ID: "r", Status: status, StartedAt: started, Raw: json.RawMessage(raw)}
	}
	rules := ArrivalRules{DueField: "due_by", Within: 2 * time.Hour}
	queued := now.Add(-time.Hour)
	waiting := Kept{Status: StatusNeedsReview, Queued: queued, Due: queued.Add(time.Hour)}
	var none time.Time
	for _, tt := range []struct {
		name                 string
		kept                 Kept
		run                  *Run
		rules                ArrivalRules
		queued, dueMeta, due time.Time
	}{
		{"new, no time of its own: the service level", Kept{}, run(StatusNeedsReview, none), rules, started, none, started.Add(2 * time.Hour)},
		{"new, no service level: never", Kept{}, run(StatusNeedsReview, none), ArrivalRules{DueField: "due_by"}, started, none, started.Add(NoDue)},
		{"new, Extend's time", Kept{}, run(StatusNeedsReview, meta), rules, started, meta, meta},
		{"a field the setting does not name", Kept{}, run(StatusNeedsReview, meta), ArrivalRules{Within: 2 * time.Hour}, started, none, started.Add(2 * time.Hour)},
		{"waiting, again without a time: keeps its due time", waiting, run(StatusNeedsReview, none), rules, queued, none, waiting.Due},
		{"waiting, Extend sends a time", waiting, run(StatusNeedsReview, meta), rules, queued, meta, meta},
		{"completed, never waited: no due time", Kept{}, run(StatusProcessed, meta), rules, none, none, none},
		{"waited, then completed in Extend: keeps them", waiting, run(StatusProcessed, meta), rules, queued, none, waiting.Due},
		{"routed to review: from when it began", Kept{}, run(StatusProcessed, none), ArrivalRules{Routing: &RoutingRule{SamplePercent: 100}, DueField: "due_by", Within: time.Hour}, started, none, started.Add(time.Hour)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Arrive(tt.run, Arriving{Kept: tt.kept, Rules: tt.rules, Now: now})
			if err != nil || !a.Apply || !a.Queued.Equal(tt.queued) || !a.DueMeta.Equal(tt.dueMeta) || !a.Due.Equal(tt.due) {
				t.Fatalf("Arrive = %+v, %v; want queued %v, due %v (Extend's %v)", a, err, tt.queued, tt.due, tt.dueMeta)
			}
		})
	}
}

// TestArriveOutput: a standalone output is spliced into the run under
// review holding it, keyed anew where its workflow has key fields; a run
// decided, or none, is left as it is.
func TestArriveOutput(t *testing.T) {
	payload := json.RawMessage(`{"object":"workflow_run","id":"workflow_run_1","status":"NEEDS_REVIEW","workflow":{"id":"wf"},
		"outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"invoice_number":{"type":"string","value":"41","confidence":0.9}}}]}`)
	raw := json.RawMessage(`{"id":"dpr_1","type":"EXTRACT","output":{"invoice_number":{"type":"string","value":"42","confidence":0.5}}}`)
	o := &Output{ID: "dpr_1"}
	held := Holder{RunID: "workflow_run_1", WorkflowID: "wf", Status: StatusNeedsReview, Payload: payload}
	a, err := ArriveOutput(o, raw, held, []string{"invoice_number"})
	if err != nil || a.Run == nil || !a.Keyed || a.DupKey != DuplicateKey(a.Run, []string{"invoice_number"}) || a.DupKey == "" {
		t.Fatalf("ArriveOutput = %+v, %v", a, err)
	}
	if low, _ := a.Run.MinConfidence(); low != 0.5 || a.Held.RunID != held.RunID {
		t.Fatalf("spliced run: confidence %v, held %+v", low, a.Held)
	}
	if a, err := ArriveOutput(o, raw, held, nil); err != nil || a.Run == nil || a.Keyed {
		t.Fatalf("no key fields: %+v, %v", a, err)
	}
	decided := held
	decided.Status = StatusRejected
	for _, h := range []Holder{decided, {}} {
		if a, err := ArriveOutput(o, raw, h, nil); err != nil || a.Run != nil {
			t.Fatalf("ArriveOutput(%+v) = %+v, %v; want nothing", h, a, err)
		}
	}
}

// TestDocumentKey: a run keyed by its document is keyed by the first of
// its documents stored, in their order, the one uploaded for the run
// before the one fetched; an arriving event adds the files it names that
// the run does not show yet, at their places, and keeps the others where
// they were.
func TestDocumentKey(t *testing.T) {
	kept := []StoredDocument{{FileID: "f2", Position: 1, Fetched: "bb"}}
	files := []File{{ID: "f1"}, {ID: "f2"}, {ID: ""}, {ID: "f3"}}
	docs := ArrivingDocuments(kept, files, map[string]string{"f1": "", "f2": "ignored", "f3": "cc"})
	want := []StoredDocument{{FileID: "f1", Position: 0}, {FileID: "f2", Position: 1, Fetched: "bb"}, {FileID: "f3", Position: 3, Fetched: "cc"}}
	if !slices.Equal(docs, want) {
		t.Fatalf("arriving documents %+v, want %+v", docs, want)
	}
	for _, c := range []struct {
		docs []StoredDocument
		want string
	}{
		{nil, ""},
		{[]StoredDocument{{FileID: "f1"}}, ""},
		{docs, ChecksumKeyPrefix + "bb"},
		{[]StoredDocument{{FileID: "f9", Position: 2, Fetched: "zz"}, {FileID: "f1", Position: 0, Uploaded: "up", Fetched: "aa"}}, ChecksumKeyPrefix + "up"},
	} {
		if got := DocumentKey(c.docs); got != c.want {
			t.Errorf("DocumentKey(%+v) = %q, want %q", c.docs, got, c.want)
		}
	}
}
