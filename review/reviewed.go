package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Paths of the whole-output edits of classifications and splits.
const (
	PathClass  = "class"  // value {id, type}
	PathSplits = "splits" // value [{type, identifier, startPage, endPage, …}]
)

// Decision is a reviewer's verdict on a run.
type Decision struct {
	Approved bool
	Note     string // why it was rejected, or why failing rules were overridden
	By       string // the reviewer's email
	At       time.Time
	Rules    []RuleResult // what the workflow's rules said of the run as decided
	Override bool         // approved over blocking rules, by a supervisor
	QA       bool         // drawn for a blind check by a second person
}

// Records is what the decision records: the audit action, the run's
// decision and the status it leaves the run in.
func (d Decision) Records() (action, decision string, status Status) {
	if d.Approved {
		return ActionApprove, DecisionApproved, StatusProcessed
	}
	return ActionReject, DecisionRejected, StatusRejected
}

// Overrides reports whether the decision approved the run over the failing
// rule r: only a blocking rule is overridden.
func (d Decision) Overrides(r RuleResult) bool {
	return d.Override && r.Severity == SeverityBlock
}

// PageSizer tells the displayed size of a page of a file, to write a
// re-pointed reference in the units Extend uses; zero when unknown.
type PageSizer func(fileID string, page int) PageSize

// WithEdits returns the run as it reads with the edits applied: each
// output's output is the reviewed one. Each edited output is re-read from
// the spliced payload, so its fields, rows and references follow the edits;
// the others are the run's own, not decoded again (a long run's decoding
// is most of the time its review page takes).
func (r *Run) WithEdits(edits []Edit, size PageSizer) (*Run, error) {
	raw, _, err := r.splice(edits, size)
	if err != nil {
		return nil, err
	}
	out := *r
	out.Raw, out.Outputs = raw, slices.Clone(r.Outputs)
	edited := map[string]bool{}
	for _, e := range edits {
		edited[e.OutputID] = true
	}
	for i := range out.Outputs {
		o := &out.Outputs[i]
		if !edited[o.ID] || o.Location == nil {
			continue
		}
		at, _ := At(raw, o.Location)
		root, err := parseTree(at)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o.ID, err)
		}
		var rd reader
		re := rd.processorRun(root, strings.Join(o.Location, "."), o.Type)
		if rd.err != nil {
			return nil, rd.err
		}
		if re == nil {
			return nil, Errorf(EINVALID, "output %s is not an object", o.ID)
		}
		re.Name, re.Location = firstNonEmpty(re.Name, o.Name), o.Location
		*o = *re
	}
	out.defaultFiles()
	return &out, nil
}

// Reviewed returns the run's payload with the review applied, in the shape
// and API version it arrived in: for every output reviewedOutput and output
// are the reviewed result, initialOutput the model's, reviewed is true,
// edited tells whether anything changed and edits lists what did; the run
// says who decided, when, and how, and ends then (endTime).
func (r *Run) Reviewed(edits []Edit, d Decision, size PageSizer) (json.RawMessage, error) {
	raw, changed, err := r.splice(edits, size)
	if err != nil {
		return nil, err
	}
	for _, o := range r.Outputs {
		if o.Location == nil {
			continue
		}
		set := func(key string, v any) error {
			b, ok := v.(json.RawMessage) // kept byte for byte
			if !ok {
				var err error
				if b, err = marshal(v); err != nil {
					return err
				}
			}
			var err error
			raw, err = Splice(raw, append(append([]string{}, o.Location...), key), b)
			return err
		}
		reviewed, _ := At(raw, append(append([]string{}, o.Location...), "output"))
		initial := o.Initial
		if initial == nil {
			initial = o.Value
		}
		steps := []struct {
			key string
			v   any
		}{
			{"initialOutput", initial},
			{"reviewedOutput", json.RawMessage(reviewed)},
			{"reviewed", true},
			{"edited", len(changed[o.ID]) > 0},
		}
		if o.Type == OutputExtract {
			steps = append(steps, struct {
				key string
				v   any
			}{"edits", changed[o.ID]})
		}
		for _, s := range steps {
			if err := set(s.key, s.v); err != nil {
				return nil, fmt.Errorf("output %s: %w", o.ID, err)
			}
		}
	}
	by := "reviewedByUser"
	if r.APIVersion == Version2025 {
		by = "reviewedBy"
	}
	status, note := StatusProcessed, any(nil)
	if !d.Approved {
		status, note = StatusRejected, d.Note
	}
	for _, s := range []struct {
		key string
		v   any
	}{
		{"status", status},
		{"reviewed", true},
		{by, d.By},
		{"reviewedAt", d.At.UTC().Format(time.RFC3339)},
		{"rejectionNote", note},
		{"endTime", d.At.UTC().Format(time.RFC3339)}, // the run ends with its decision
	} {
		b, _ := marshal(s.v)
		if raw, err = Splice(raw, []string{s.key}, b); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// FieldEdit is one entry of Extend's edits map.
type FieldEdit struct {
	OriginalValue json.RawMessage `json:"originalValue"`
	EditedValue   json.RawMessage `json:"editedValue"`
}

// splice applies the edits to the run's payload: each output's output
// becomes the reviewed one. changed lists, per output, the fields whose
// value differs from the model's.
func (r *Run) splice(edits []Edit, size PageSizer) (json.RawMessage, map[string]map[string]FieldEdit, error) {
	raw := r.Raw
	changed := map[string]map[string]FieldEdit{}
	// Parents first: an edit of a whole list (rows added, removed or moved)
	// comes before the edits of its cells made afterwards.
	sorted := append([]Edit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool { return depth(sorted[i].Path) < depth(sorted[j].Path) })
	for _, o := range r.Outputs {
		if o.Location == nil {
			continue
		}
		loc := append(append([]string{}, o.Location...), "output")
		for _, e := range sorted {
			if e.OutputID != o.ID {
				continue
			}
			target, err := o.target(e.Path, r.APIVersion)
			if err != nil {
				return nil, nil, err
			}
			before, _ := At(raw, append(append([]string{}, loc...), target...))
			if raw, err = Splice(raw, append(append([]string{}, loc...), target...), e.Value); err != nil {
				return nil, nil, fmt.Errorf("edit %s: %w", e.Path, err)
			}
			if e.Refs != nil {
				if raw, err = o.spliceRefs(raw, loc, e, r.APIVersion, size); err != nil {
					return nil, nil, fmt.Errorf("edit %s: %w", e.Path, err)
				}
			}
			if orig, ok := o.original(e.Path); !ok || !sameJSON(orig, e.Value) {
				if changed[o.ID] == nil {
					changed[o.ID] = map[string]FieldEdit{}
				}
				if !ok {
					orig = before
				}
				changed[o.ID][e.Path] = FieldEdit{OriginalValue: orig, EditedValue: e.Value}
			} else {
				delete(changed[o.ID], e.Path)
			}
		}
	}
	return raw, changed, nil
}

// target is where a field's value lives inside an output.
func (o *Output) target(path, version string) ([]string, error) {
	switch o.Type {
	case OutputClassify:
		if path != PathClass {
			return nil, Errorf(EINVALID, "a classification is edited as %q", PathClass)
		}
		return nil, nil // the whole output
	case OutputSplitter:
		if path != PathSplits {
			return nil, Errorf(EINVALID, "a split is edited as %q", PathSplits)
		}
		if version == Version2025 {
			return []string{"subDocuments"}, nil
		}
		return []string{"splits"}, nil
	}
	segs, err := PathSegments(path)
	if err != nil {
		return nil, err
	}
	if o.Form == FormFieldMap {
		return append([]string{segs[0], "value"}, segs[1:]...), nil
	}
	return append([]string{"value"}, segs...), nil
}

// Model is the model's value at path (a field, "class" or "splits").
func (o *Output) Model(path string) (json.RawMessage, bool) { return o.original(path) }

// original is the model's value of a field, as received.
func (o *Output) original(path string) (json.RawMessage, bool) {
	switch o.Type {
	case OutputClassify, OutputSplitter:
		t, err := o.target(path, "")
		if err != nil {
			return nil, false
		}
		if len(t) == 0 {
			return o.Value, true
		}
		if v, ok := At(o.Value, t); ok {
			return v, true
		}
		// 2025-04-21 names the sub-documents differently.
		return At(o.Value, []string{"subDocuments"})
	}
	f, ok := o.Field(path)
	if !ok {
		return nil, false
	}
	return f.Value, true
}

// spliceRefs writes a re-pointed reference as Extend would have: legacy
// boundingBoxes, or citations in the API version's form.
func (o *Output) spliceRefs(raw json.RawMessage, loc []string, e Edit, version string, size PageSizer) (json.RawMessage, error) {
	segs, err := PathSegments(e.Path)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, ref := range e.Refs {
		sz := PageSize{Width: 1, Height: 1} // fractions when the page is unknown
		if s := size(ref.FileID, ref.Page); s.Width > 0 {
			sz = s
		}
		if !ref.HasBox { // a cell of a sheet: where by its text alone
			switch {
			case o.Form == FormFieldMap:
				out = append(out, map[string]any{"id": e.Path, "fieldName": e.Path, "page": ref.Page, "boundingBoxes": []Rect{}})
			case version == Version2025:
				out = append(out, map[string]any{"referenceText": ref.Text, "fileId": ref.FileID, "page": ref.Page})
			default:
				out = append(out, map[string]any{"referenceText": ref.Text, "fileId": ref.FileID, "page": map[string]any{"number": ref.Page}})
			}
			continue
		}
		x0, y0, x1, y1 := ref.Rect.Left*sz.Width, ref.Rect.Top*sz.Height, ref.Rect.Right*sz.Width, ref.Rect.Bottom*sz.Height
		if o.Form == FormFieldMap {
			// In the output's own unit: points (pixels of an image) where
			// its model's boxes are, fractions where they are fractions,
			// so a consumer never guesses box by box.
			box := ref.Rect
			if legacyInPoints(raw, loc) {
				box = Rect{Left: x0, Top: y0, Right: x1, Bottom: y1}
			}
			out = append(out, map[string]any{"id": e.Path, "fieldName": e.Path, "page": ref.Page,
				"boundingBoxes": []Rect{box}})
			continue
		}
		poly := []Point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
		c := map[string]any{"polygon": poly, "referenceText": ref.Text, "fileId": ref.FileID}
		if version == Version2025 {
			c["page"], c["pageWidth"], c["pageHeight"] = ref.Page, sz.Width, sz.Height
		} else {
			c["page"] = map[string]any{"number": ref.Page, "width": sz.Width, "height": sz.Height}
		}
		out = append(out, c)
	}
	b, err := marshal(out)
	if err != nil {
		return nil, err
	}
	if o.Form == FormFieldMap {
		return Splice(raw, append(append([]string{}, loc...), segs[0], "references"), b)
	}
	meta := append(append([]string{}, loc...), "metadata", e.Path)
	if _, ok := At(raw, meta); !ok {
		return Splice(raw, meta, json.RawMessage(`{"citations":`+string(b)+`}`))
	}
	return Splice(raw, append(meta, "citations"), b)
}

// legacyInPoints says whether a legacy output's boxes (references[].
// boundingBoxes[] of each field, at loc in raw) are in points or pixels:
// a coordinate beyond 1 says so. An output whose boxes are all within
// 0..1, or that has none, is in fractions.
func legacyInPoints(raw json.RawMessage, loc []string) bool {
	v, ok := At(raw, loc)
	if !ok {
		return false
	}
	var fields map[string]struct {
		References []struct {
			BoundingBoxes []Rect `json:"boundingBoxes"`
		} `json:"references"`
	}
	if json.Unmarshal(v, &fields) != nil {
		return false
	}
	for _, f := range fields {
		for _, r := range f.References {
			for _, b := range r.BoundingBoxes {
				if b.Left > 1 || b.Top > 1 || b.Right > 1 || b.Bottom > 1 {
					return true
				}
			}
		}
	}
	return false
}

func depth(path string) int { return strings.Count(path, ".") + strings.Count(path, "[") }

func sameJSON(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, a) == nil && json.Compact(&y, b) == nil && bytes.Equal(x.Bytes(), y.Bytes())
}

// marshal encodes v without HTML escaping: the payload goes to machines
// in Extend's shape, not into a page.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
