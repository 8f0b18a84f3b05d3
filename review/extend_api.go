package review

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Token prefixes. reviewer's API tokens and Extend's API keys are told apart
// by their first characters, so neither is ever taken for the other: a
// reviewer token is never sent to Extend, and an Extend key given to
// reviewer's API is answered with a sentence saying what it is.
const (
	TokenPrefix     = "rvw_"
	ExtendKeyPrefix = "sk_"
)

// ActionAnnotate is the audit action of a run update: an API caller
// changed its name or metadata.
const ActionAnnotate = "annotate"

// MaxMetadata is the largest a run's metadata may grow through updates:
// Extend's own bound (10 KB), so what reviewer holds can be sent back.
const MaxMetadata = 10_000

// RunUpdate is what callers of the Extend-compatible API changed of a run
// here (POST /workflow_runs/{id}): a name, and metadata keys merged over the
// metadata Extend sent, these winning. It is kept apart from the payload, so
// a later event from Extend replaces the payload without losing it.
type RunUpdate struct {
	Name     *string                    `json:"name,omitempty"`
	Metadata map[string]json.RawMessage `json:"metadata,omitempty"`
}

// Empty reports whether u changes nothing.
func (u RunUpdate) Empty() bool { return u.Name == nil && len(u.Metadata) == 0 }

// Merge returns u with v applied over it: v's name, if any, and v's
// metadata keys over u's.
func (u RunUpdate) Merge(v RunUpdate) RunUpdate {
	out := RunUpdate{Name: u.Name, Metadata: map[string]json.RawMessage{}}
	if v.Name != nil {
		out.Name = v.Name
	}
	for k, val := range u.Metadata {
		out.Metadata[k] = val
	}
	for k, val := range v.Metadata {
		out.Metadata[k] = val
	}
	if len(out.Metadata) == 0 {
		out.Metadata = nil
	}
	return out
}

// Apply returns run (a workflow run payload, valid JSON) with u applied:
// the name replaced, the metadata merged key by key over the payload's,
// Extend's keys first in their order, then the updated ones by name.
// Every other byte stays as it was.
func (u RunUpdate) Apply(run json.RawMessage) (json.RawMessage, error) {
	var err error
	if u.Name != nil {
		name, _ := marshal(*u.Name)
		if run, err = Splice(run, []string{"name"}, name); err != nil {
			return nil, err
		}
	}
	if len(u.Metadata) == 0 {
		return run, nil
	}
	return Splice(run, []string{"metadata"}, u.metadata(run))
}

// MetadataSize is how many bytes the run's metadata takes with u applied.
func (u RunUpdate) MetadataSize(run json.RawMessage) int {
	if len(u.Metadata) == 0 {
		m, _ := At(run, []string{"metadata"})
		return len(m)
	}
	return len(u.metadata(run))
}

// metadata is the run's metadata object with u's keys merged over it.
func (u RunUpdate) metadata(run json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	add := func(k string, v json.RawMessage) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, _ := marshal(k)
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
	}
	if m, ok := At(run, []string{"metadata"}); ok {
		ms, _ := topLevel(m) // not an object (null): nothing to keep
		for _, mb := range ms {
			if _, mine := u.Metadata[mb.Key]; !mine {
				add(mb.Key, mb.Value)
			}
		}
	}
	keys := make([]string, 0, len(u.Metadata))
	for k := range u.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k, u.Metadata[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// summaryMembers are the members of a workflow run that a list shows as
// Extend sent them (WorkflowRunSummary): who ran it, when, on what, at what
// cost.
var summaryMembers = []string{"workflow", "workflowVersion", "initialRunAt", "startTime", "endTime", "batchId", "files", "usage",
	"reviewedByUser", "reviewedBy", "reviewedAt", "rejectionNote"}

// SummaryHead returns the members of a run payload that a list shows, as a
// JSON object, read in one pass over the payload's top level: a list then
// reads this, never the payload. A payload that is not an object gives {}.
func SummaryHead(run json.RawMessage) json.RawMessage {
	ms, _ := topLevel(run)
	var b bytes.Buffer
	b.WriteByte('{')
	for _, m := range ms {
		if !slices.Contains(summaryMembers, m.Key) {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, _ := marshal(m.Key)
		b.Write(key)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// BatchID returns the batchId member of a run payload or of its
// SummaryHead, "" when it has none.
func BatchID(run json.RawMessage) string {
	ms, _ := topLevel(run)
	id := ""
	for _, m := range ms {
		if m.Key == "batchId" {
			json.Unmarshal(m.Value, &id)
		}
	}
	return strings.TrimSpace(id)
}

// ListedRun is a workflow run as the Extend-compatible list shows it: its
// summary columns and the payload's summary members (SummaryHead).
type ListedRun struct {
	RunSummary
	BatchID       string
	RejectionNote string
	Head          json.RawMessage
}

// WorkflowRunFilter selects and orders runs for the Extend-compatible list.
// The order is by SortBy ("updatedAt" or "createdAt"), then by id, so a
// page's last row is a key the next page starts after, however the runs
// change meanwhile.
type WorkflowRunFilter struct {
	Status           Status
	WorkflowID       string
	BatchID          string
	FileNameContains string
	SortBy           string // "updatedAt" or "createdAt"
	Asc              bool
	Limit            int
	After            *ListKey // the last row of the previous page
	// Since and Until bound a pass of a list by updatedAt, newest first,
	// to the runs last changed in [Since, Until) (Until zero: unbounded).
	// A run changed during a pass leaves it for a later one, so it is
	// never skipped, only met again after the runs listed before it.
	Since, Until time.Time
}

// ListKey is a row's place in a list's order.
type ListKey struct {
	At time.Time
	ID string
}

// AddMissing returns doc, a JSON object, with each member of defaults it
// lacks added with its default value, reading doc's top level once.
func AddMissing(doc json.RawMessage, defaults []Member) (json.RawMessage, error) {
	ms, ok := topLevel(doc)
	if !ok {
		return nil, Errorf(EINVALID, "not a JSON object")
	}
	have := make(map[string]bool, len(ms))
	for _, m := range ms {
		have[m.Key] = true
	}
	var err error
	for _, d := range defaults {
		if !have[d.Key] {
			if doc, err = Splice(doc, []string{d.Key}, d.Value); err != nil {
				return nil, err
			}
		}
	}
	return doc, nil
}

// Member is a member of a JSON object: its key and its value's JSON.
type Member struct {
	Key   string
	Value json.RawMessage
}
