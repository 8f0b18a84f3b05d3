package review

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DecodeRun interprets a workflow run payload of either API version. The
// version is recognised by shape: 2025-04-21 runs carry outputs[], 2026-02-09
// runs carry results in stepRuns[].result.
func DecodeRun(raw json.RawMessage) (*Run, error) {
	root, err := parseTree(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "workflow run: %v", err)
	}
	return decodeRun(root, raw)
}

// decodeRun is DecodeRun of raw parsed into root.
func decodeRun(root *node, raw json.RawMessage) (*Run, error) {
	var rd reader
	if rd.object(root, "workflow run") == nil {
		return nil, orInvalid(rd.err, "workflow run is not an object")
	}
	if obj := rd.str(root.get("object"), "object"); obj != "" && obj != "workflow_run" {
		return nil, Errorf(EINVALID, "payload is a %q, not a workflow_run", obj)
	}
	r := &Run{
		ID:            rd.str(root.get("id"), "id"),
		Name:          rd.str(root.get("name"), "name"),
		Status:        Status(rd.str(root.get("status"), "status")),
		ReviewedBy:    firstNonEmpty(rd.str(root.get("reviewedByUser"), "reviewedByUser"), rd.str(root.get("reviewedBy"), "reviewedBy")),
		RejectionNote: rd.str(root.get("rejectionNote"), "rejectionNote"),
		DashboardURL:  firstNonEmpty(rd.str(root.get("dashboardUrl"), "dashboardUrl"), rd.str(root.get("url"), "url")),
		Raw:           raw,
	}
	if !strings.HasPrefix(r.ID, "workflow_run") {
		return nil, orInvalid(rd.err, fmt.Sprintf("workflow run id %q does not start with workflow_run", r.ID))
	}
	if at := rd.str(root.get("reviewedAt"), "reviewedAt"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, Errorf(EINVALID, "reviewedAt %q is not an RFC 3339 time", at)
		}
		r.ReviewedAt = &t
	}
	if at := rd.str(root.get("initialRunAt"), "initialRunAt"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, Errorf(EINVALID, "initialRunAt %q is not an RFC 3339 time", at)
		}
		r.StartedAt = t
	}
	r.Workflow = rd.workflow(root.get("workflow"))
	if v := rd.object(root.get("workflowVersion"), "workflowVersion"); v != nil {
		r.Workflow.Version = rd.str(v.get("version"), "workflowVersion.version")
	}
	for i, f := range rd.array(root.get("files"), "files") {
		r.Files = append(r.Files, rd.file(f, "files["+strconv.Itoa(i)+"]"))
	}
	r.APIVersion = Version2026
	if outs := root.get("outputs"); outs != nil && outs.kind == '[' {
		r.APIVersion = Version2025
		for i, o := range outs.kids {
			out := rd.processorRun(o, "outputs["+strconv.Itoa(i)+"]", "")
			if out != nil {
				out.Location = []string{"outputs", strconv.Itoa(i)}
				r.Outputs = append(r.Outputs, *out)
			}
		}
	}
	for i, s := range rd.array(root.get("stepRuns"), "stepRuns") {
		sr := rd.stepRun(s, "stepRuns["+strconv.Itoa(i)+"]")
		if sr == nil {
			continue
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
	if rd.err != nil {
		return nil, rd.err
	}
	r.defaultFiles()
	return r, nil
}

func orInvalid(err error, msg string) error {
	if err != nil {
		return err
	}
	return Errorf(EINVALID, "%s", msg)
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
		for _, bs := range [][]Block{p.Blocks, p.Words} {
			for j := range bs {
				if bs[j].Ref.FileID == "" {
					bs[j].Ref.FileID = p.FileID
				}
			}
		}
	}
}

func (rd *reader) workflow(n *node) Workflow {
	if rd.object(n, "workflow") == nil {
		return Workflow{}
	}
	return Workflow{
		ID:      rd.str(n.get("id"), "workflow.id"),
		Name:    rd.str(n.get("name"), "workflow.name"),
		Version: rd.str(n.get("version"), "workflow.version"),
	}
}

// DecodeWorkflow interprets a workflow.* event's payload.
func DecodeWorkflow(raw json.RawMessage) (Workflow, error) {
	root, err := parseTree(raw)
	if err != nil {
		return Workflow{}, Errorf(EINVALID, "workflow: %v", err)
	}
	var rd reader
	w := rd.workflow(root)
	if rd.err == nil && w.ID == "" {
		rd.err = Errorf(EINVALID, "workflow has no id")
	}
	return w, rd.err
}

func (rd *reader) file(n *node, path string) File {
	if rd.object(n, path) == nil {
		return File{}
	}
	f := File{
		ID:           rd.str(n.get("id"), path+".id"),
		Name:         rd.str(n.get("name"), path+".name"),
		Type:         rd.str(n.get("type"), path+".type"),
		ParentFileID: rd.str(n.get("parentFileId"), path+".parentFileId"),
	}
	if m := rd.object(n.get("metadata"), path+".metadata"); m != nil {
		f.PageCount = rd.int(m.get("pageCount"), path+".metadata.pageCount")
	}
	return f
}

// processorRun reads a 2025-04-21 document_processor_run or a 2026
// extract_run, classify_run or split_run.
// processorRun reads a processor run; known is its type where the place it
// came from says (a step result's member), for a run that does not.
func (rd *reader) processorRun(n *node, path string, known OutputType) *Output {
	if rd.object(n, path) == nil {
		return nil
	}
	o := &Output{
		ID:       rd.str(n.get("id"), path+".id"),
		Type:     OutputType(rd.str(n.get("type"), path+".type")),
		Name:     rd.str(n.get("processorName"), path+".processorName"),
		Reviewed: rd.boolean(n.get("reviewed"), path+".reviewed"),
		Edited:   rd.boolean(n.get("edited"), path+".edited"),
		Value:    n.get("output").rawOr(),
		Config:   n.get("config").rawOr(),
	}
	if in := n.get("initialOutput"); !in.isNull() {
		o.Initial = json.RawMessage(in.raw)
	}
	if o.Type == "" {
		switch rd.str(n.get("object"), path+".object") {
		case "extract_run":
			o.Type = OutputExtract
		case "classify_run":
			o.Type = OutputClassify
		case "split_run":
			o.Type = OutputSplitter
		default:
			o.Type = known
		}
	}
	for _, k := range []string{"extractor", "classifier", "splitter"} {
		if x := rd.object(n.get(k), path+"."+k); x != nil && o.Name == "" {
			o.Name = rd.str(x.get("name"), path+"."+k+".name")
		}
	}
	if f := rd.object(n.get("file"), path+".file"); f != nil {
		if id := rd.str(f.get("id"), path+".file.id"); id != "" {
			o.FileIDs = append(o.FileIDs, id)
		}
	}
	for i, f := range rd.array(n.get("files"), path+".files") {
		if id := rd.file(f, path+".files["+strconv.Itoa(i)+"]").ID; id != "" {
			o.FileIDs = append(o.FileIDs, id)
		}
	}
	out := n.get("output")
	switch o.Type {
	case OutputExtract:
		o.Form, o.Fields = rd.extract(out, n.get("config"), path+".output")
	case OutputClassify:
		o.Class, o.Classes = rd.classify(out, n.get("config"), path)
	case OutputSplitter:
		o.Splits = rd.splits(out, path+".output")
		o.Classes = rd.classOptions(n.get("config"), path, "splitClassifications")
	}
	return o
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
	root, err := parseTree(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "step run: %v", err)
	}
	var rd reader
	s := rd.stepRun(root, "step run")
	if rd.err != nil {
		return nil, rd.err
	}
	return s, nil
}

func (rd *reader) stepRun(n *node, path string) *StepRun {
	if rd.object(n, path) == nil {
		return nil
	}
	s := &StepRun{
		ID:     rd.str(n.get("id"), path+".id"),
		RunID:  rd.str(n.get("workflowRunId"), path+".workflowRunId"),
		Type:   rd.str(n.get("stepType"), path+".stepType"),
		Status: rd.str(n.get("status"), path+".status"),
	}
	if step := rd.object(n.get("step"), path+".step"); step != nil {
		s.Name = rd.str(step.get("name"), path+".step.name")
		s.Type = firstNonEmpty(rd.str(step.get("type"), path+".step.type"), s.Type)
	}
	result := rd.object(n.get("result"), path+".result")
	for _, r := range stepResults {
		body := result.get(r.key)
		if body.isNull() {
			continue
		}
		out := rd.processorRun(body, path+".result."+r.key, r.typ)
		if out == nil {
			continue
		}
		if out.Name == "" {
			out.Name = s.Name
		}
		out.Location = []string{"result", r.key}
		s.Output = out
		break
	}
	if body := result.get("parseRun"); !body.isNull() {
		s.Parse = rd.parseRun(body, path+".result.parseRun")
	}
	return s
}

// classOptions reads the classes a classifier or splitter is configured
// with, from config's member key.
func (rd *reader) classOptions(config *node, path, key string) []ClassOption {
	var classes []ClassOption
	if cfg := rd.object(config, path+".config"); cfg != nil {
		for i, c := range rd.array(cfg.get(key), path+".config."+key) {
			p := path + ".config." + key + "[" + strconv.Itoa(i) + "]"
			if rd.object(c, p) != nil {
				classes = append(classes, ClassOption{ID: rd.str(c.get("id"), p+".id"), Type: rd.str(c.get("type"), p+".type"), Description: rd.str(c.get("description"), p+".description")})
			}
		}
	}
	return classes
}

func (rd *reader) classify(out, config *node, path string) (*Classification, []ClassOption) {
	classes := rd.classOptions(config, path, "classifications")
	if rd.object(out, path+".output") == nil {
		return nil, classes
	}
	return &Classification{
		ID:         rd.str(out.get("id"), path+".output.id"),
		Type:       rd.str(out.get("type"), path+".output.type"),
		Confidence: rd.num(out.get("confidence"), path+".output.confidence"),
		Insights:   rd.insights(out.get("insights"), path+".output.insights"),
	}, classes
}

func (rd *reader) splits(out *node, path string) []Split {
	if rd.object(out, path) == nil {
		return nil
	}
	var splits []Split
	for _, key := range []string{"subDocuments", "splits"} { // 2025-04-21, 2026-02-09
		for i, s := range rd.array(out.get(key), path+"."+key) {
			p := path + "." + key + "[" + strconv.Itoa(i) + "]"
			if rd.object(s, p) == nil {
				continue
			}
			splits = append(splits, Split{
				ID:               rd.str(s.get("id"), p+".id"),
				Type:             rd.str(s.get("type"), p+".type"),
				ClassificationID: rd.str(s.get("classificationId"), p+".classificationId"),
				Identifier:       rd.str(s.get("identifier"), p+".identifier"),
				Observation:      rd.str(s.get("observation"), p+".observation"),
				Name:             rd.str(s.get("name"), p+".name"),
				FileID:           rd.str(s.get("fileId"), p+".fileId"),
				StartPage:        rd.int(s.get("startPage"), p+".startPage"),
				EndPage:          rd.int(s.get("endPage"), p+".endPage"),
			})
		}
	}
	return splits
}

func (rd *reader) parseRun(n *node, path string) *Parse {
	if rd.object(n, path) == nil {
		return nil
	}
	p := &Parse{ID: rd.str(n.get("id"), path+".id")}
	if f := rd.object(n.get("file"), path+".file"); f != nil {
		p.FileID = rd.str(f.get("id"), path+".file.id")
	}
	out := rd.object(n.get("output"), path+".output")
	for ci, c := range rd.array(out.get("chunks"), path+".output.chunks") {
		cp := path + ".output.chunks[" + strconv.Itoa(ci) + "]"
		if rd.object(c, cp) == nil {
			continue
		}
		for bi, b := range rd.array(c.get("blocks"), cp+".blocks") {
			p.Blocks = rd.block(p.Blocks, b, nil, cp+".blocks["+strconv.Itoa(bi)+"]")
		}
	}
	ocr := rd.object(out.get("ocr"), path+".output.ocr")
	for i, w := range rd.array(ocr.get("words"), path+".output.ocr.words") {
		wp := path + ".output.ocr.words[" + strconv.Itoa(i) + "]"
		if rd.object(w, wp) == nil {
			continue
		}
		ref := Ref{Kind: RefBlock, Page: rd.int(w.get("pageNumber"), wp+".pageNumber")}
		ref.Rect, ref.HasBox = rd.rect(w.get("boundingBox"), wp+".boundingBox")
		p.Words = append(p.Words, Block{ID: "w" + strconv.Itoa(i), Type: "word", Content: rd.str(w.get("content"), wp+".content"), Ref: ref,
			Confidence: rd.float(w.get("confidence"), wp+".confidence")})
	}
	return p
}

// block flattens a parse block and its children, children inheriting the page.
func (rd *reader) block(out []Block, n, parentPage *node, path string) []Block {
	if rd.object(n, path) == nil {
		return out
	}
	meta := rd.object(n.get("metadata"), path+".metadata")
	page := rd.object(meta.get("page"), path+".metadata.page")
	if page == nil {
		page = parentPage
	}
	ref := Ref{Kind: RefBlock}
	if page != nil {
		ref.Page = rd.int(page.get("number"), path+".metadata.page.number")
		ref.PageWidth = rd.float(page.get("width"), path+".metadata.page.width")
		ref.PageHeight = rd.float(page.get("height"), path+".metadata.page.height")
	}
	if bb := n.get("boundingBox"); !bb.isNull() {
		ref.Rect, ref.HasBox = rd.rect(bb, path+".boundingBox")
	} else {
		ref.Rect, ref.HasBox = bounds(rd.polygon(n.get("polygon"), path+".polygon"))
	}
	details := rd.object(n.get("details"), path+".details")
	out = append(out, Block{
		ID:      rd.str(n.get("id"), path+".id"),
		Type:    rd.str(n.get("type"), path+".type"),
		Content: rd.str(n.get("content"), path+".content"),
		Ref:     ref,
		Sheet:   rd.sheet(meta.get("sheet"), path+".metadata.sheet"),
		Cell:    rd.str(details.get("cellReference"), path+".details.cellReference"),
		Formula: rd.str(details.get("formula"), path+".details.formula"),
	})
	for i, c := range rd.array(n.get("children"), path+".children") {
		out = rd.block(out, c, page, path+".children["+strconv.Itoa(i)+"]")
	}
	return out
}

// sheet reads a block's sheet: {index, name} as Extend's API describes
// it, or its name alone.
func (rd *reader) sheet(n *node, path string) string {
	if n != nil && n.kind == '{' {
		return rd.str(n.get("name"), path+".name")
	}
	return rd.str(n, path)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decodeProcessorRun interprets a standalone processor run payload
// (processor_run.*, extract_run.*, classify_run.*, split_run.* events).
func decodeProcessorRun(raw json.RawMessage) (*Output, error) {
	root, err := parseTree(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "processor run: %v", err)
	}
	var rd reader
	o := rd.processorRun(root, "processor run", "")
	if rd.err != nil {
		return nil, rd.err
	}
	if o == nil {
		return nil, Errorf(EINVALID, "processor run is not an object")
	}
	return o, nil
}
