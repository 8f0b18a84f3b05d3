package review

import (
	"encoding/json"
	"strings"
)

// EventChange is what one webhook event asks of reviewer's state. At most one of
// its parts is set; an event that changes nothing (an unknown type) has none.
type EventChange struct {
	Run             *Run     // upsert this run (status rules permitting)
	StepRun         *StepRun // store this step's result against its run
	StepRaw         json.RawMessage
	Output          *Output // a standalone processor run: update the run output with its id
	OutputRaw       json.RawMessage
	Workflow        *Workflow
	WorkflowDeleted bool
	// Arrival is what becomes of Run, as desk.Arrive decided (Arrive); the
	// store keeps a run only as it is told.
	Arrival *Arrival
	// OutputArrival is what becomes of the run holding Output, as
	// desk.Arrive decided (ArriveOutput).
	OutputArrival *OutputArrival
}

// statusOf is the status a workflow_run event asserts, whatever the payload says.
var statusOf = map[string]Status{
	EventRunNeedsReview: StatusNeedsReview,
	EventRunCompleted:   StatusProcessed,
	EventRunFailed:      StatusFailed,
	EventRunRejected:    StatusRejected,
	EventRunCancelled:   StatusCancelled,
}

// processorRunEvents are the standalone run events of both versions whose
// payload is a processor run (2025: processor_run.*; 2026: extract_run.* …).
var processorRunEvents = []string{"processor_run.", "extract_run.", "classify_run.", "split_run."}

// Interpret decodes an event's payload into the change it asks for. Unknown
// event types are not errors: they change nothing and stay stored. Every id
// must be of Extend's alphabet (ValidID): ids go into URLs and file names.
func Interpret(ev Event) (EventChange, error) {
	c, err := interpret(ev, nil)
	if err != nil {
		return EventChange{}, err
	}
	return c, c.checkIDs(ev.ID)
}

// MaxIDLen is the longest id accepted from Extend.
const MaxIDLen = 128

// ValidID reports whether id is of Extend's alphabet: letters, digits, "_"
// and "-", 1 to MaxIDLen of them (workflow_run_xK3…, file_…, exr_…).
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkIDs refuses a change carrying an id outside Extend's alphabet.
func (c EventChange) checkIDs(eventID string) error {
	ids := []string{eventID}
	if r := c.Run; r != nil {
		ids = append(ids, r.ID, r.Workflow.ID)
		for _, f := range r.Files {
			ids = append(ids, f.ID)
		}
		for _, o := range r.Outputs {
			ids = append(ids, o.ID)
		}
	}
	if c.StepRun != nil {
		ids = append(ids, c.StepRun.ID, c.StepRun.RunID)
	}
	if c.Output != nil {
		ids = append(ids, c.Output.ID)
	}
	if c.Workflow != nil {
		ids = append(ids, c.Workflow.ID)
	}
	for _, id := range ids {
		if id != "" && !ValidID(id) { // absent ids are the decoders' to refuse
			return Errorf(EINVALID, "id %q is not an Extend id (letters, digits, _ and -, at most %d)", truncate(id, 80), MaxIDLen)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// interpret decodes ev's payload, parsed already when tree is not nil.
func interpret(ev Event, tree *node) (EventChange, error) {
	p := ev.Payload
	if len(p) == 0 || string(p) == "null" {
		return EventChange{}, Errorf(EINVALID, "event %s has no payload", ev.Type)
	}
	switch {
	case ev.Type == EventStepRunProcessed:
		s, err := DecodeStepRun(p)
		if err != nil {
			return EventChange{}, err
		}
		if s.RunID == "" {
			return EventChange{}, Errorf(EINVALID, "step run %s has no workflowRunId", s.ID)
		}
		return EventChange{StepRun: s, StepRaw: p}, nil
	case strings.HasPrefix(ev.Type, "workflow_run."):
		var r *Run
		var err error
		if tree != nil {
			r, err = decodeRun(tree, p)
		} else {
			r, err = DecodeRun(p)
		}
		if err != nil {
			return EventChange{}, err
		}
		if s, ok := statusOf[ev.Type]; ok {
			r.Status = s
		}
		return EventChange{Run: r}, nil
	case strings.HasPrefix(ev.Type, "workflow."):
		w, err := DecodeWorkflow(p)
		if err != nil {
			return EventChange{}, err
		}
		return EventChange{Workflow: &w, WorkflowDeleted: ev.Type == EventWorkflowDeleted}, nil
	}
	for _, prefix := range processorRunEvents {
		if strings.HasPrefix(ev.Type, prefix) {
			o, err := decodeProcessorRun(p)
			if err != nil {
				return EventChange{}, err
			}
			if o.ID == "" {
				return EventChange{}, Errorf(EINVALID, "processor run has no id")
			}
			return EventChange{Output: o, OutputRaw: p}, nil
		}
	}
	return EventChange{}, nil
}
