package review

import (
	"encoding/json"
	"strconv"
	"time"
)

// Events a destination may subscribe to, by name only (a destination that
// takes every event is not sent these): a run waiting for review passed
// its due time, or the person holding a run has done nothing with it for
// IdleAfter.
const (
	EventRunOverdue = "workflow_run.review_overdue"
	EventClaimIdle  = "workflow_run.review_idle"
)

// IdleAfter is how long a held run may go without a change before its
// claim is idle: a reviewer reads an invoice in a minute or two.
const IdleAfter = 15 * time.Minute

// Alert is a run to tell destinations of, once: Mark is what makes it
// once (the due time it passed, or the claim's start), so a new due time
// or a new claim is told again, and the same never twice.
type Alert struct {
	Type       string     `json:"-"` // EventRunOverdue or EventClaimIdle
	RunID      string     `json:"runId"`
	WorkflowID string     `json:"workflowId"`
	DueAt      *time.Time `json:"dueAt,omitempty"`
	HeldBy     string     `json:"heldBy,omitempty"`
	ClaimedAt  *time.Time `json:"claimedAt,omitempty"`
	LastEditAt *time.Time `json:"lastEditAt,omitempty"`
	Mark       int64      `json:"-"`
}

// AlertEvent is the alert in Extend's envelope; its event id is the same
// every time the same alert is made, so a consumer de-duplicates on it.
func AlertEvent(a Alert) (Outbound, error) {
	id := "evt_rvw_idle_"
	if a.Type == EventRunOverdue {
		id = "evt_rvw_overdue_"
	}
	id += a.RunID + "_" + strconv.FormatInt(a.Mark, 10)
	body, err := json.Marshal(struct {
		EventID   string `json:"eventId"`
		EventType string `json:"eventType"`
		Payload   Alert  `json:"payload"`
	}{id, a.Type, a})
	if err != nil {
		return Outbound{}, err
	}
	return Outbound{EventID: id, EventType: a.Type, Body: body}, nil
}
