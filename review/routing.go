package review

import "hash/fnv"

// Routing outcomes of a run that arrives already completed.
const (
	RoutedLow    = "low confidence" // a confidence below the workflow's threshold: to review
	RoutedSample = "sample"         // drawn for a quality check: to review
	RoutedAuto   = "auto-approved"  // passes straight through
	RoutedRules  = "failed a rule"  // a blocking validation rule failed: to review
)

// RoutingRule is a workflow's quality check on straight-through runs.
type RoutingRule struct {
	WorkflowID    string
	Below         *float64 // send to review when a confidence is below this
	SamplePercent int      // and this share of the rest
	FailingRules  bool     // and every run that fails a blocking validation rule
}

// Check says whether the rule can be kept. Written as what must hold, so
// NaN (for which every comparison is false) is refused too.
func (r RoutingRule) Check() error {
	if r.SamplePercent < 0 || r.SamplePercent > 100 || r.Below != nil && !(*r.Below >= 0 && *r.Below <= 1) {
		return Errorf(EINVALID, "the threshold is a confidence from 0 to 1 and the sample a percentage")
	}
	return nil
}

// Route decides what happens to run, which arrived already completed:
// review for a failed blocking rule, a low confidence or a sample,
// straight through otherwise. The
// sample is drawn from the run id, so a repeated event decides alike.
func (r RoutingRule) Route(run *Run, failsRules bool) string {
	if r.FailingRules && failsRules {
		return RoutedRules
	}
	if low, ok := run.MinConfidence(); ok && r.Below != nil && low < *r.Below {
		return RoutedLow
	}
	h := fnv.New32a()
	h.Write([]byte(run.ID))
	if int(h.Sum32()%100) < r.SamplePercent {
		return RoutedSample
	}
	return RoutedAuto
}
