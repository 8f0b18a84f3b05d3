package review

import (
	"encoding/json"
	"slices"
	"time"
)

// Kept is what is kept of a run when an event about it arrives: its
// status, how it was routed, since when it has waited for review (zero:
// never) and when it is due (zero: never waited); all empty for a run not
// seen before; and the documents it shows, as stored (in order), by
// which a workflow without key fields keys it.
type Kept struct {
	Status    Status
	Routed    string
	Queued    time.Time
	Due       time.Time
	Documents []StoredDocument
}

// Same reports whether two readings of what is kept of a run agree.
func (k Kept) Same(o Kept) bool {
	return k.Status == o.Status && k.Routed == o.Routed && k.Queued.Equal(o.Queued) && k.Due.Equal(o.Due) && slices.Equal(k.Documents, o.Documents)
}

// ArrivalRules are a workflow's rules that decide what an arriving run
// becomes: its routing rule (nil: none), its validation rules (which the
// routing rule may count), the share of the runs Extend completed that QA
// draws, its duplicate key fields (none: the checksum of its first
// document stored, DocumentKey), the metadata field that
// holds Extend's due time (the DueFieldSetting, the same for every
// workflow; "" none) and the workflow's service level (0 none).
type ArrivalRules struct {
	Routing   *RoutingRule
	Checks    []Rule
	QAPercent int
	KeyFields []string
	DueField  string
	Within    time.Duration
}

// Same reports whether two readings of a workflow's rules agree: a
// decision made on one is kept only while the other says the same.
func (a ArrivalRules) Same(b ArrivalRules) bool {
	if (a.Routing == nil) != (b.Routing == nil) || a.QAPercent != b.QAPercent || a.DueField != b.DueField || a.Within != b.Within || !slices.Equal(a.KeyFields, b.KeyFields) ||
		!slices.EqualFunc(a.Checks, b.Checks, sameRule) {
		return false
	}
	if a.Routing == nil {
		return true
	}
	x, y := *a.Routing, *b.Routing
	if (x.Below == nil) != (y.Below == nil) || x.Below != nil && *x.Below != *y.Below {
		return false
	}
	x.Below, y.Below = nil, nil
	return x == y
}

func sameRule(a, b Rule) bool {
	return slices.Equal(a.Fields, b.Fields) && a.Name == b.Name && a.Expr == b.Expr && a.Message == b.Message && a.Severity == b.Severity && a.Each == b.Each && a.Disabled == b.Disabled
}

// Arriving is what is known of a run where what it becomes is decided.
type Arriving struct {
	Kept  Kept
	Rules ArrivalRules
	// Fetched is, for each file the event names, the document fetched
	// for it ("" not yet): a run keyed by its document may arrive with
	// it stored already.
	Fetched map[string]string
	Now     time.Time // when it arrives: a run that waits and Extend did not say since when waits from now
	// FailsRules says whether a blocking validation rule fails on the run,
	// given its duplicate key (rules may ask whether an earlier run has
	// it). Asked only when the routing rule counts failing rules.
	FailsRules func(key string) (bool, error)
}

// Arrival is what becomes of a run an event brings: nothing (Apply false),
// or the run kept with Status and Routed, keyed by DupKey, drawn for QA
// when QASample, waiting since Queued and due at Due (DueMeta: the time
// Extend sent; zero times: none). It holds, too, what it was decided on
// (Kept, Rules, Fetched): the store keeps it only while they still hold.
// Documents are the run's documents once it is kept.
type Arrival struct {
	Apply    bool
	Status   Status
	Routed   string
	DupKey   string
	QASample bool
	Queued   time.Time
	DueMeta  time.Time
	Due      time.Time

	Documents []StoredDocument

	Kept    Kept
	Rules   ArrivalRules
	Fetched map[string]string
}

// ToReview reports whether a routing outcome sends a run to review.
func ToReview(routed string) bool {
	return routed == RoutedLow || routed == RoutedSample || routed == RoutedRules
}

// Arrive decides what becomes of run, arriving by an event: the one place
// that says whether a run goes to review, whether QA draws it, its
// duplicate key (by its workflow's key fields, else by its first document
// stored: DocumentKey) and its due time. A run never leaves a decided status or goes back a stage
// (Status.Advances); one that arrives already completed, not seen before,
// takes its workflow's routing outcome (RoutingRule.Route), made knowing
// its duplicate key, and goes to review when the outcome says so; if it
// does not, QA draws it at the workflow's rate: the check measures the
// model alone. Extend's completion of a run that routing sent to review
// changes nothing: the quality check here owns the run. When it is due is
// decided here too (arriveDue).
func Arrive(run *Run, in Arriving) (Arrival, error) {
	kept := in.Kept
	if !kept.Status.Advances(run.Status) || ToReview(kept.Routed) && run.Status == StatusProcessed {
		return Arrival{Documents: kept.Documents, Kept: kept, Rules: in.Rules, Fetched: in.Fetched}, nil
	}
	a := Arrival{Apply: true, Status: run.Status, Routed: kept.Routed, Kept: kept, Rules: in.Rules, Fetched: in.Fetched}
	a.Documents = ArrivingDocuments(kept.Documents, run.Files, in.Fetched)
	a.DupKey = DuplicateKey(run, in.Rules.KeyFields)
	if len(in.Rules.KeyFields) == 0 {
		a.DupKey = DocumentKey(a.Documents)
	}
	if kept.Status == "" && run.Status == StatusProcessed {
		if rule := in.Rules.Routing; rule != nil {
			fails := false
			if rule.FailingRules && in.FailsRules != nil {
				var err error
				if fails, err = in.FailsRules(a.DupKey); err != nil {
					return Arrival{}, err
				}
			}
			a.Routed = rule.Route(run, fails)
			if ToReview(a.Routed) {
				a.Status = StatusNeedsReview
			}
		}
		a.QASample = a.Status == StatusProcessed && (QARule{SamplePercent: in.Rules.QAPercent}).Sample(run.ID, nil, false)
	}
	a.Queued, a.DueMeta, a.Due = arriveDue(run, a.Status, in)
	return a, nil
}

// arriveDue decides since when a run that arrives with status waits for
// review and when it is due, and the due time Extend sent: one that goes
// to review waits since it began (Run.WaitingSince) and is due as DueAt
// says; one that waited already keeps waiting since then, and keeps its
// due time unless Extend sends one. Times are to the millisecond, as they
// are kept, so that a decision compares equal with what it made.
func arriveDue(run *Run, status Status, in Arriving) (queued, meta, due time.Time) {
	if status == StatusNeedsReview {
		since := run.WaitingSince(in.Now)
		var m *time.Time
		if t, ok := DueFromMetadata(run.Raw, in.Rules.DueField); ok {
			m, meta = &t, t
		}
		queued, due = since, DueAt(since, m, in.Rules.Within)
	}
	if !in.Kept.Queued.IsZero() {
		queued = in.Kept.Queued
		if meta.IsZero() {
			due = in.Kept.Due
		}
	}
	return toMilli(queued), toMilli(meta), toMilli(due)
}

// toMilli is t to the millisecond, the zero time staying zero.
func toMilli(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Holder is the run holding an output, as read where a standalone output
// event is decided: its id ("" when none does), workflow, status and
// stored payload.
type Holder struct {
	RunID      string
	WorkflowID string
	Status     Status
	Payload    json.RawMessage
}

// OutputArrival is what a standalone processor run event makes of the run
// holding its output: nothing (Run nil), or Run, its payload with the
// output spliced in, keyed by DupKey when its workflow has key fields
// (Keyed; else the run keeps its key, the file's checksum). It holds, too,
// what it was decided on (Held, KeyFields): the store writes it only while
// they still hold.
type OutputArrival struct {
	Run    *Run
	DupKey string
	Keyed  bool

	Held      Holder
	KeyFields []string
}

// ArriveOutput decides what output o, brought by a standalone processor
// run event with payload raw, makes of the run held that holds it, whose
// workflow keys runs by keyFields: its payload with the output spliced in
// (Splice) and its duplicate key anew, unless no run under review here
// holds it.
func ArriveOutput(o *Output, raw json.RawMessage, held Holder, keyFields []string) (OutputArrival, error) {
	a := OutputArrival{Held: held, KeyFields: keyFields}
	if held.RunID == "" || held.Status.Decided() {
		return a, nil
	}
	run, err := DecodeRun(held.Payload)
	if err != nil {
		return a, err
	}
	for _, have := range run.Outputs {
		if have.ID != o.ID || have.Location == nil {
			continue
		}
		next, err := Splice(run.Raw, have.Location, raw)
		if err != nil {
			return a, err
		}
		if a.Run, err = DecodeRun(next); err != nil {
			return a, err
		}
		if len(keyFields) > 0 {
			a.DupKey, a.Keyed = DuplicateKey(a.Run, keyFields), true
		}
		return a, nil
	}
	return a, nil
}
