package review

import (
	"bytes"
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
func DecodeEvent(body []byte) (Event, error) {
	var env struct {
		EventID   any             `json:"eventId"`
		EventType any             `json:"eventType"`
		Payload   json.RawMessage `json:"payload"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&env); err != nil {
		return Event{}, Errorf(EINVALID, "body is not a JSON object: %v", jsonProblem(err))
	}
	if d.More() {
		return Event{}, Errorf(EINVALID, "body has data after the JSON object")
	}
	id, ok := env.EventID.(string)
	if !ok || strings.TrimSpace(id) == "" {
		return Event{}, Errorf(EINVALID, "eventId must be a non-empty string")
	}
	typ, ok := env.EventType.(string)
	if !ok || strings.TrimSpace(typ) == "" {
		return Event{}, Errorf(EINVALID, "eventType must be a non-empty string")
	}
	if len(id) > 200 || len(typ) > 200 {
		return Event{}, Errorf(EINVALID, "eventId and eventType must be at most 200 bytes")
	}
	return Event{ID: id, Type: typ, Payload: env.Payload}, nil
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
	var p struct {
		Object string          `json:"object"`
		Data   json.RawMessage `json:"data"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return "", false
	}
	var url string
	if json.Unmarshal(p.Data, &url) != nil {
		return "", false
	}
	if p.Object == "signed_data_url" || (p.Object == "" && strings.HasPrefix(url, "https://")) {
		return url, true
	}
	return "", false
}
