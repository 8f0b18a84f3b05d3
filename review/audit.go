package review

import (
	"encoding/json"
	"time"
)

// Audit actions.
const (
	ActionEdit    = "edit"
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionReopen  = "reopen"
	ActionUndo    = "undo"
	ActionDiscard = "discard draft"
	// ActionReplaceDocument: a supervisor uploaded the run's document.
	ActionReplaceDocument = "replace document"
	// ActionTurnPage: a page of the run's document turned for viewing.
	ActionTurnPage = "turn page"

	// ActionEscalate, ActionPostpone: the run left the queue, with a
	// reason; ActionResume: it was put back before its time.
	ActionEscalate = "send to supervisor"
	ActionPostpone = "postpone"
	ActionResume   = "return to queue"
)

// AuditEntry is one line of a run's append-only history.
type AuditEntry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	OutputID string          `json:"outputId,omitempty"`
	Path     string          `json:"path,omitempty"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
	How      string          `json:"how,omitempty"`
	Note     string          `json:"note,omitempty"`
	Rules    []RuleResult    `json:"rules,omitempty"` // a decision's: what the rules said
}

// Review is the state of a run's review: the draft's edits, its version,
// and the decision once made.
type Review struct {
	Version    int
	Edits      []Edit
	Decision   string // "", "approved", "rejected"
	DecidedBy  string
	DecidedAt  *time.Time
	Note       string
	LastEditor string
	LastEditAt *time.Time
	Claim      Claim // who holds the run, if anyone (an expired claim holds nothing)
	Hold       Hold  // why it is out of the queue, if it is (Hold.Active)
	// Due is when the run is due while it waits; zero when it has no due
	// time (HasDue).
	Due time.Time
}

// Decision names.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// AdminEntry is one line of the admin log.
type AdminEntry struct {
	At                    time.Time
	Actor, Action, Target string
}
