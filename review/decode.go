package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// runJSON is the part of a workflow run both API versions share, plus each
// version's own names. Unknown members stay in the raw payload.
type runJSON struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Status          Status          `json:"status"`
	Workflow        json.RawMessage `json:"workflow"`
	WorkflowVersion *struct {
		Version json.RawMessage `json:"version"`
	} `json:"workflowVersion"`
	Files          []fileJSON      `json:"files"`
	Outputs        json.RawMessage `json:"outputs"`  // 2025-04-21
	StepRuns       json.RawMessage `json:"stepRuns"` // 2026-02-09 (2025: validations only)
	ReviewedBy     string          `json:"reviewedBy"`
	ReviewedByUser string          `json:"reviewedByUser"`
	ReviewedAt     *time.Time      `json:"reviewedAt"`
	RejectionNote  string          `json:"rejectionNote"`
	URL            string          `json:"url"`
	DashboardURL   string          `json:"dashboardUrl"`
}

type fileJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	ParentFileID string `json:"parentFileId"`
	Metadata     struct {
		PageCount int `json:"pageCount"`
	} `json:"metadata"`
}

func (f fileJSON) file() File {
	return File{ID: f.ID, Name: f.Name, Type: f.Type, PageCount: f.Metadata.PageCount, ParentFileID: f.ParentFileID}
}

// DecodeRun interprets a workflow run payload of either API version. The
// version is recognised by shape: 2025-04-21 runs carry outputs[], 2026-02-09
// runs carry results in stepRuns[].result.
func DecodeRun(raw json.RawMessage) (*Run, error) {
	var j runJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, Errorf(EINVALID, "workflow run: %s", jsonProblem(err))
	}
	if j.Object != "" && j.Object != "workflow_run" {
		return nil, Errorf(EINVALID, "payload is a %q, not a workflow_run", j.Object)
	}
	if !strings.HasPrefix(j.ID, "workflow_run") {
		return nil, Errorf(EINVALID, "workflow run id %q does not start with workflow_run", j.ID)
	}
	r := &Run{
		ID:            j.ID,
		Name:          j.Name,
		Status:        j.Status,
		ReviewedBy:    firstNonEmpty(j.ReviewedByUser, j.ReviewedBy),
		ReviewedAt:    j.ReviewedAt,
		RejectionNote: j.RejectionNote,
		DashboardURL:  firstNonEmpty(j.DashboardURL, j.URL),
		Raw:           raw,
	}
	wf, err := decodeWorkflow(j.Workflow)
	if err != nil {
		return nil, err
	}
	r.Workflow = wf
	if j.WorkflowVersion != nil {
		r.Workflow.Version = scalarString(j.WorkflowVersion.Version)
	}
	for _, f := range j.Files {
		r.Files = append(r.Files, f.file())
	}
	r.APIVersion = Version2026
	if isJSONArray(j.Outputs) {
		r.APIVersion = Version2025
		var outs []json.RawMessage
		if err := json.Unmarshal(j.Outputs, &outs); err != nil {
			return nil, Errorf(EINVALID, "outputs: %s", jsonProblem(err))
		}
		for i, o := range outs {
			out, err := decodeProcessorRun(o)
			if err != nil {
				return nil, fmt.Errorf("outputs[%d]: %w", i, err)
			}
			out.Location = []string{"outputs", strconv.Itoa(i)}
			r.Outputs = append(r.Outputs, *out)
		}
	}
	if isJSONArray(j.StepRuns) {
		var steps []json.RawMessage
		if err := json.Unmarshal(j.StepRuns, &steps); err != nil {
			return nil, Errorf(EINVALID, "stepRuns: %s", jsonProblem(err))
		}
		for i, s := range steps {
			sr, err := DecodeStepRun(s)
			if err != nil {
				return nil, fmt.Errorf("stepRuns[%d]: %w", i, err)
			}
			if sr.ID != "" {
				r.StepRunIDs = append(r.StepRunIDs, sr.ID)
			}
			if sr.Output != nil {
				sr.Output.Location = append([]string{"stepRuns", strconv.Itoa(i)}, sr.Output.Location...)
				r.Outputs = append(r.Outputs, *sr.Output)
			}
			if sr.Parse != nil {
				r.Parses = append(r.Parses, *sr.Parse)
			}
		}
	}
	r.defaultFiles()
	return r, nil
}

// AddStepRun adds a step result delivered on its own (step_run.processed) to
// a run whose payload does not carry that step.
func (r *Run) AddStepRun(raw json.RawMessage) error {
	s, err := DecodeStepRun(raw)
	if err != nil {
		return err
	}
	for _, id := range r.StepRunIDs {
		if id == s.ID {
			return nil
		}
	}
	r.StepRunIDs = append(r.StepRunIDs, s.ID)
	if s.Output != nil {
		s.Output.Location = nil // not in Raw: written back with the step, not the run
		r.Outputs = append(r.Outputs, *s.Output)
	}
	if s.Parse != nil {
		r.Parses = append(r.Parses, *s.Parse)
	}
	r.defaultFiles()
	return nil
}

// defaultFiles points references that name no file at their output's (or the
// run's) first file, so every reference can be drawn on a page.
func (r *Run) defaultFiles() {
	runFile := ""
	if len(r.Files) > 0 {
		runFile = r.Files[0].ID
	}
	for i := range r.Outputs {
		o := &r.Outputs[i]
		file := runFile
		if len(o.FileIDs) > 0 {
			file = o.FileIDs[0]
		}
		for j := range o.Fields {
			for k := range o.Fields[j].Refs {
				if o.Fields[j].Refs[k].FileID == "" {
					o.Fields[j].Refs[k].FileID = file
				}
			}
		}
	}
	for i := range r.Parses {
		p := &r.Parses[i]
		if p.FileID == "" {
			p.FileID = runFile
		}
		for j := range p.Blocks {
			if p.Blocks[j].Ref.FileID == "" {
				p.Blocks[j].Ref.FileID = p.FileID
			}
		}
	}
}

func decodeWorkflow(raw json.RawMessage) (Workflow, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Workflow{}, nil
	}
	var w struct {
		ID      string          `json:"id"`
		Name    string          `json:"name"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Workflow{}, Errorf(EINVALID, "workflow: %s", jsonProblem(err))
	}
	return Workflow{ID: w.ID, Name: w.Name, Version: scalarString(w.Version)}, nil
}

// DecodeWorkflow interprets a workflow.* event's payload.
func DecodeWorkflow(raw json.RawMessage) (Workflow, error) {
	w, err := decodeWorkflow(raw)
	if err == nil && w.ID == "" {
		err = Errorf(EINVALID, "workflow has no id")
	}
	return w, err
}

// processorRunJSON covers a 2025-04-21 document_processor_run and the 2026
// extract_run, classify_run and split_run objects.
type processorRunJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	Type           OutputType      `json:"type"`
	ProcessorName  string          `json:"processorName"`
	Output         json.RawMessage `json:"output"`
	InitialOutput  json.RawMessage `json:"initialOutput"`
	ReviewedOutput json.RawMessage `json:"reviewedOutput"`
	Reviewed       bool            `json:"reviewed"`
	Edited         bool            `json:"edited"`
	Config         json.RawMessage `json:"config"`
	File           *fileJSON       `json:"file"`
	Files          []fileJSON      `json:"files"`
	Extractor      *named          `json:"extractor"`
	Classifier     *named          `json:"classifier"`
	Splitter       *named          `json:"splitter"`
}

type named struct {
	Name string `json:"name"`
}

func decodeProcessorRun(raw json.RawMessage) (*Output, error) {
	var j processorRunJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, Errorf(EINVALID, "processor run: %s", jsonProblem(err))
	}
	if j.Type == "" {
		switch j.Object {
		case "extract_run":
			j.Type = OutputExtract
		case "classify_run":
			j.Type = OutputClassify
		case "split_run":
			j.Type = OutputSplitter
		}
	}
	o := &Output{
		ID:       j.ID,
		Type:     j.Type,
		Name:     j.ProcessorName,
		Reviewed: j.Reviewed,
		Edited:   j.Edited,
		Value:    j.Output,
		Initial:  nullToNil(j.InitialOutput),
		Config:   j.Config,
	}
	for _, n := range []*named{j.Extractor, j.Classifier, j.Splitter} {
		if n != nil && o.Name == "" {
			o.Name = n.Name
		}
	}
	if j.File != nil && j.File.ID != "" {
		o.FileIDs = append(o.FileIDs, j.File.ID)
	}
	for _, f := range j.Files {
		if f.ID != "" {
			o.FileIDs = append(o.FileIDs, f.ID)
		}
	}
	var err error
	switch o.Type {
	case OutputExtract:
		o.Form, o.Fields, err = decodeExtract(j.Output, j.Config)
	case OutputClassify:
		o.Class, o.Classes, err = decodeClassify(j.Output, j.Config)
	case OutputSplitter:
		o.Splits, err = decodeSplits(j.Output)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Type, o.ID, err)
	}
	return o, nil
}

// stepRunJSON is a 2026 workflow_step_run (and the 2025 validation steps).
type stepRunJSON struct {
	ID            string `json:"id"`
	WorkflowRunID string `json:"workflowRunId"`
	Status        string `json:"status"`
	StepType      string `json:"stepType"`
	Step          struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"step"`
	Result map[string]json.RawMessage `json:"result"`
}

// stepResults maps a step result's member to the output type it carries.
var stepResults = []struct {
	key string
	typ OutputType
}{
	{"extractRun", OutputExtract},
	{"classifyRun", OutputClassify},
	{"splitRun", OutputSplitter},
}

// DecodeStepRun interprets one workflow step run (2026-02-09), as found in a
// run's stepRuns or in a workflow_run.step_run.processed event.
func DecodeStepRun(raw json.RawMessage) (*StepRun, error) {
	var j stepRunJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, Errorf(EINVALID, "step run: %s", jsonProblem(err))
	}
	s := &StepRun{
		ID:     j.ID,
		RunID:  j.WorkflowRunID,
		Type:   firstNonEmpty(j.Step.Type, j.StepType),
		Name:   j.Step.Name,
		Status: j.Status,
	}
	for _, r := range stepResults {
		body, ok := j.Result[r.key]
		if !ok || string(body) == "null" {
			continue
		}
		out, err := decodeProcessorRun(body)
		if err != nil {
			return nil, fmt.Errorf("result.%s: %w", r.key, err)
		}
		if out.Type == "" {
			out.Type = r.typ
		}
		if out.Name == "" {
			out.Name = s.Name
		}
		out.Location = []string{"result", r.key}
		s.Output = out
		break
	}
	if body, ok := j.Result["parseRun"]; ok && string(body) != "null" {
		p, err := decodeParseRun(body)
		if err != nil {
			return nil, fmt.Errorf("result.parseRun: %w", err)
		}
		s.Parse = p
	}
	return s, nil
}

func decodeClassify(out, config json.RawMessage) (*Classification, []ClassOption, error) {
	var cfg struct {
		Classifications []ClassOption `json:"classifications"`
	}
	if len(config) > 0 && string(config) != "null" {
		if err := json.Unmarshal(config, &cfg); err != nil {
			return nil, nil, Errorf(EINVALID, "config: %s", jsonProblem(err))
		}
	}
	if len(out) == 0 || string(out) == "null" {
		return nil, cfg.Classifications, nil
	}
	var c struct {
		ID         string    `json:"id"`
		Type       string    `json:"type"`
		Confidence *float64  `json:"confidence"`
		Insights   []Insight `json:"insights"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		return nil, nil, Errorf(EINVALID, "output: %s", jsonProblem(err))
	}
	return &Classification{ID: c.ID, Type: c.Type, Confidence: c.Confidence, Insights: c.Insights}, cfg.Classifications, nil
}

func decodeSplits(out json.RawMessage) ([]Split, error) {
	if len(out) == 0 || string(out) == "null" {
		return nil, nil
	}
	var s struct {
		SubDocuments []Split `json:"subDocuments"` // 2025-04-21
		Splits       []Split `json:"splits"`       // 2026-02-09
	}
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, Errorf(EINVALID, "output: %s", jsonProblem(err))
	}
	return append(s.SubDocuments, s.Splits...), nil
}

func decodeParseRun(raw json.RawMessage) (*Parse, error) {
	var j struct {
		ID   string    `json:"id"`
		File *fileJSON `json:"file"`
		// Output.Chunks[].Blocks[] hold the text; each block says its page.
		Output *struct {
			Chunks []struct {
				Blocks []blockJSON `json:"blocks"`
			} `json:"chunks"`
		} `json:"output"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, Errorf(EINVALID, "parse run: %s", jsonProblem(err))
	}
	p := &Parse{ID: j.ID}
	if j.File != nil {
		p.FileID = j.File.ID
	}
	if j.Output == nil {
		return p, nil
	}
	for _, c := range j.Output.Chunks {
		for _, b := range c.Blocks {
			p.Blocks = append(p.Blocks, b.walk(nil)...)
		}
	}
	return p, nil
}

type blockJSON struct {
	ID       string  `json:"id"`
	Type     string  `json:"type"`
	Content  string  `json:"content"`
	Polygon  []Point `json:"polygon"`
	BBox     *Rect   `json:"boundingBox"`
	Metadata struct {
		Page *pageJSON `json:"page"`
	} `json:"metadata"`
	Children []blockJSON `json:"children"`
}

// walk flattens a block and its children, children inheriting the page.
func (b blockJSON) walk(parent *pageJSON) []Block {
	page := b.Metadata.Page
	if page == nil {
		page = parent
	}
	ref := Ref{Kind: RefBlock}
	if page != nil {
		ref.Page, ref.PageWidth, ref.PageHeight = page.Number, page.Width, page.Height
	}
	if b.BBox != nil {
		ref.Rect, ref.HasBox = *b.BBox, true
	} else {
		ref.Rect, ref.HasBox = bounds(b.Polygon)
	}
	out := []Block{{ID: b.ID, Type: b.Type, Content: b.Content, Ref: ref}}
	for _, c := range b.Children {
		out = append(out, c.walk(page)...)
	}
	return out
}

type pageJSON struct {
	Number int     `json:"number"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

func isJSONArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// scalarString renders a JSON string or number as text ("3" for 3 or "3").
func scalarString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
