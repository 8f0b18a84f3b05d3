package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// History turns an audit entry into what its actor did, as a person reads
// it after their name: "moved row 3 below row 4", "added row 8: Setup fee,
// 2, 7.00", "changed the class from invoice to receipt". The machine form
// stays in the API and in reviewerAudit; this is the one place that words
// it.
func History(a review.AuditEntry) string {
	switch a.Action {
	case review.ActionEdit:
		return editSentence(a)
	case review.ActionReject:
		return "rejected the run: " + quote(a.Note)
	case review.ActionApprove:
		return approveSentence(a)
	case review.ActionReopen:
		return "reopened the run"
	case review.ActionUndo:
		return "took the decision back"
	case review.ActionDiscard:
		return "discarded the saved changes"
	case review.ActionReplaceDocument:
		return "replaced the document"
	}
	return a.Action
}

// approveSentence says over which rules a run was approved, if any: a
// blocking rule is approved over with a note; a warning is only noted.
func approveSentence(a review.AuditEntry) string {
	var blocking, warnings []review.RuleResult
	for _, r := range review.Failed(a.Rules) {
		if r.Severity == review.SeverityBlock {
			blocking = append(blocking, r)
		} else {
			warnings = append(warnings, r)
		}
	}
	s := "approved the run"
	if len(blocking) > 0 {
		s += " over " + plural(len(blocking), "the blocking rule ", "the blocking rules ") + ruleNames(blocking)
	}
	if len(warnings) > 0 {
		if len(blocking) > 0 {
			s += " and"
		}
		s += " with " + plural(len(warnings), "the warning ", "the warnings ") + ruleNames(warnings)
	}
	if a.Note != "" {
		s += ": " + quote(a.Note)
	}
	return s
}

// editSentence words one saved change.
func editSentence(a review.AuditEntry) string {
	switch a.Path {
	case review.PathClass:
		return classSentence(a)
	case review.PathSplits:
		return splitsSentence(a)
	}
	name := pathName(a.Path)
	if a.How == review.HowReset {
		return "put " + name + " back to the model's " + valueWords(a.After)
	}
	if rows, ok := rowsSentence(name, a.Before, a.After); ok {
		return rows
	}
	if review.SameValue(a.Before, a.After) {
		return "pointed " + name + " at another place on the page" + how(a.How)
	}
	after := "set " + name + " to " + valueWords(a.After)
	if isNull(a.After) {
		after = "cleared " + name
	}
	if isNull(a.Before) {
		return after + how(a.How)
	}
	return after + " (was " + valueWords(a.Before) + ")" + how(a.How)
}

// how says how a value was given, where it was not simply typed.
func how(h string) string {
	switch h {
	case review.HowClicked:
		return ", picked from the page"
	case review.HowDrawn:
		return ", by a box drawn on the page"
	}
	return ""
}

// rowsSentence words a change of a list's rows: one row added, removed,
// or moved past its neighbour. ok is false for any other change.
func rowsSentence(name string, before, after json.RawMessage) (string, bool) {
	var b, a []json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return "", false
	}
	first := 0
	for first < min(len(a), len(b)) && bytes.Equal(compact(a[first]), compact(b[first])) {
		first++
	}
	row := func(i int) string { return "row " + strconv.Itoa(i+1) }
	switch {
	case len(a) == len(b)+1:
		return "added " + row(first) + " to " + name + rowText(a[first]), true
	case len(a)+1 == len(b):
		return "removed " + row(first) + " of " + name + rowText(b[first]), true
	case len(a) == len(b) && first+1 < len(a) && bytes.Equal(compact(a[first]), compact(b[first+1])) && bytes.Equal(compact(a[first+1]), compact(b[first])):
		return "moved " + row(first) + " of " + name + " below " + row(first+1), true
	case len(a) == len(b) && first == len(a):
		return "", false
	}
	return "changed the rows of " + name, true
}

// rowText is a row's values, in their order, after a colon: ": Setup
// fee, 2, 7.00"; nothing for an empty row.
func rowText(raw json.RawMessage) string {
	var parts []string
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		if s := valueText(raw); s != "" {
			return ": " + s
		}
		return " (empty)"
	}
	for d.More() {
		if _, err := d.Token(); err != nil { // the key
			break
		}
		var v json.RawMessage
		if d.Decode(&v) != nil {
			break
		}
		if s := valueText(v); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return " (empty)"
	}
	return ": " + strings.Join(parts, ", ")
}

// valueText is a value as a row or a sentence shows it; "" for nothing.
func valueText(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	if m, ok := review.ReadMoney(raw); ok {
		return strings.TrimSpace(string(m.Amount) + " " + m.Code)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return "…"
	}
	return review.Text(raw)
}

// valueWords is a value quoted in a sentence, or "nothing".
func valueWords(raw json.RawMessage) string {
	if s := valueText(raw); s != "" {
		return quote(s)
	}
	return "nothing"
}

// classSentence words a change of a classification.
func classSentence(a review.AuditEntry) string {
	var was, now struct{ Type string }
	json.Unmarshal(a.Before, &was)
	json.Unmarshal(a.After, &now)
	switch {
	case a.How == review.HowReset:
		return "put the class back to the model's " + quote(now.Type)
	case was.Type == "":
		return "set the class to " + quote(now.Type)
	}
	return "changed the class from " + quote(was.Type) + " to " + quote(now.Type)
}

// splitsSentence words a change of the sub-documents: what they are now,
// and what they were.
func splitsSentence(a review.AuditEntry) string {
	now := splitsText(a.After)
	if a.How == review.HowReset {
		return "put the sub-documents back to the model's: " + now
	}
	if was := splitsText(a.Before); was != "" && was != now {
		return "set the sub-documents to " + now + " (were " + was + ")"
	}
	return "set the sub-documents to " + now
}

// splitsText lists sub-documents: "pages 1-2 invoice, page 3 report".
func splitsText(raw json.RawMessage) string {
	var splits []struct {
		Type               string
		StartPage, EndPage int
	}
	if json.Unmarshal(raw, &splits) != nil {
		return ""
	}
	if len(splits) == 0 {
		return "none"
	}
	parts := make([]string, len(splits))
	for i, s := range splits {
		pages := fmt.Sprintf("pages %d-%d", s.StartPage, s.EndPage)
		if s.StartPage == s.EndPage {
			pages = fmt.Sprintf("page %d", s.StartPage)
		}
		parts[i] = strings.TrimSpace(pages + " " + s.Type)
	}
	return strings.Join(parts, ", ")
}

// pathName is a field's path as a person reads it: "line_items[2].amount"
// is "Line items row 3 amount".
func pathName(path string) string {
	segs, err := review.PathSegments(path)
	if err != nil || len(segs) == 0 {
		return path
	}
	words := make([]string, len(segs))
	for i, s := range segs {
		if n, err := strconv.Atoi(s); err == nil {
			words[i] = "row " + strconv.Itoa(n+1)
			continue
		}
		words[i] = Label(s)
		if i > 0 {
			words[i] = lowerFirst(words[i])
		}
	}
	return strings.Join(words, " ")
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func quote(s string) string { return "“" + s + "”" }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Label is a field's key as people read it: "line_items" is "Line items",
// "[2]" is "Row 3", and acronyms stay capitals ("vat" is "VAT").
func Label(key string) string {
	if n, ok := strings.CutPrefix(key, "["); ok {
		if i, err := strconv.Atoi(strings.TrimSuffix(n, "]")); err == nil {
			return "Row " + strconv.Itoa(i+1)
		}
	}
	words := strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(key))
	if len(words) == 0 {
		return key
	}
	for i, w := range words {
		switch {
		case acronyms[strings.ToLower(w)]:
			words[i] = strings.ToUpper(w)
		case i == 0:
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// acronyms are the words of field names written in capitals.
var acronyms = map[string]bool{
	"vat": true, "gst": true, "hst": true, "pst": true, "qst": true, "tva": true, "iva": true, "ust": true, "abn": true, "ein": true, "tin": true,
	"po": true, "id": true, "iban": true, "bic": true, "swift": true, "sku": true, "url": true, "iso": true, "uom": true, "ssn": true, "dob": true,
}

// lowerFirst lowers a label's first letter inside a phrase, unless the
// label starts with an acronym.
func lowerFirst(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if acronyms[strings.ToLower(first)] || s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
