package review

import "time"

// ClaimLease is how long a claim lasts without the open page renewing it.
const ClaimLease = 2 * time.Minute

// Claim is who holds a run, since when and until when.
type Claim struct {
	By      string
	Since   time.Time
	Expires time.Time
}

// QueueFilter selects runs of the review queue.
type QueueFilter struct {
	WorkflowID    string
	FileType      string
	Assignee      string // a reviewer's email, or "-" for runs nobody holds
	MaxConfidence *float64
	OlderThan     time.Duration
	Search        string // a run id or part of a file name
	RunID         string // exactly this run (a live update of one row)
	Sort          string // oldest (default), newest, confidence
	After         string // cursor from the previous page
	Limit         int
}
