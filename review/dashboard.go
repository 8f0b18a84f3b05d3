package review

import "time"

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
