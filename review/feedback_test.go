package review_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// TestFeedbackItemsWhichRuns: under "approved" every output of an approved
// run becomes an item, {fileId, expectedOutput} with the reviewed value;
// under "corrected" only the outputs a reviewer changed; a rejection never
// gives one.
func TestFeedbackItemsWhichRuns(t *testing.T) {
	orig := demoRun(t, "aws_2026.json")
	run, err := review.DecodeRun(orig)
	if err != nil {
		t.Fatal(err)
	}
	edit := check(t, run, review.Edit{OutputID: "exr_demo_aws", Path: "invoice_number", Value: json.RawMessage(`"42183018"`), How: review.HowTyped})
	approve := review.Decision{Approved: true, By: "ana@example.com", At: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	reviewed, err := run.Reviewed([]review.Edit{edit}, approve, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	rule := review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_1"}
	_, all, err := review.FeedbackCalls(rule, run, approve, reviewed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(run.Outputs) || len(all) < 2 {
		t.Fatalf("approved: %d items for %d outputs", len(all), len(run.Outputs))
	}
	rule.Runs = review.EvalCorrected
	_, corrected, _ := review.FeedbackCalls(rule, run, approve, reviewed, nil)
	if len(corrected) != 1 || corrected[0].Path != "/evaluation_sets/ev_1/items" {
		t.Fatalf("corrected: %+v", corrected)
	}
	var item struct {
		FileID         string `json:"fileId"`
		ExpectedOutput struct {
			Value map[string]json.RawMessage `json:"value"`
		} `json:"expectedOutput"`
	}
	if err := json.Unmarshal(corrected[0].Body, &item); err != nil || item.FileID != "file_demo_aws" || string(item.ExpectedOutput.Value["invoice_number"]) != `"42183018"` {
		t.Fatalf("item %s (%v)", corrected[0].Body, err)
	}
	reject := review.Decision{Approved: false, Note: "wrong vendor", By: "ana@example.com", At: approve.At}
	rejected, _ := run.Reviewed(nil, reject, noSizes)
	if _, items, _ := review.FeedbackCalls(review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_1"}, run, reject, rejected, nil); len(items) != 0 {
		t.Fatalf("a rejection gave %d items", len(items))
	}
}

// TestFeedbackUpdatesWhatIsAdded: a run decided again (reopened) does not
// add its outputs to the set twice: each one Extend took has its item
// updated in place, told apart by file and kind of output.
func TestFeedbackUpdatesWhatIsAdded(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "aws_2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	approve := review.Decision{Approved: true, By: "ana@example.com", At: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	reviewed, err := run.Reviewed(nil, approve, noSizes)
	if err != nil {
		t.Fatal(err)
	}
	rule := review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_1"}
	_, first, _ := review.FeedbackCalls(rule, run, approve, reviewed, nil)
	var sent []review.Delivery
	for i, it := range first {
		sent = append(sent, review.Delivery{Kind: review.OutboxEvalItem, State: review.DeliveryDelivered, Path: it.Path, Body: it.Body, Result: "evi_" + string(rune('a'+i))})
	}
	calls, again, err := review.FeedbackCalls(rule, run, approve, reviewed, review.AddedItems(sent, "ev_1"))
	if err != nil || len(again) != 0 || len(calls) != len(first) {
		t.Fatalf("decided again: %d items, %d calls (%v); first %d items", len(again), len(calls), err, len(first))
	}
	for i, c := range calls {
		want := "/evaluation_sets/ev_1/items/evi_" + string(rune('a'+i))
		var body map[string]json.RawMessage
		json.Unmarshal(c.Body, &body)
		var item map[string]json.RawMessage
		json.Unmarshal(first[i].Body, &item)
		if c.Path != want || len(body) != 1 || string(body["expectedOutput"]) != string(item["expectedOutput"]) {
			t.Fatalf("call %d: POST %s %s, want %s {expectedOutput: %s}", i, c.Path, c.Body, want, item["expectedOutput"])
		}
	}
	if _, items, _ := review.FeedbackCalls(review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_2"}, run, approve, reviewed, review.AddedItems(sent, "ev_2")); len(items) != len(first) {
		t.Fatalf("another set: %d items", len(items))
	}
}
