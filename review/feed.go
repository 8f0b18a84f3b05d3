package review

import "time"

// Kinds of change in the change feed.
const (
	FeedRun      = "run"      // Extend changed a run (arrived, status)
	FeedClaim    = "claim"    // claimed, renewed, released, reassigned
	FeedEdit     = "edit"     // a draft changed
	FeedDecision = "decision" // approved, rejected, reopened
	FeedPresence = "presence" // who has the run open changed, on some instance
	FeedPage     = "page"     // a page of the run's document turned for viewing
	FeedDocument = "document" // the run's document measured: its pages can be shown
	FeedHold     = "hold"     // sent to a supervisor, postponed, or put back in the queue
	FeedQA       = "qa"       // a run was drawn for QA, or checked
)

// FeedEntry is one entry of the change feed, which every write appends to
// in its transaction: what changed, to which run, by whom. Open pages are
// told of changes from it.
type FeedEntry struct {
	Seq   int64     `json:"seq"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	RunID string    `json:"runId"`
	Actor string    `json:"actor,omitempty"`
}
