package review

import "testing"

// TestArrive: what becomes of an arriving run, given what is kept of it
// and its workflow's routing outcome.
func TestArrive(t *testing.T) {
	done := &Run{ID: "r", Status: StatusProcessed}
	asks := &Run{ID: "r", Status: StatusNeedsReview}
	for _, tt := range []struct {
		name  string
		kept  Kept
		run   *Run
		route string
		want  Arrival
	}{
		{"new, completed, no rule", Kept{}, done, "", Arrival{true, StatusProcessed, ""}},
		{"new, completed, low confidence", Kept{}, done, RoutedLow, Arrival{true, StatusNeedsReview, RoutedLow}},
		{"new, completed, failed a rule", Kept{}, done, RoutedRules, Arrival{true, StatusNeedsReview, RoutedRules}},
		{"new, completed, auto-approved", Kept{}, done, RoutedAuto, Arrival{true, StatusProcessed, RoutedAuto}},
		{"new, Extend asks for review: not routed", Kept{}, asks, RoutedAuto, Arrival{true, StatusNeedsReview, ""}},
		{"routed to review, completed again", Kept{StatusNeedsReview, RoutedSample}, done, RoutedAuto, Arrival{}},
		{"decided", Kept{StatusRejected, ""}, done, "", Arrival{}},
		{"in review in Extend, then completed", Kept{StatusNeedsReview, ""}, done, RoutedLow, Arrival{true, StatusProcessed, ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Arrive(tt.kept, tt.run, tt.route); got != tt.want {
				t.Fatalf("Arrive = %+v, want %+v", got, tt.want)
			}
		})
	}
}
