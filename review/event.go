package review

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Event types reviewer acts on. Others are stored and listed but change nothing.
const (
	EventRunNeedsReview   = "workflow_run.needs_review"
	EventRunCompleted     = "workflow_run.completed"
	EventRunFailed        = "workflow_run.failed"
	EventRunRejected      = "workflow_run.rejected"
	EventRunCancelled     = "workflow_run.cancelled"
	EventStepRunProcessed = "workflow_run.step_run.processed"
	EventWorkflowCreated  = "workflow.created"
	EventWorkflowDeployed = "workflow.deployed"
	EventWorkflowDeleted  = "workflow.deleted"
)

// Event is a webhook delivery as Extend sends it: {eventId, eventType, payload}.
type Event struct {
	ID         string
	Type       string
	Payload    json.RawMessage
	ReceivedAt time.Time
}

// DecodeEvent reads the envelope of a webhook body. It checks only what the
// receiver must know before acknowledging; the payload is interpreted later.
//
// It runs on every delivery, so it scans the body once to validate it and
// then walks only the top level (encoding/json would scan the payload twice
// more); the payload is a slice of body, not a copy.
func DecodeEvent(body []byte) (Event, error) {
	if !validJSON(body) {
		var v any
		err := json.Unmarshal(body, &v) // for the position of the fault
		return Event{}, Errorf(EINVALID, "body is not a JSON object: %v", jsonProblem(err))
	}
	members, ok := topLevel(body)
	if !ok {
		return Event{}, Errorf(EINVALID, "body is not a JSON object")
	}
	var ev Event
	var id, typ json.RawMessage
	for _, m := range members {
		switch m.Key {
		case "eventId":
			id = m.Value
		case "eventType":
			typ = m.Value
		case "payload":
			ev.Payload = m.Value
		}
	}
	payload := ev.Payload
	ev, err := envelope(id, typ)
	ev.Payload = payload
	return ev, err
}

// envelope checks an event's id and type.
func envelope(id, typ json.RawMessage) (Event, error) {
	var ev Event
	if json.Unmarshal(id, &ev.ID) != nil || strings.TrimSpace(ev.ID) == "" {
		return Event{}, Errorf(EINVALID, "eventId must be a non-empty string")
	}
	if json.Unmarshal(typ, &ev.Type) != nil || strings.TrimSpace(ev.Type) == "" {
		return Event{}, Errorf(EINVALID, "eventType must be a non-empty string")
	}
	if len(ev.ID) > 200 || len(ev.Type) > 200 {
		return Event{}, Errorf(EINVALID, "eventId and eventType must be at most 200 bytes")
	}
	return ev, nil
}

// topLevel splits a valid JSON document's top-level object into members
// (the last of a repeated key wins, as with encoding/json). Keys with escapes
// are decoded; values are slices of doc. ok is false when doc is not an
// object. doc must be valid JSON.
func topLevel(doc []byte) (ms []member, ok bool) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = skipSpace(doc, i)
		if doc[i] == '}' {
			return ms, true
		}
		if doc[i] == ',' {
			i = skipSpace(doc, i+1)
		}
		kEnd := skipString(doc, i)
		var key string
		if json.Unmarshal(doc[i:kEnd], &key) != nil {
			return nil, false
		}
		i = skipSpace(doc, kEnd)
		i = skipSpace(doc, i+1) // the colon
		vEnd := skipValue(doc, i)
		ms = append(ms, member{Key: key, Value: doc[i:vEnd]})
		i = vEnd
	}
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at doc[i].
func skipString(doc []byte, i int) int {
	for i++; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index just past the value starting at doc[i].
func skipValue(doc []byte, i int) int {
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		depth := 0
		for ; i < len(doc); i++ {
			switch doc[i] {
			case '"':
				i = skipString(doc, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(doc) && doc[i] != ',' && doc[i] != '}' && doc[i] != ']' && doc[i] != ' ' && doc[i] != '\t' && doc[i] != '\n' && doc[i] != '\r' {
		i++
	}
	return i
}

// jsonProblem shortens encoding/json's messages to the part a sender can use.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " must be " + te.Type.String() + ", not " + te.Value
	}
	return err.Error()
}

// SignedDataURL reports whether payload is a signed download link to the real
// payload, as Extend sends large events: {"object":"signed_data_url","data":URL}
// (or a bare {"data":URL}).
func SignedDataURL(payload json.RawMessage) (string, bool) {
	root, err := parseTree(payload)
	if err != nil {
		return "", false
	}
	return signedDataURL(root)
}

func signedDataURL(p *node) (string, bool) {
	data := p.get("data")
	if data == nil || data.kind != '"' {
		return "", false
	}
	url, object := unquote(data.raw), ""
	if o := p.get("object"); o != nil && o.kind == '"' {
		object = unquote(o.raw)
	} else if o != nil && !o.isNull() {
		return "", false
	}
	if object == "signed_data_url" || (object == "" && strings.HasPrefix(url, "https://")) {
		return url, true
	}
	return "", false
}

// InterpretStored is DecodeEvent and Interpret of a stored webhook body in
// one parse: the two would read a run's payload, tens of kilobytes, three
// times over. A payload that is a signed data URL is not interpreted: its
// link is returned, for the caller to fetch and Interpret.
func InterpretStored(body []byte) (c EventChange, link string, err error) {
	root, err := parseTree(body)
	if err != nil {
		return EventChange{}, "", Errorf(EINVALID, "body is not a JSON object: %v", ErrorMessage(err))
	}
	if root.kind != '{' {
		return EventChange{}, "", Errorf(EINVALID, "body is not a JSON object")
	}
	ev, err := envelope(root.get("eventId").rawOr(), root.get("eventType").rawOr())
	if err != nil {
		return EventChange{}, "", err
	}
	p := root.get("payload")
	if p != nil && p.kind == '{' {
		if link, ok := signedDataURL(p); ok {
			return EventChange{}, link, nil
		}
	}
	if p != nil {
		ev.Payload = p.raw
	}
	c, err = interpret(ev, p)
	if err != nil {
		return EventChange{}, "", err
	}
	return c, "", c.checkIDs(ev.ID)
}

// StoredEvent is a webhook event as kept: what Extend sent, its state and
// what went wrong with it.
type StoredEvent struct {
	Seq      int64
	Event    Event
	Body     []byte // the raw request body
	State    string // pending, done, failed
	Attempts int
	Error    string
	Resolved []byte // payload fetched from a signed data URL, if any
}

// EventOutcome is the result of interpreting one pending event: the change it
// asks for, or why it could not be interpreted.
type EventOutcome struct {
	Seq    int64
	Change EventChange
	Err    error
}

// Applied tells what applying events changed, for live updates.
type Applied struct {
	Runs []string // ids of runs that changed
}

// FileTask is a document still to be fetched.
type FileTask struct {
	ID         string
	Attempts   int
	APIVersion string // of a run that holds it: the version to ask Extend in
}

// Fetched is a document fetched for a file whose bytes are stored, to be
// kept with others in one write: the file's blob and size, and what
// measuring it learnt.
type Fetched struct {
	FileID   string
	Blob     string
	Size     int64
	Doc      Document
	Measured bool // Doc is kept; otherwise the document is measured later
}
