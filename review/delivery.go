package review

import (
	"strings"
	"time"
)

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

// ErrDestinationsChanged is an outbox event the store did not write because
// the destinations changed after desk read them to choose its own: desk
// reads and chooses again.
var ErrDestinationsChanged = Errorf(ECONFLICT, "The destinations changed while this was being sent on; try again.")

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
	OutboxEvalItem   = "eval_item"   // one output as an item of an Extend evaluation set, sent in batches
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
	APIURL        string // an Extend call's, from its workflow's rule; empty: the server's
	APIKey        string
	Body          []byte
	State         string
	Attempts      int
	LastStatus    int
	LastError     string
	LastSnippet   string // the start of the last answer's body
	Result        string // what Extend made of it: an evaluation-set item's id
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	NextAttemptAt time.Time // a pending item's
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
