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
	_, all, err := review.FeedbackCalls(rule, run, approve, reviewed)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(run.Outputs) || len(all) < 2 {
		t.Fatalf("approved: %d items for %d outputs", len(all), len(run.Outputs))
	}
	rule.Runs = review.EvalCorrected
	_, corrected, _ := review.FeedbackCalls(rule, run, approve, reviewed)
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
	if _, items, _ := review.FeedbackCalls(review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_1"}, run, reject, rejected); len(items) != 0 {
		t.Fatalf("a rejection gave %d items", len(items))
	}
}
