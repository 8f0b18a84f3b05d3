package storage_test

import (
	"context"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestFeedbackRuleKeepsItsKey: a workflow's evaluation-set rule comes back
// as saved; saving it again without a key keeps the stored one (the form
// never shows it), with a new key replaces it. (A rule asking for unknown
// runs is refused by the desk: desk.TestAdminWrites.)
func TestFeedbackRuleKeepsItsKey(t *testing.T) { pgtest.Each(t, testFeedbackRuleKeepsItsKey) }

func testFeedbackRuleKeepsItsKey(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	rule := review.FeedbackRule{WorkflowID: "wf_1", EvaluationSetID: "ev_1", Runs: review.EvalCorrected, APIURL: "https://api.eu.extend.ai", APIKey: "sk_one"}
	if err := s.SetFeedbackRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	got, err := s.FeedbackRuleFor(ctx, "wf_1")
	if err != nil || got != rule {
		t.Fatalf("rule = %+v, %v; want %+v", got, err, rule)
	}
	rule.APIKey, rule.EvaluationSetID = "", "ev_2"
	if err := s.SetFeedbackRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FeedbackRuleFor(ctx, "wf_1"); got.APIKey != "sk_one" || got.EvaluationSetID != "ev_2" {
		t.Fatalf("saved without a key: %+v", got)
	}
	rule.APIKey = "sk_two"
	if err := s.SetFeedbackRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	if all, err := s.FeedbackRules(ctx); err != nil || len(all) != 1 || all[0].APIKey != "sk_two" {
		t.Fatalf("rules = %+v, %v", all, err)
	}
}
