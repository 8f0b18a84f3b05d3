package review_test

import (
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// names names people as the pages do.
func names(email string) string {
	if n := map[string]string{"ana@example.com": "Ana Lima"}[email]; n != "" {
		return n
	}
	return email
}

// TestWhyRefused: who may change a run, and the sentence when not, naming
// people by name (a person's own other tab as theirs).
func TestWhyRefused(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := now.Add(-time.Minute)
	held := review.Claim{By: "ana@example.com", Expires: now.Add(time.Minute)}
	for _, c := range []struct {
		name   string
		status review.Status
		rv     review.Review
		want   string // "" = allowed
	}{
		{"undecided, free", review.StatusNeedsReview, review.Review{Version: 3}, ""},
		{"held by the actor", review.StatusNeedsReview, review.Review{Version: 3, Claim: review.Claim{By: "bob@example.com", Expires: now.Add(time.Minute)}}, ""},
		{"someone's claim expired", review.StatusNeedsReview, review.Review{Version: 3, Claim: review.Claim{By: "ana@example.com", Expires: now}}, ""},
		{"held by another", review.StatusNeedsReview, review.Review{Version: 3, Claim: held}, "Ana Lima is working on this run"},
		{"moved on", review.StatusNeedsReview, review.Review{Version: 4, LastEditor: "ana@example.com", LastEditAt: &at}, "Ana Lima changed this run at 09:59:00 UTC"},
		{"moved on in another tab", review.StatusNeedsReview, review.Review{Version: 4, LastEditor: "bob@example.com", LastEditAt: &at}, "You changed this run in another tab or window at 09:59:00 UTC"},
		{"decided here", review.StatusNeedsReview, review.Review{Version: 3, Decision: review.DecisionApproved}, "approved already"},
		{"decided outside", review.StatusProcessed, review.Review{Version: 3}, "decided outside reviewer"},
	} {
		err := review.WhyRefused(c.status, c.rv, 3, "bob@example.com", now, names)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(review.ErrorMessage(err), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
