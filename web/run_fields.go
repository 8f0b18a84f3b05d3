package web

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// fieldVM is a field as its editor shows it: its text, score, row, and
// what its type's editor shows (the field-type table's).
func fieldVM(f review.Field) views.FieldVM {
	fv := views.FieldVM{Field: f, Shown: f.Show(), Container: f.Type.Container(), Row: -1, Label: views.Label(f.Name)}
	if c, ok := f.Confidence.Value(); ok {
		fv.Band = views.Band(c)
		fv.Score = views.Percent(c)
	}
	if strings.HasSuffix(f.Path, "]") {
		i := strings.LastIndex(f.Path, "[")
		fv.List = f.Path[:i]
		fv.Row, _ = strconv.Atoi(f.Path[i+1 : len(f.Path)-1])
	}
	return fv
}

func classChoices(o review.Output) []views.Choice {
	var out []views.Choice
	found := false
	for _, c := range o.Classes {
		sel := o.Class != nil && c.ID == o.Class.ID
		found = found || sel
		label := c.Type
		if c.Description != "" {
			label += " — " + c.Description
		}
		out = append(out, views.Choice{Value: classChoice(c.ID, c.Type), Label: label, Selected: sel})
	}
	if o.Class != nil && !found {
		out = append(out, views.Choice{Value: classChoice(o.Class.ID, o.Class.Type), Label: o.Class.Type, Selected: true})
	}
	return out
}

// classChoice is the value a class option sends: {id, type}.
func classChoice(id, typ string) string {
	b, _ := json.Marshal(map[string]string{"id": id, "type": typ})
	return string(b)
}

func hasIssue(f review.Field) bool {
	for _, in := range f.Insights {
		if in.Type == "issue" {
			return true
		}
	}
	return false
}

// foldGrids lays out each top-level list of records as a grid: the list's
// field carries the rows and their cells, which leave the flat list. A list
// holding lists, or rows that are not records, stays flat.
func foldGrids(fields []views.FieldVM) []views.FieldVM {
	out := fields[:0:0]
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		out = append(out, f)
		if f.Depth != 0 || !f.Type.IsList() {
			continue
		}
		end := i + 1
		for end < len(fields) && fields[end].Depth > 0 && strings.HasPrefix(fields[end].Path, f.Path+"[") {
			end++
		}
		if g := grid(f.Path, fields[i+1:end]); g != nil {
			out[len(out)-1].Grid = g
			i = end - 1
		}
	}
	return out
}

// grid makes the table of list's rows, or nil if they are not records of
// plain fields.
func grid(list string, below []views.FieldVM) *views.GridVM {
	g := &views.GridVM{}
	column := map[string]int{}
	for _, f := range below {
		switch {
		case f.Depth == 1:
			if !f.Container || f.Type.IsList() { // a row that is not a record
				return nil
			}
			row := f
			row.Label = "Row " + strconv.Itoa(f.Row+1)
			g.Rows = append(g.Rows, views.GridRowVM{Row: row})
		case f.Type.IsList() || len(g.Rows) == 0:
			return nil
		case f.Container:
		default:
			r := &g.Rows[len(g.Rows)-1]
			key := f.Path[len(r.Row.Path):]
			c, ok := column[key]
			if !ok {
				c = len(g.Columns)
				column[key] = c
				g.Columns = append(g.Columns, views.ColumnVM{Key: key, Label: views.Label(strings.ReplaceAll(strings.TrimPrefix(key, "."), ".", " ")), Title: f.Description, Type: f.Type})
			}
			cell := f
			cell.AriaLabel = g.Columns[c].Label + ", " + strings.ToLower(r.Row.Label)
			for len(r.Cells) <= c {
				r.Cells = append(r.Cells, nil)
			}
			r.Cells[c] = &cell
			r.Attention = r.Attention || cell.Attention
		}
	}
	if len(g.Rows) == 0 || len(g.Columns) == 0 {
		return nil
	}
	for i := range g.Rows {
		for len(g.Rows[i].Cells) < len(g.Columns) {
			g.Rows[i].Cells = append(g.Rows[i].Cells, nil)
		}
	}
	return g
}

// decidedChecks is what the rules said when the run was decided: a rule
// written since does not judge a decision made without it.
func decidedChecks(audit []review.AuditEntry) []review.RuleResult {
	for i := len(audit) - 1; i >= 0; i-- {
		if a := audit[i].Action; a == review.ActionApprove || a == review.ActionReject {
			return audit[i].Rules
		}
	}
	return nil
}

// markRules puts each failed rule's message beside the fields it concerns,
// grid cells included.
func markRules(outputs []views.OutputVM, checks []review.RuleResult) {
	concerns := map[string][]string{}
	for _, r := range review.Failed(checks) {
		for _, path := range r.Fields {
			concerns[path] = append(concerns[path], views.RuleNote(r))
		}
	}
	if len(concerns) == 0 {
		return
	}
	for i := range outputs {
		for j := range outputs[i].Fields {
			f := &outputs[i].Fields[j]
			f.Rules = concerns[f.Path]
			if f.Grid == nil {
				continue
			}
			for _, row := range f.Grid.Rows {
				for _, c := range row.Cells {
					if c != nil {
						c.Rules = concerns[c.Path]
					}
				}
			}
		}
	}
}

func boxTitle(f review.Field, ref review.Ref) string {
	if ref.Text != "" {
		return f.Path + ": " + ref.Text
	}
	return f.Path
}

func whereText(pages []int, located bool) string {
	if len(pages) == 0 {
		return ""
	}
	parts := make([]string, len(pages))
	for i, p := range pages {
		parts[i] = strconv.Itoa(p)
	}
	s := "p. " + strings.Join(parts, ", ")
	if !located {
		s += " (no box)"
	}
	return s
}
