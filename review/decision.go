package review

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Outbound is what a decision sends on, written in the decision's
// transaction (an outbox): the event for the destinations, and the calls
// to Extend's API that its workflow's feedback rule asks for.
type Outbound struct {
	EventID   string
	EventType string
	Body      []byte // the envelope, as sent
	Calls     []ExtendCall
	Items     []ExtendCall  // evaluation-set items, one output each, sent in batches
	NotBefore time.Time     // nothing goes out before: the decision's undo window
	To        []int64       // the destinations desk chose for the event
	Seen      []Destination // the destinations as desk read them to choose
}

// UndoWindow is how long after a decision its maker may take it back; nothing
// is sent on before it closes.
const UndoWindow = 10 * time.Second

// ExtendCall is a call to Extend's API that a decision puts in the outbox.
type ExtendCall struct {
	APIVersion string
	Path       string
	Body       []byte
}

// FeedbackRule is what a workflow's decisions feed back to Extend.
type FeedbackRule struct {
	WorkflowID      string
	EvaluationSetID string // approved outputs become items of this set
	Runs            string // which approved outputs: EvalApproved (or ""), EvalCorrected
	MirrorMetadata  bool   // the review state goes into the run's metadata
	APIURL, APIKey  string // where its calls go; empty: the server's --extend-api-url and key
}

// Which outputs of approved runs become evaluation-set items. A rejection
// says the output is wrong without giving the right one, so it never does.
const (
	EvalApproved  = "approved"  // every output of every approved run
	EvalCorrected = "corrected" // the outputs a reviewer changed
)

// CheckFeedbackRule refuses a rule that cannot be followed.
func CheckFeedbackRule(r FeedbackRule) error {
	switch {
	case r.WorkflowID == "":
		return Errorf(EINVALID, "Say which workflow the rule is for.")
	case r.Runs != "" && r.Runs != EvalApproved && r.Runs != EvalCorrected:
		return Errorf(EINVALID, "Runs must be %q or %q, not %q.", EvalApproved, EvalCorrected, r.Runs)
	case r.APIURL != "" && !strings.HasPrefix(r.APIURL, "https://") && !strings.HasPrefix(r.APIURL, "http://"):
		return Errorf(EINVALID, "%q is not an http(s) URL.", r.APIURL)
	}
	return nil
}

// Document is what was learnt of a document: its kind and the size of each
// page as displayed, or why it cannot be shown.
type Document struct {
	Kind  string
	Pages []PageSize
	Error string // a sentence for the reviewer; no pages then
}

// DecisionEvent is the event a decision sends on, in Extend's envelope:
// workflow_run.completed for an approval, workflow_run.rejected for a
// rejection, the payload the run as reviewed, in the shape and version it
// arrived in. The audit trail, the decision last, travels beside it as
// reviewerAudit, a member Extend's readers ignore.
func DecisionEvent(id string, d Decision, reviewed json.RawMessage, audit []AuditEntry) (Outbound, error) {
	action, eventType := ActionApprove, EventRunCompleted
	if !d.Approved {
		action, eventType = ActionReject, EventRunRejected
	}
	audit = append(audit, AuditEntry{At: d.At, Actor: d.By, Action: action, Note: d.Note, Rules: d.Rules})
	body, err := json.Marshal(struct {
		EventID   string          `json:"eventId"`
		EventType string          `json:"eventType"`
		Payload   json.RawMessage `json:"payload"`
		Audit     []AuditEntry    `json:"reviewerAudit"`
	}{id, eventType, reviewed, audit})
	if err != nil {
		return Outbound{}, err
	}
	return Outbound{EventID: id, EventType: eventType, Body: body}, nil
}

// FeedbackCalls are the calls a decision makes to Extend under its
// workflow's rule: the review state merged into the run's metadata
// (calls), and each approved output the rule takes as an evaluation-set
// item, {fileId, expectedOutput} with the reviewed value (items; the
// outbound worker batches them).
//
// An output already in the set (added is AddedItems of the run's earlier
// decisions: it was reopened and decided again) has its item updated in
// place, POST /evaluation_sets/{id}/items/{itemId} {expectedOutput}, so
// the set never holds it twice.
func FeedbackCalls(rule FeedbackRule, run *Run, d Decision, reviewed json.RawMessage, added map[string]string) (calls, items []ExtendCall, err error) {
	add := func(path string, body any) {
		b, _ := json.Marshal(body)
		calls = append(calls, ExtendCall{APIVersion: Version2026, Path: path, Body: b})
	}
	if rule.EvaluationSetID != "" && d.Approved {
		done, err := DecodeRun(reviewed)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range done.Outputs {
			if rule.Runs == EvalCorrected && !o.Edited {
				continue
			}
			expected := ExpectedOutput(o)
			file := ""
			if len(o.FileIDs) > 0 {
				file = o.FileIDs[0]
			} else if len(run.Files) > 0 {
				file = run.Files[0].ID
			}
			if expected == nil || file == "" {
				continue
			}
			b, _ := json.Marshal(map[string]any{"fileId": file, "expectedOutput": expected})
			if id, ok := added[itemKey(b)]; ok {
				add(EvalItemsPath(rule.EvaluationSetID)+"/"+url.PathEscape(id), map[string]any{"expectedOutput": expected})
				continue
			}
			items = append(items, ExtendCall{APIVersion: Version2026, Path: EvalItemsPath(rule.EvaluationSetID), Body: b})
		}
	}
	if rule.MirrorMetadata {
		meta := map[string]any{"reviewer:decision": map[bool]string{true: DecisionApproved, false: DecisionRejected}[d.Approved],
			"reviewer:reviewedBy": d.By, "reviewer:reviewedAt": d.At.UTC().Format(time.RFC3339)}
		if !d.Approved {
			meta["reviewer:rejectionNote"] = d.Note
		}
		add("/workflow_runs/"+url.PathEscape(run.ID), map[string]any{"metadata": meta})
	}
	return calls, items, nil
}

// AddedItems are the ids of a run's outputs that Extend took into an
// evaluation set, from what its decisions sent (the outbox's items), by
// file and kind of output.
func AddedItems(sent []Delivery, setID string) map[string]string {
	added := map[string]string{}
	for _, c := range sent {
		if c.Kind == OutboxEvalItem && c.State == DeliveryDelivered && c.Result != "" && c.Path == EvalItemsPath(setID) {
			added[itemKey(c.Body)] = c.Result
		}
	}
	return added
}

// itemKey tells an evaluation-set item's output: its file, and the kind
// of its expected output (value, id and type, or splits), since one file
// may have an extraction and a classification.
func itemKey(item []byte) string {
	var it struct {
		FileID   string                     `json:"fileId"`
		Expected map[string]json.RawMessage `json:"expectedOutput"`
	}
	json.Unmarshal(item, &it)
	return it.FileID + " " + strings.Join(slices.Sorted(maps.Keys(it.Expected)), ",")
}

// EvalItemsPath is where items of an evaluation set are created.
func EvalItemsPath(setID string) string {
	return "/evaluation_sets/" + url.PathEscape(setID) + "/items"
}

// EvalSetOf is the evaluation set an items path names.
func EvalSetOf(path string) string {
	id, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/evaluation_sets/"), "/items"))
	return id
}

// ExportFilter selects decided runs for an export.
type ExportFilter struct {
	WorkflowID string
	From, To   time.Time // decided in [From, To); zero: unbounded
}

// ExportedRun is one decided run as it was sent on, with how it stood in
// the queue: its due time, the hold it was under when decided, and the
// earliest other run it duplicates.
type ExportedRun struct {
	ID, WorkflowID, Decision, DecidedBy string
	DecidedAt                           time.Time
	Payload                             json.RawMessage // the reviewed run, in Extend's shape
	QueuedAt                            time.Time       // when it began to wait
	DueAt                               time.Time       // see HasDue
	Hold                                Hold            // Kind "" when it was never held
	Duplicate                           *Duplicate
}

// Late says whether the run was decided after its due time; a run with no
// due time never is.
func (r ExportedRun) Late() bool {
	return HasDue(r.DueAt, r.QueuedAt) && r.DecidedAt.After(r.DueAt)
}
