package web

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// fieldVM is a field as its editor shows it: its text, score, row, and the
// choices its type offers.
func fieldVM(f review.Field) views.FieldVM {
	fv := views.FieldVM{Field: f, Container: f.Type.Container(), Null: string(f.Value) == "null", Row: -1, Label: views.Label(f.Name)}
	fv.Text = review.Text(f.Value)
	if c, ok := f.Confidence.Value(); ok {
		fv.Band = views.Band(c)
		fv.Score = views.Percent(c)
	}
	if strings.HasSuffix(f.Path, "]") {
		i := strings.LastIndex(f.Path, "[")
		fv.List = f.Path[:i]
		fv.Row, _ = strconv.Atoi(f.Path[i+1 : len(f.Path)-1])
	}
	switch f.Type {
	case review.TypeBoolean:
		fv.Choices = []views.Choice{{Value: "", Label: "—", Selected: fv.Null}, {Value: "true", Label: "Yes", Selected: fv.Text == "true"}, {Value: "false", Label: "No", Selected: fv.Text == "false"}}
	case review.TypeEnum:
		fv.Choices = enumChoices(f.Enum, fv.Text, fv.Null)
	case review.TypeCurrency:
		c, _ := review.ReadMoney(f.Value)
		fv.Amount, fv.Code = c.Amount.String(), c.Code
		fv.Choices = currencyChoices(c.Code)
	case review.TypeSignature:
		fv.Sig = signatureVM(f.Value)
	}
	return fv
}

// enumChoices are an enum's options, the one holding text selected. A value
// outside the options is kept and shown, never dropped.
func enumChoices(options []review.EnumOption, text string, null bool) []views.Choice {
	out := []views.Choice{{Value: "", Label: "— empty —", Selected: null}}
	found := null
	for _, o := range options {
		if o.Value == nil {
			continue
		}
		label := *o.Value
		if o.Description != "" {
			label += " — " + o.Description
		}
		out = append(out, views.Choice{Value: *o.Value, Label: label, Selected: *o.Value == text && !null})
		found = found || *o.Value == text
	}
	if !found {
		out = append(out, views.Choice{Value: text, Label: text + " (not an option)", Selected: true})
	}
	return out
}

// currencyChoices are the currency codes offered, the field's own first if
// it is not a known one.
func currencyChoices(code string) []views.Choice {
	codes := review.Currencies
	if code != "" && !slices.Contains(codes, code) {
		codes = append([]string{code}, codes...)
	}
	out := []views.Choice{{Value: "", Label: "—", Selected: code == ""}}
	for _, c := range codes {
		out = append(out, views.Choice{Value: c, Label: c, Selected: c == code})
	}
	return out
}

// signatureVM reads a signature's parts; a part missing reads empty.
func signatureVM(raw json.RawMessage) views.Signature {
	var sg struct {
		IsSigned *bool   `json:"is_signed"`
		Name     *string `json:"printed_name"`
		Title    *string `json:"title_or_role"`
		Date     *string `json:"signature_date"`
	}
	json.Unmarshal(raw, &sg)
	var out views.Signature
	if sg.IsSigned != nil {
		out.Signed = strconv.FormatBool(*sg.IsSigned)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out.Name, out.Title, out.Date = deref(sg.Name), deref(sg.Title), deref(sg.Date)
	return out
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
		if f.Depth != 0 || f.Type != review.TypeArray {
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
			if f.Type != review.TypeObject {
				return nil
			}
			row := f
			row.Label = "Row " + strconv.Itoa(f.Row+1)
			g.Rows = append(g.Rows, views.GridRowVM{Row: row})
		case f.Type == review.TypeArray || len(g.Rows) == 0:
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
