package review

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The rules of a reviewer's change to a field, a class or a split: how
// typed text becomes a value of the field's type, how rows are added,
// removed and moved, what a class or a split may be, and which fields a
// decision corrected. Pure functions: the web layer decodes the request,
// these decide, storage keeps the result.

// Row operations on a list.
const (
	RowAdd    = "add"    // an empty row at the end
	RowInsert = "insert" // an empty row after row i
	RowRemove = "remove"
	RowUp     = "up"
	RowDown   = "down"
)

// EditRows returns list field f's value with one row added (at the end, or
// after row i; with the other rows' columns, empty), removed, or moved up
// or down.
func EditRows(f *Field, op string, i int) (json.RawMessage, error) {
	rows, err := listRows(f)
	if err != nil {
		return nil, err
	}
	inRange := i >= 0 && i < len(rows)
	switch op {
	case RowAdd:
		rows = append(rows, emptyRow(rows))
	case RowInsert:
		if !inRange {
			return nil, Errorf(EINVALID, "no row %d", i)
		}
		rows = slices.Insert(rows, i+1, emptyRow(rows))
	case RowRemove:
		if !inRange {
			return nil, Errorf(EINVALID, "no row %d", i)
		}
		rows = append(rows[:i], rows[i+1:]...)
	case RowUp, RowDown:
		j := i - 1
		if op == RowDown {
			j = i + 1
		}
		if !inRange || j < 0 || j >= len(rows) {
			return nil, Errorf(EINVALID, "row %d cannot move %s", i, op)
		}
		rows[i], rows[j] = rows[j], rows[i]
	default:
		return nil, Errorf(EINVALID, "unknown row operation %q", op)
	}
	if rows == nil {
		rows = []json.RawMessage{}
	}
	return jsonOf(rows), nil
}

// MaxAddedRows bounds the rows a check adds to one list: a checker adds
// the rows a model missed on a document's pages, some dozens, and each
// added row is a whole row's JSON made from a few bytes of form.
const MaxAddedRows = 1000

// KeepRows returns list field f's value with its rows as from says, in
// order: each the row of f at that index, or an empty row (with the other
// rows' columns) for -1. A row is kept once at most.
func KeepRows(f *Field, from []int) (json.RawMessage, error) {
	rows, err := listRows(f)
	if err != nil {
		return nil, err
	}
	out := []json.RawMessage{}
	kept := make([]bool, len(rows))
	added := 0
	for _, i := range from {
		switch {
		case i == -1:
			if added++; added > MaxAddedRows {
				return nil, Errorf(EINVALID, "a check adds at most %d rows to %s", MaxAddedRows, f.Path)
			}
			out = append(out, emptyRow(rows))
		case i < 0 || i >= len(rows):
			return nil, Errorf(EINVALID, "%s has no row %d: the model found %d", f.Path, i, len(rows))
		case kept[i]:
			return nil, Errorf(EINVALID, "row %d of %s is kept twice", i, f.Path)
		default:
			kept[i] = true
			out = append(out, rows[i])
		}
	}
	return jsonOf(out), nil
}

// listRows reads list field f's rows; none for null.
func listRows(f *Field) ([]json.RawMessage, error) {
	if f == nil || !f.Type.IsList() {
		return nil, Errorf(EINVALID, "rows can only be changed in a list")
	}
	var rows []json.RawMessage
	if string(f.Value) != "null" {
		if err := json.Unmarshal(f.Value, &rows); err != nil {
			return nil, Errorf(EINVALID, "%s is not a list", f.Path)
		}
	}
	return rows, nil
}

// emptyRow is a new row with the columns of the others, all empty.
func emptyRow(rows []json.RawMessage) json.RawMessage {
	if len(rows) == 0 {
		return json.RawMessage("{}")
	}
	var first map[string]json.RawMessage
	if json.Unmarshal(rows[0], &first) != nil {
		return json.RawMessage("null")
	}
	empty := map[string]json.RawMessage{}
	for k := range first {
		empty[k] = json.RawMessage("null")
	}
	return jsonOf(empty)
}

// CheckedSplits is splitter o's sub-documents as a checker left them:
// from says which of the model's each is (-1 for one added, nil: the
// model's all), and cells the text typed by path (splits[1].startPage), the
// rows numbered as left. ReviseSplits then checks them as any revision.
func CheckedSplits(o *Output, from []int, cells map[string]string) (json.RawMessage, error) {
	rows := o.Splits
	if from != nil {
		rows = make([]Split, 0, len(from))
		added := 0
		for _, i := range from {
			switch {
			case i == -1:
				if added++; added > MaxAddedRows {
					return nil, Errorf(EINVALID, "a check adds at most %d sub-documents", MaxAddedRows)
				}
				rows = append(rows, Split{})
			case i < 0 || i >= len(o.Splits) || slices.Contains(from[:len(rows)], i):
				return nil, Errorf(EINVALID, "%s has no sub-document %d to keep", firstNonEmpty(o.Name, o.ID), i)
			default:
				rows = append(rows, o.Splits[i])
			}
		}
	}
	for i := range rows {
		sp, at := &rows[i], PathSplits+"["+strconv.Itoa(i)+"]"
		if v, ok := cells[at+".type"]; ok {
			sp.Type = strings.TrimSpace(v)
		}
		for _, p := range []struct {
			key  string
			page *int
		}{{".startPage", &sp.StartPage}, {".endPage", &sp.EndPage}} {
			v, ok := cells[at+p.key]
			if !ok {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, Errorf(EINVALID, "Sub-document %d: %q is not a page number.", i+1, v)
			}
			*p.page = n
		}
	}
	return jsonOf(rows), nil
}

// ClassNamed is classification o's output with the class named typ (its
// type, as a form's choice of the configured classes gives it) chosen, as
// ChooseClass has it: the model's own output for the model's class.
func ClassNamed(o *Output, typ string) (json.RawMessage, error) {
	if o.Class != nil && o.Class.Type == typ {
		return o.Value, nil
	}
	for _, k := range o.Classes {
		if k.Type == typ {
			return ChooseClass(o, o.Value, jsonOf(map[string]string{"id": k.ID, "type": k.Type}))
		}
	}
	return nil, Errorf(EINVALID, "%q is not one of the classes of %s", typ, firstNonEmpty(o.Name, o.ID))
}

// ChooseClass returns classification o's output with the class a reviewer
// chose ({id, type}): one of the configured classes, or the model's own.
// The model's own class is its output as it came (model); another class
// keeps none of the model's confidence or reasoning, which were about the
// class it chose.
func ChooseClass(o *Output, model, choice json.RawMessage) (json.RawMessage, error) {
	var c struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(choice, &c); err != nil || c.Type == "" {
		return nil, Errorf(EINVALID, "choose one of the classes")
	}
	var was struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(model, &was) == nil && was.ID == c.ID && was.Type == c.Type {
		return model, nil
	}
	if len(o.Classes) > 0 && !slices.ContainsFunc(o.Classes, func(k ClassOption) bool { return k.ID == c.ID && k.Type == c.Type }) {
		return nil, Errorf(EINVALID, "%q is not one of the configured classes", c.Type)
	}
	var out map[string]json.RawMessage
	if json.Unmarshal(model, &out) != nil || out == nil {
		out = map[string]json.RawMessage{}
	}
	delete(out, "confidence")
	delete(out, "insights")
	out["id"], out["type"] = jsonOf(c.ID), jsonOf(c.Type)
	return jsonOf(out), nil
}

// ReviseSplits checks the sub-documents a reviewer corrected against the
// run's current ones (o.Splits), the model's (model, as Extend sent them),
// a document of pages pages (0 when unknown) and the splitter's configured
// types (o.Classes; any type when none), and returns them in Extend's
// shape. A sub-document the reviewer kept (same id, or place when there
// are no ids, and same type) keeps what the page does not show of it, the
// model's first: a type typed back to the
// model's is the model's again. One whose type changed keeps nothing the
// model said about another type. Sub-documents all as the model had them
// are the model's, byte for byte.
func ReviseSplits(o *Output, model, value json.RawMessage, pages int) (json.RawMessage, error) {
	var splits, was []Split
	if err := json.Unmarshal(value, &splits); err != nil {
		return nil, Errorf(EINVALID, "sub-documents must be a list of {type, identifier, startPage, endPage}")
	}
	_ = json.Unmarshal(model, &was) // none when the model said nothing
	// A sub-document is known by its id; 2025-04-21 gives none, so there
	// by its place in the list.
	kept := func(in []Split, at int, sp *Split) bool {
		i := slices.IndexFunc(in, func(c Split) bool { return sp.ID != "" && c.ID == sp.ID && c.Type == sp.Type })
		if sp.ID == "" && at < len(in) && in[at].ID == "" && in[at].Type == sp.Type {
			i = at
		}
		if i >= 0 {
			old := in[i]
			sp.ClassificationID, sp.Observation, sp.Name = old.ClassificationID, old.Observation, old.Name
			sp.FileID = cmp.Or(sp.FileID, old.FileID)
		}
		return i >= 0
	}
	for i := range splits {
		sp := &splits[i]
		switch {
		case strings.TrimSpace(sp.Type) == "":
			return nil, Errorf(EINVALID, "Sub-document %d needs a type.", i+1)
		case sp.StartPage < 1 || sp.EndPage < sp.StartPage:
			return nil, Errorf(EINVALID, "Sub-document %d: pages %d–%d are not a range.", i+1, sp.StartPage, sp.EndPage)
		case pages > 0 && sp.EndPage > pages:
			return nil, Errorf(EINVALID, "Sub-document %d ends on page %d, but the document has %s.", i+1, sp.EndPage, Count(pages, "page", "pages"))
		}
		if kept(was, i, sp) || kept(o.Splits, i, sp) {
			continue
		}
		class := slices.IndexFunc(o.Classes, func(c ClassOption) bool { return c.Type == sp.Type })
		if len(o.Classes) > 0 && class < 0 {
			return nil, Errorf(EINVALID, "Sub-document %d: %q is not one of the splitter's types.", i+1, sp.Type)
		}
		sp.Observation, sp.Name, sp.ClassificationID = "", "", ""
		if class >= 0 {
			sp.ClassificationID = o.Classes[class].ID
		}
	}
	// A sub-document the reviewer added is of the one file the others are
	// of, as theirs say; of several, the page cannot tell which.
	if file := onlyFile(slices.Concat(was, o.Splits)); file != "" {
		for i := range splits {
			splits[i].FileID = cmp.Or(splits[i].FileID, file)
		}
	}
	if slices.Equal(splits, was) && len(was) > 0 {
		return model, nil
	}
	if splits == nil {
		splits = []Split{}
	}
	return jsonOf(splits), nil
}

// onlyFile is the file id every sub-document that names one names, or
// empty when none does or they name several.
func onlyFile(splits []Split) string {
	file := ""
	for _, sp := range splits {
		if sp.FileID != "" && file != "" && sp.FileID != file {
			return ""
		}
		file = cmp.Or(file, sp.FileID)
	}
	return file
}

// SameValue reports whether two JSON values mean the same: members in any
// order, numbers by value (1.10 is 1.1).
func SameValue(a, b json.RawMessage) bool {
	return string(canonical(a)) == string(canonical(b))
}

func canonical(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	return jsonOf(v)
}

var rowIndex = regexp.MustCompile(`\[\d+\]`)

// FoldPath folds list indexes out of a field path: line_items[3].amount
// becomes line_items[].amount, so corrections count per column.
func FoldPath(path string) string { return rowIndex.ReplaceAllString(path, "[]") }

// Outcomes tells, for each field of the run's extractions (row indexes
// folded) and each class and split, whether the review changed it from the
// model's: what the dashboard's correction rates are made of. current is
// the run as reviewed, orig as Extend sent it. Each carries the model's
// lowest confidence in the field (over its rows), so accuracy can be read
// by confidence.
func Outcomes(orig, current *Run) map[string]Outcome {
	out := map[string]Outcome{}
	for _, o := range current.Outputs {
		model := orig.Output(o.ID)
		if model == nil {
			continue
		}
		switch o.Type {
		case OutputExtract:
			for _, f := range o.Fields {
				if f.Type.Container() {
					continue
				}
				mf, ok := model.Field(f.Path)
				path := FoldPath(f.Path)
				o := out[path]
				o.Edited = o.Edited || !ok || !SameValue(mf.Value, f.Value)
				if ok {
					if c, has := mf.Confidence.Value(); has && (o.Confidence == nil || c < *o.Confidence) {
						o.Confidence = &c
					}
				}
				out[path] = o
			}
		default:
			path := PathClass
			if o.Type == OutputSplitter {
				path = PathSplits
			}
			m, _ := model.Model(path)
			c, _ := o.Model(path)
			out[path] = Outcome{Edited: !SameValue(m, c)}
		}
	}
	return out
}

// Output returns the run's output with id, or nil.
func (r *Run) Output(id string) *Output {
	for i := range r.Outputs {
		if r.Outputs[i].ID == id {
			return &r.Outputs[i]
		}
	}
	return nil
}

// ExpectedOutput is an output's reviewed result in the form Extend's
// evaluation sets take: {value} for extractions, {id, type} for a class,
// {splits} for a split; nil when there is nothing to say.
func ExpectedOutput(o Output) any {
	switch o.Type {
	case OutputExtract:
		if o.Form == FormSchema {
			v, _ := At(o.Value, []string{"value"})
			return map[string]json.RawMessage{"value": v}
		}
		value := map[string]json.RawMessage{}
		for _, f := range o.Fields {
			if f.Depth == 0 {
				value[f.Name] = f.Value // the key itself, not its path
			}
		}
		return map[string]any{"value": value}
	case OutputClassify:
		if o.Class != nil {
			return map[string]string{"id": o.Class.ID, "type": o.Class.Type}
		}
	case OutputSplitter:
		return map[string]any{"splits": o.Splits}
	}
	return nil
}

func jsonOf(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
