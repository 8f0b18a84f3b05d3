package review

import (
	"encoding/json"
	"slices"
	"time"
)

// API versions whose payload shapes reviewer understands.
const (
	Version2025 = "2025-04-21"
	Version2026 = "2026-02-09"
)

// Status is a workflow run's status as Extend reports it. The set is open:
// an unknown status is kept as it came.
type Status string

// Extend's workflow run statuses.
const (
	StatusPending     Status = "PENDING"
	StatusProcessing  Status = "PROCESSING"
	StatusNeedsReview Status = "NEEDS_REVIEW"
	StatusProcessed   Status = "PROCESSED"
	StatusRejected    Status = "REJECTED"
	StatusFailed      Status = "FAILED"
	StatusCancelled   Status = "CANCELLED"
	StatusCancelling  Status = "CANCELLING"
)

// Decided reports whether s is final: nothing Extend sends later moves a run
// out of it.
func (s Status) Decided() bool {
	return slices.Contains(DecidedStatuses(), s)
}

// stage orders statuses along a run's life, so that late or repeated events
// never move a run backwards.
func (s Status) stage() int {
	switch {
	case s.Decided():
		return 3
	case s == StatusNeedsReview:
		return 2
	case s == StatusCancelling:
		return 1
	}
	return 0
}

// Advances reports whether a run in status from may take status to from a
// newer event: never out of a decided status, never back to an earlier stage.
// A repeat of the same undecided status advances, so its payload is taken.
func (from Status) Advances(to Status) bool {
	if from == "" {
		return true
	}
	if from.Decided() {
		return false
	}
	return to.stage() >= from.stage()
}

// Run is a workflow run: Extend's resource normalised into what a reviewer
// works on, with the payload it came from kept in Raw so a reviewed result can
// be written back in the same shape and version.
type Run struct {
	ID            string
	Name          string
	APIVersion    string
	Status        Status
	Workflow      Workflow
	Files         []File
	Outputs       []Output
	Parses        []Parse
	StepRunIDs    []string // ids of the step runs the payload carries
	ReviewedBy    string
	ReviewedAt    *time.Time
	RejectionNote string
	DashboardURL  string
	StartedAt     time.Time // when the document was first submitted to Extend (initialRunAt); zero if not told
	Raw           json.RawMessage
	// Duplicate is the earliest other run with the same key, as storage
	// found it when the run was read; nil when there is none.
	Duplicate *Duplicate
}

// WaitingSince is when a run that needs review began to wait: when its
// document was submitted to Extend, which is what a customer's turnaround is
// counted from, or now if Extend did not say. A time ahead of now (clocks
// differ) or before the year 2000 (nonsense) counts as now.
func (r *Run) WaitingSince(now time.Time) time.Time {
	if r.StartedAt.IsZero() || r.StartedAt.After(now) || r.StartedAt.Year() < 2000 {
		return now
	}
	return r.StartedAt
}

// Workflow names the workflow (and version) a run belongs to.
type Workflow struct {
	ID      string
	Name    string
	Version string
}

// File is a document of a run.
type File struct {
	ID           string
	Name         string
	Type         string // PDF, IMG, …; open set
	PageCount    int
	ParentFileID string

	// What reviewer holds of it: the blob's hash once fetched, and the state
	// of fetching (pending, fetched, failed) with the last error.
	Blob       string
	FetchState string
	FetchError string
}

// File states.
const (
	FilePending = "pending"
	FileFetched = "fetched"
	FileFailed  = "failed"
)

// RunSummary is what lists show of a run, without its payload.
type RunSummary struct {
	ID            string
	WorkflowID    string
	WorkflowName  string
	APIVersion    string
	Status        Status
	Title         string // the run's name, where it has one ("AWS invoice, July 2014")
	FileName      string
	FileType      string
	PageCount     int
	MinConfidence *float64
	QueuedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Decision      string
	DecidedBy     string
	DecidedAt     *time.Time
	ClaimedBy     string // empty, or who holds the run while ClaimExpires lies ahead
	ClaimExpires  time.Time
	Duplicate     *Duplicate // on the queue's and the API's lists: the earliest other run with the same key
	Hold          Hold       // why it is out of the queue, if it is (Hold.Active)
	DueAt         time.Time  // when it is due, while it waits (see DueAt, HasDue)
	ClaimedAt     *time.Time // since when ClaimedBy holds it
}

// Label is how lists name the run: its title, else its document's name,
// else its id. Two runs of one file are told apart by their titles.
func (s RunSummary) Label() string {
	switch {
	case s.Title != "":
		return s.Title
	case s.FileName != "":
		return s.FileName
	}
	return s.ID
}

// HeldBy returns who holds the run at now, if anyone.
func (s RunSummary) HeldBy(now time.Time) string {
	if s.ClaimedBy != "" && s.ClaimExpires.After(now) {
		return s.ClaimedBy
	}
	return ""
}

// Summary returns the run's list columns.
func (r *Run) Summary() RunSummary {
	s := RunSummary{
		ID: r.ID, WorkflowID: r.Workflow.ID, WorkflowName: r.Workflow.Name,
		APIVersion: r.APIVersion, Status: r.Status, PageCount: r.PageCount(), Duplicate: r.Duplicate,
	}
	s.Title = r.Name
	if len(r.Files) > 0 {
		s.FileName, s.FileType = r.Files[0].Name, r.Files[0].Type
	}
	if c, ok := r.MinConfidence(); ok {
		s.MinConfidence = &c
	}
	return s
}

// OutputType is the kind of processor output.
type OutputType string

// Processor output kinds (Extend's legacy names; 2026 step types map to them).
const (
	OutputExtract  OutputType = "EXTRACT"
	OutputClassify OutputType = "CLASSIFY"
	OutputSplitter OutputType = "SPLITTER"
)

// ExtractForm tells the two shapes of an extraction output apart.
type ExtractForm string

// The extraction output forms.
const (
	FormFieldMap ExtractForm = "field_map"   // legacy {name: {type, value, confidence, references}}
	FormSchema   ExtractForm = "json_schema" // {value, metadata: {PATH: {citations, …}}}
)

// Output is one processor's result in a run.
type Output struct {
	ID       string // exr_, clr_, splr_ or legacy dpr_
	Type     OutputType
	Name     string
	Location []string // JSON path of the processor run inside Run.Raw
	FileIDs  []string
	Reviewed bool
	Edited   bool

	Form   ExtractForm // EXTRACT only
	Fields []Field     // EXTRACT only, in document order, parents before children

	Class   *Classification // CLASSIFY only
	Classes []ClassOption   // CLASSIFY and SPLITTER: the configured classes

	Splits []Split // SPLITTER only

	Value   json.RawMessage // output as received
	Initial json.RawMessage // initialOutput, when Extend sent one
	Config  json.RawMessage

	byPath map[string]int // Fields by path, built by Field
}

// Field returns the field at path, if any. The first lookup indexes the
// fields by path, so looking every field up costs linear time, not square.
func (o *Output) Field(path string) (*Field, bool) {
	if len(o.byPath) != len(o.Fields) {
		o.byPath = make(map[string]int, len(o.Fields))
		for i := range o.Fields {
			o.byPath[o.Fields[i].Path] = i
		}
	}
	i, ok := o.byPath[path]
	if !ok {
		return nil, false
	}
	return &o.Fields[i], true
}

// FieldType is an extracted field's type. Open set: unknown types are kept.
type FieldType string

// Extend's field types.
const (
	TypeString    FieldType = "string"
	TypeNumber    FieldType = "number"
	TypeCurrency  FieldType = "currency"
	TypeEnum      FieldType = "enum"
	TypeBoolean   FieldType = "boolean"
	TypeDate      FieldType = "date"
	TypeArray     FieldType = "array"
	TypeObject    FieldType = "object"
	TypeSignature FieldType = "signature"
	TypeNull      FieldType = "null"
)

// Field is one value of an extraction, addressed by Extend's metadata path
// (invoice_number, line_items[0], line_items[0].description).
type Field struct {
	Path        string
	Name        string // last path segment: "description" or "[0]"
	Depth       int
	Type        FieldType
	Nullable    bool
	Description string
	Value       json.RawMessage
	Confidence  Confidence
	Insights    []Insight
	Enum        []EnumOption
	Refs        []Ref
	// Unreadable says why no rule reads the value: it holds a number
	// written beyond MaxDigits or MaxExponent. Such a payload is kept, not
	// refused; the value is shown as it came until a reviewer corrects it.
	Unreadable string
}

// Confidence is what the model said about a field. Nil means not reported.
type Confidence struct {
	Score       *float64 // legacy confidence, 0..1
	OCR         *float64 // ocrConfidence, 0..1
	Logprobs    *float64 // logprobsConfidence, 0..1
	ReviewAgent *float64 // reviewAgentScore, 1..5
}

// Value returns the single 0..1 figure to sort and colour by: the legacy
// confidence, else OCR confidence, else logprobs, else the review agent score
// mapped onto 0..1 (5 → 1, 1 → 0).
func (c Confidence) Value() (float64, bool) {
	switch {
	case c.Score != nil:
		return *c.Score, true
	case c.OCR != nil:
		return *c.OCR, true
	case c.Logprobs != nil:
		return *c.Logprobs, true
	case c.ReviewAgent != nil:
		return (*c.ReviewAgent - 1) / 4, true
	}
	return 0, false
}

// Insight is a note of the model's: reasoning, issue, review_summary, …
type Insight struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// EnumOption is one allowed value of an enum field.
type EnumOption struct {
	Value       *string `json:"value"` // nil: null is allowed
	Description string  `json:"description,omitempty"`
}

// Classification is a classifier's answer.
type Classification struct {
	ID         string
	Type       string
	Confidence *float64
	Insights   []Insight
}

// ClassOption is a class the classifier could choose.
type ClassOption struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Split is one sub-document found by a splitter. Pages are 1-based, inclusive.
type Split struct {
	ID               string `json:"id,omitempty"`
	Type             string `json:"type"`
	ClassificationID string `json:"classificationId,omitempty"`
	Identifier       string `json:"identifier"`
	Observation      string `json:"observation,omitempty"`
	Name             string `json:"name,omitempty"`
	FileID           string `json:"fileId,omitempty"`
	StartPage        int    `json:"startPage"`
	EndPage          int    `json:"endPage"`
}

// Parse is a PARSE step's result: text blocks with their places on the pages.
type Parse struct {
	ID     string
	FileID string
	Blocks []Block
	// Words are the OCR words (output.ocr.words, when Extend was asked to
	// return them): the text layer of a scanned page, word by word.
	Words []Block
}

// Block is a piece of parsed text (a line, a paragraph, a table cell).
type Block struct {
	ID      string
	Type    string
	Content string
	Ref     Ref
	// Confidence is the OCR's, 0..1, for a word; 0 when not given.
	Confidence float64
	// A spreadsheet's cell, for a block parsed from a workbook: its sheet,
	// the cell or merged range in A1 notation (B2, A1:C1), and its
	// formula with the leading "=", when Extend was asked for them.
	Sheet, Cell, Formula string
}

// StepRun is one step of a workflow run, as workflow_run.step_run.processed
// delivers it.
type StepRun struct {
	ID     string
	RunID  string
	Type   string // PARSE, EXTRACT, CLASSIFY, SPLIT, …
	Name   string
	Status string
	Output *Output // EXTRACT, CLASSIFY, SPLIT results
	Parse  *Parse  // PARSE results
}

// MinConfidence returns the lowest confidence of any field or classification
// in the run, the figure the queue sorts by.
func (r *Run) MinConfidence() (float64, bool) {
	low, ok := 1.0, false
	see := func(v float64) {
		if !ok || v < low {
			low, ok = v, true
		}
	}
	for _, o := range r.Outputs {
		for _, f := range o.Fields {
			if v, has := f.Confidence.Value(); has {
				see(v)
			}
		}
		if o.Class != nil && o.Class.Confidence != nil {
			see(*o.Class.Confidence)
		}
	}
	return low, ok
}

// PageCount is the number of pages in the run's files, as far as Extend said.
func (r *Run) PageCount() int {
	n := 0
	for _, f := range r.Files {
		n += f.PageCount
	}
	return n
}

// RunFilter selects runs for a list. Cursor is opaque, from a previous page.
type RunFilter struct {
	Status     Status
	WorkflowID string
	Limit      int
	Cursor     string
}
