package review

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
)

// maxSearchText bounds what a run puts in the search index.
const maxSearchText = 64 << 10

// SearchText is what finds a run in search: its id, its files' names, its
// workflow, the classes chosen and every value the model read, cut into
// Words. (Each database's word index then agrees on the words: "INV-2024"
// is "inv 2024" to both.)
func (r *Run) SearchText() string {
	parts := []string{r.ID, r.Workflow.Name}
	for _, f := range r.Files {
		parts = append(parts, f.Name)
	}
	for _, o := range r.Outputs {
		if o.Class != nil {
			parts = append(parts, o.Class.Type)
		}
		for _, f := range o.Fields {
			parts = append(parts, valueText(f.Value))
		}
	}
	s := strings.Join(Words(strings.Join(parts, " ")), " ")
	if len(s) > maxSearchText {
		s = s[:strings.LastIndexByte(s[:maxSearchText], ' ')+1]
	}
	return s
}

// valueText is a scalar JSON value as text: a string's content, a number
// as written; nothing for objects, arrays and null (their parts are fields
// of their own).
func valueText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	t := strings.TrimSpace(string(v))
	if t != "" && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) {
		return t
	}
	return ""
}

// Words cuts text into lower-case words of letters and digits.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// SearchWords are the words a search looks for, at most eight: a run is
// found when each begins a word of its text ("inv-20" finds INV-2024-001).
func SearchWords(q string) []string {
	w := Words(q)
	return w[:min(len(w), 8)]
}

// DecidedFilter selects decided runs, newest decision first.
type DecidedFilter struct {
	WorkflowID string
	Decision   string // "", DecisionApproved or DecisionRejected
	By         string // who decided
	Search     string
	After      string // cursor from the previous page
	Limit      int
	Since      time.Time // decided at or after, when set
}
