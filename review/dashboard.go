package review

import (
	"math"
	"slices"
	"time"
)

// Dashboard is the supervisor's view of the queue and of the work done.
type Dashboard struct {
	Now         time.Time
	Waiting     int
	Oldest      *time.Time
	PastSLA     int
	SLA         time.Duration
	ByWorkflow  []WorkflowDepth
	Ages        []Bucket // how long runs have waited
	PerHour     []Bucket // decisions in each of the last 24 hours
	PerDay      []Bucket // decisions on each of the last 7 days
	Reviewers   []ReviewerStats
	Corrections []FieldCorrections
	Routing     []RoutingCount
	RuleFails   []RuleFailures // the rules failing most at decisions, last 30 days
	Sending     []OutboxCount  // what waits to go downstream, and what was given up, by kind
}

// OutboxCount is one kind of outbox item (OutboxDelivery, ...): how many
// wait to be sent or tried again, and how many were given up, which a
// person must look at on the Deliveries page.
type OutboxCount struct {
	Kind             string
	Waiting, GivenUp int
}

// RuleFailures counts the decisions at which a workflow's rule failed.
type RuleFailures struct {
	WorkflowID, WorkflowName string
	Rule, Severity           string
	Failed, Overridden       int
}

// RoutingCount is what a workflow's quality-check rule did with runs that
// arrived already completed.
type RoutingCount struct {
	WorkflowID                         string
	LowConfidence, Sample, Rules, Auto int
}

// WorkflowDepth is one workflow's share of the queue.
type WorkflowDepth struct {
	ID, Name string
	Waiting  int
	Oldest   time.Time
}

// Bucket is one bar of a chart.
type Bucket struct {
	Label string
	Count int
}

// ReviewerStats is one reviewer's decisions over the last seven days.
type ReviewerStats struct {
	Email     string
	Approved  int
	Rejected  int
	MedianFor time.Duration // median time from claim to decision
}

// FieldCorrections is how often reviewers corrected one field of one
// workflow: Edited of Decided decisions changed it.
type FieldCorrections struct {
	WorkflowID, WorkflowName string
	Path                     string
	Edited, Decided          int
}

// Rate is the correction rate, 0..1.
func (f FieldCorrections) Rate() float64 {
	if f.Decided == 0 {
		return 0
	}
	return float64(f.Edited) / float64(f.Decided)
}

// HandlingPrecision is how far, at most, a median handling time read from
// the kept buckets (HandlingBucket) is from the true one, as a share of
// it: each bucket spans a factor 2^(1/8), and stands for its geometric
// middle, 2^(1/16) (4.4%) from either end.
const HandlingPrecision = 0.045

// handlingSteps is how many buckets of handling time each doubling has.
const handlingSteps = 8

// HandlingBucket is the bucket a handling time is counted in: the
// dashboard keeps how many decisions of each reviewer fell in each
// bucket on each day, rather than every time, so its medians read a few
// counts instead of every decision of the week.
func HandlingBucket(d time.Duration) int {
	return int(math.Floor(handlingSteps * math.Log2(float64(max(d.Milliseconds(), 1)))))
}

// MedianHandling is the median of the handling times counted by bucket
// (HandlingBucket), to within HandlingPrecision: the upper median, the
// middle one of an odd count. Zero when nothing was counted.
func MedianHandling(counts map[int]int) time.Duration {
	total := 0
	var buckets []int
	for b, n := range counts {
		if n > 0 {
			total += n
			buckets = append(buckets, b)
		}
	}
	slices.Sort(buckets)
	seen := 0
	for _, b := range buckets {
		if seen += counts[b]; seen > total/2 {
			return time.Duration(math.Exp2((float64(b)+0.5)/handlingSteps) * float64(time.Millisecond))
		}
	}
	return 0
}
