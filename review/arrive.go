package review

// Kept is what is kept of a run when an event about it arrives: its status
// and how it was routed, both empty for a run not seen before.
type Kept struct {
	Status Status
	Routed string
}

// Arrival is what becomes of a run an event brings: nothing (Apply false),
// or the run kept with Status and Routed.
type Arrival struct {
	Apply  bool
	Status Status
	Routed string
}

// ToReview reports whether a routing outcome sends a run to review.
func ToReview(routed string) bool {
	return routed == RoutedLow || routed == RoutedSample || routed == RoutedRules
}

// Arrive decides what becomes of run, arriving by an event, given what is
// kept of it: the one place that says whether a run goes to review. A run
// never leaves a decided status or goes back a stage (Status.Advances);
// one that arrives already completed, not seen before, takes route, its
// workflow's routing outcome (RoutingRule.Route; "" when the workflow has
// no rule), and goes to review when the outcome says so. Extend's
// completion of a run that routing sent to review changes nothing: the
// quality check here owns the run.
func Arrive(kept Kept, run *Run, route string) Arrival {
	if !kept.Status.Advances(run.Status) || ToReview(kept.Routed) && run.Status == StatusProcessed {
		return Arrival{}
	}
	a := Arrival{Apply: true, Status: run.Status, Routed: kept.Routed}
	if kept.Status == "" && run.Status == StatusProcessed {
		a.Routed = route
		if ToReview(route) {
			a.Status = StatusNeedsReview
		}
	}
	return a
}
