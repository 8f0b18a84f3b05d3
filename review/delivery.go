package review

import (
	"strings"
	"time"
)

// MinSecret is the shortest signing secret a destination takes, in
// characters: a shorter one can be guessed, and every delivery signed
// with it forged.
const MinSecret = 16

// Destination is where reviewed runs are sent, signed the way Extend signs.
type Destination struct {
	ID           int64
	URL          string
	Secret       string
	Events       []string // event types; empty: all
	Workflows    []string // workflow ids; empty: all
	AllowPrivate bool     // may reach private and loopback addresses
	Disabled     bool
}

// Wants reports whether the destination takes an event of a workflow.
func (d Destination) Wants(eventType, workflowID string) bool {
	return !d.Disabled && (len(d.Events) == 0 || contains(d.Events, eventType)) && (len(d.Workflows) == 0 || contains(d.Workflows, workflowID))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// Kinds of outbox item.
const (
	OutboxDelivery   = "delivery"    // a decision's event for a destination
	OutboxExtendCall = "extend_call" // a call to Extend's API a feedback rule asks for
)

// Delivery is one item of the outbox on its way: a decision's event to one
// destination (URL, Secret, EventType) or a call to Extend's API
// (APIVersion, Path).
type Delivery struct {
	ID            int64
	Kind          string // OutboxDelivery or OutboxExtendCall
	DestinationID int64
	URL           string
	Secret        string
	AllowPrivate  bool
	RunID         string
	EventID       string
	EventType     string
	APIVersion    string // an Extend call's
	Path          string // an Extend call's, e.g. /evaluation_sets/es_1/items
	Body          []byte
	State         string
	Attempts      int
	LastStatus    int
	LastError     string
	LastSnippet   string // the start of the last answer's body
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// SplitList reads a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
