package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// QAQueueVM is the QA queue: runs drawn for a blind check.
type QAQueueVM struct {
	Page
	Samples []review.QASample
	Waiting int
	Me      string // the signed-in person, who does not check their own runs
	Now     time.Time
}

// QACheckVM is one sampled run's check: the form before, the comparison
// after.
type QACheckVM struct {
	Page
	Sample review.QASample
	Name   string
	Flash  string
	Inputs []QAInput // before the check: the model's values, as a first reviewer saw them
	Images []string  // the document's pages
	Result []review.QAField
}

// QAInput is one field of the blind check's form, or a list whose rows
// the checker can add and remove (RowsKey set).
type QAInput struct {
	OutputID, Output, Path, Key, Text string
	Depth                             int
	Cell                              string // in a row: the path after the row's ("[0].description" -> ".description")

	// A field's type and its value as the type's editor shows it: the
	// form edits a field as the run page does (review.FieldTypes).
	Type  review.FieldType
	Shown review.Shown

	RowsKey string // a list's: the form's name for its rows as left
	Rows    []QARow

	Options []string // a classification's classes, Text the one chosen
}

// QARow is a row of a list in the check's form: the model's row it was
// ("3"), or "new", and its cells.
type QARow struct {
	From  string
	Cells []QAInput
}

// QAKey names a part of a field's editor in the check's form: "v" (its
// text, a choice, an amount), "code" (an amount's currency) or a
// signature's member ("is_signed").
func QAKey(part, outputID, path string) string { return part + "|" + outputID + "|" + path }

// Signature parts as the check's form names them: Extend's members.
const (
	QASigned = "is_signed"
	QAName   = "printed_name"
	QATitle  = "title_or_role"
	QADate   = "signature_date"
)

func (in QAInput) key(part string) string { return QAKey(part, in.OutputID, in.Path) }

// label names a part of a field's editor for a screen reader.
func (in QAInput) label(part string) string { return in.Path + " (" + part + ")" }

// rowsFrom is the form's value of a list's rows as they stand.
func rowsFrom(rows []QARow) string {
	from := make([]string, len(rows))
	for i, r := range rows {
		from[i] = r.From
	}
	return strings.Join(from, ",")
}

// AccuracyVM is the supervisor's accuracy page.
type AccuracyVM struct {
	Page
	A         review.Accuracy
	Cards     []review.Scorecard
	Rules     map[string]review.QARule
	Workflows []review.Workflow
	Days      int
	Flash     string
	Typed     QARuleForm // the rule form as it was sent, when refused
}

// QARuleForm is the QA rule form's values as typed.
type QARuleForm struct {
	WorkflowID, Percent, Fields string
}

// ScorecardsVM is the scorecards page: everyone's, or one's own.
type ScorecardsVM struct {
	Page
	Cards []review.Scorecard
	Days  int
	Own   bool
}

// rate writes a measured rate with its interval and sample size.
func rate(r review.Rate) string { return r.String() }

// advice writes the threshold advice as a supervisor acts on it, or what
// it waits for.
func advice(f review.FieldAccuracy) string {
	path, a := f.Path, f.Advice
	switch {
	case len(f.Bands) == 0:
		return "" // nothing measured by confidence
	case a.Reachable && a.Reviewed == 0:
		return fmt.Sprintf("%s reaches %.0f%% at every confidence measured (%s): no run needs review for it.", path, 100*a.Target, a.Above)
	case a.Reachable:
		return fmt.Sprintf("To reach %.0f%% on %s, send runs below %.2f to review: %.0f%% of runs (%d of %d), %d fewer than the %d reviewed now, at today's mix (%s above it).",
			100*a.Target, path, a.Threshold, 100*a.Reviewed, a.Below, a.Measured, a.Measured-a.Below, a.Measured, a.Above)
	case a.Needs > 0:
		return fmt.Sprintf("A threshold for %.0f%% needs %d more decided runs at the rates seen.", 100*a.Target, a.Needs)
	}
	return fmt.Sprintf("No confidence threshold reaches %.0f%% on %s on what was measured.", 100*a.Target, path)
}

func band(b review.Band) string { return fmt.Sprintf("%.1f–%.1f", b.From, b.To) }

// qaText writes a compared value for the comparison table: a signature
// as its parts read, not its JSON.
func qaText(raw json.RawMessage) string {
	if raw == nil || string(raw) == "null" {
		return "—"
	}
	if p, ok := review.ReadSignature(raw); ok {
		s := map[string]string{"true": "signed", "false": "not signed", "": "signed?"}[p.Signed]
		for _, x := range []string{p.Name, p.Title, p.Date} {
			if x != "" {
				s += ", " + x
			}
		}
		return s
	}
	return review.Text(raw)
}

func units(f review.QAField) string {
	if f.Total == 1 {
		return ""
	}
	return fmt.Sprintf(" (%d of %d cells agree)", f.FirstCorrect, f.Total)
}

func cardDay(t time.Time) string { return t.Format("Mon 2 Jan 2006") }

func activePerRun(c review.Scorecard) string {
	if c.Decided == 0 {
		return fmt.Sprintf("%s on %d runs, none decided", c.Active.Round(time.Second), c.ActiveRuns)
	}
	return fmt.Sprintf("%s (%d runs)", c.ActivePerRun().Round(time.Second), c.Decided)
}

func ruleFields(r review.QARule) string {
	s := ""
	for i, f := range r.Fields {
		if i > 0 {
			s += ", "
		}
		s += f
	}
	return s
}
