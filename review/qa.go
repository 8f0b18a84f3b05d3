package review

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"
)

// Where a QA sample came from.
const (
	QAFromDecision  = "decided"   // a reviewer decided the run
	QAFromCompleted = "completed" // Extend completed it without review: the model alone
)

// QARule is a workflow's quality assurance: the share of its decided (and
// straight-through) runs a second person checks blind, and the fields whose
// correction always sends a run to the check.
type QARule struct {
	WorkflowID    string
	SamplePercent int      // 0..100
	Fields        []string // folded paths: a run where any was corrected is always checked
}

// MaxQAFields bounds the fields a rule names: each is a comparison at every
// decision, and a page lists them.
const MaxQAFields = 50

// Check says whether the rule can be kept.
func (r QARule) Check() error {
	if r.WorkflowID == "" {
		return Errorf(EINVALID, "A QA rule is for a workflow: name one.")
	}
	if r.SamplePercent < 0 || r.SamplePercent > 100 {
		return Errorf(EINVALID, "The QA sample is a percentage from 0 to 100.")
	}
	if len(r.Fields) > MaxQAFields {
		return Errorf(EINVALID, "A QA rule names at most %d fields.", MaxQAFields)
	}
	return nil
}

// Sample says whether a run goes to QA: always when a chosen field (or
// anything in it) was corrected or a supervisor approved over failing rules, else when it falls
// in the sample. The draw hashes the run id with a salt of its own, so it
// is repeatable and independent of the routing rule's draw.
func (r QARule) Sample(runID string, outcomes map[string]Outcome, override bool) bool {
	if override && (r.SamplePercent > 0 || len(r.Fields) > 0) {
		return true
	}
	for _, f := range r.Fields {
		for path, o := range outcomes {
			if o.Edited && within(path, f) {
				return true
			}
		}
	}
	h := fnv.New32a()
	h.Write([]byte("qa:" + runID))
	return int(h.Sum32()%100) < r.SamplePercent
}

// within says whether path is field or lies in it: line_items[].amount
// lies in line_items, as a corrected cell is a correction of its list.
func within(path, field string) bool {
	rest, ok := strings.CutPrefix(path, field)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// TopLevel is the top-level field a path lies in: line_items for
// line_items[].amount, vendor for vendor.name.
func TopLevel(path string) string {
	if i := strings.IndexAny(path, "[."); i > 0 {
		return path[:i]
	}
	return path
}

// ByTopLevel folds outcomes into their top-level fields, the unit accuracy
// is measured in on both sides (QA scores top-level fields): a field of a
// run is corrected when anything in it was, at the model's lowest
// confidence in it.
func ByTopLevel(outcomes map[string]Outcome) map[string]Outcome {
	out := make(map[string]Outcome, len(outcomes))
	for path, o := range outcomes {
		top := TopLevel(path)
		t := out[top]
		t.Edited = t.Edited || o.Edited
		if o.Confidence != nil && (t.Confidence == nil || *o.Confidence < *t.Confidence) {
			t.Confidence = o.Confidence
		}
		out[top] = t
	}
	return out
}

// Outcome is what the review did to one field (row indexes folded): whether
// it changed the model's value, and the model's lowest confidence in it.
type Outcome struct {
	Edited     bool
	Confidence *float64
}

// QASample is one run in the QA queue, or checked.
type QASample struct {
	RunID, WorkflowID, WorkflowName string
	Source                          string    // QAFromDecision or QAFromCompleted
	FirstBy                         string    // who decided it; "" for the model alone
	FirstAt                         time.Time // when it was decided or completed
	SampledAt                       time.Time
	First                           json.RawMessage `json:"-"` // the run as the first review sent it on; nil: as Extend sent it
	QABy                            string
	QAAt                            *time.Time
	Fields                          []QAField
}

// QAField is the check of one field of a sampled run: how many of its units
// (1 for a value; cells for a list, scored as Extend's evaluation sets
// score them) the model and the first review had as the second reviewer.
type QAField struct {
	OutputID     string          `json:"outputId"`
	Path         string          `json:"path"`
	Confidence   *float64        `json:"confidence,omitempty"`
	Total        int             `json:"total"`
	ModelCorrect int             `json:"modelCorrect"`
	FirstCorrect int             `json:"firstCorrect"`
	Model        json.RawMessage `json:"model"`
	First        json.RawMessage `json:"first"`
	QA           json.RawMessage `json:"qa"`
}

// Reviewed says whether a person decided the run before its check, so the
// check measures their review as well as the model: not so for a run
// Extend completed alone.
func (q QASample) Reviewed() bool { return q.FirstBy != "" }

// Withholds says whether the first review's values are kept from u: while
// the run waits for its check, from everyone but its first reviewer, on
// every read (pages, search, the API), since any other person may be the
// one who checks it, supervisors too, and a reviewer's token is a person's
// in other hands. A supervisor's or admin's token is a system's that an
// admin gave out, reading what was sent on (exports, the Extend-compatible
// reads), and cannot make a check. A run Extend completed has no first
// review to keep.
func (q QASample) Withholds(u *User) bool {
	switch {
	case q.QAAt != nil || q.Source == QAFromCompleted:
		return false
	case u.Token:
		return !u.Role.AtLeast(RoleSupervisor)
	}
	return u.Email != q.FirstBy
}

// Withheld is the answer to a read Withholds refuses.
func (q QASample) Withheld() error {
	return Errorf(EFORBIDDEN, "Run %s waits for a blind QA check: its reviewed values are kept from all but its first reviewer until it is checked.", q.RunID)
}

// Agrees reports whether the first review had the field as QA has it.
func (f QAField) Agrees() bool { return f.FirstCorrect == f.Total }

// QATotals is what a check of a run counts over its fields: their units,
// those the model and the first review had as the check has them, and
// whether the first review agreed on every field.
type QATotals struct {
	Units, ModelCorrect, FirstCorrect int
	Agrees                            bool
}

// TotalQA counts a check's fields.
func TotalQA(fields []QAField) QATotals {
	t := QATotals{Agrees: true}
	for _, f := range fields {
		t.Units, t.ModelCorrect, t.FirstCorrect, t.Agrees = t.Units+f.Total, t.ModelCorrect+f.ModelCorrect, t.FirstCorrect+f.FirstCorrect, t.Agrees && f.Agrees()
	}
	return t
}

// CompareQA scores every top-level field of the model's extractions
// against the second reviewer's: the model's value
// and the first review's. model is the run as Extend sent it, first as the
// first review left it, checked as the second reviewer has it.
func CompareQA(model, first, checked *Run) []QAField {
	var out []QAField
	for _, m := range model.Outputs {
		f, c := first.Output(m.ID), checked.Output(m.ID)
		if f == nil || c == nil {
			continue
		}
		switch m.Type {
		case OutputClassify:
			var conf *float64
			if m.Class != nil {
				conf = m.Class.Confidence
			}
			out = append(out, scoreField(m.ID, PathClass, conf, className(&m), className(f), className(c)))
			continue
		case OutputSplitter:
			out = append(out, scoreField(m.ID, PathSplits, nil, splitRows(&m), splitRows(f), splitRows(c)))
			continue
		}
		for _, mf := range m.Fields {
			if mf.Depth != 0 {
				continue
			}
			fv, cv := json.RawMessage("null"), json.RawMessage("null")
			if ff, ok := f.Field(mf.Path); ok {
				fv = ff.Value
			}
			if cf, ok := c.Field(mf.Path); ok {
				cv = cf.Value
			}
			out = append(out, scoreField(m.ID, mf.Path, lowestConfidence(m, mf.Path), mf.Value, fv, cv))
		}
	}
	return out
}

// className is a classification's class as a check compares it: its
// type, null for none.
func className(o *Output) json.RawMessage {
	if o.Class == nil {
		return json.RawMessage("null")
	}
	return jsonOf(o.Class.Type)
}

// splitRows is a splitter's sub-documents as a check compares them: rows
// of their type and page range, what a checker sees of them.
func splitRows(o *Output) json.RawMessage {
	type row struct {
		Type  string `json:"type"`
		Start int    `json:"startPage"`
		End   int    `json:"endPage"`
	}
	rows := make([]row, len(o.Splits))
	for i, sp := range o.Splits {
		rows[i] = row{sp.Type, sp.StartPage, sp.EndPage}
	}
	return jsonOf(rows)
}

func scoreField(outputID, path string, conf *float64, model, first, checked json.RawMessage) QAField {
	mc, total := Score(model, checked)
	fc, _ := Score(first, checked)
	return QAField{OutputID: outputID, Path: path, Confidence: conf, Total: total, ModelCorrect: mc, FirstCorrect: fc,
		Model: model, First: first, QA: checked}
}

// lowestConfidence is the model's lowest confidence in the field at path
// or anything inside it; nil when it reported none.
func lowestConfidence(o Output, path string) *float64 {
	var low *float64
	for _, f := range o.Fields {
		if f.Path != path && !strings.HasPrefix(f.Path, path+"[") && !strings.HasPrefix(f.Path, path+".") {
			continue
		}
		if v, ok := f.Confidence.Value(); ok && (low == nil || v < *low) {
			low = &v
		}
	}
	return low
}

// Score compares an extracted value with the expected one as Extend's
// evaluation sets do: a value is one unit, right or wrong; a list is
// scored by cells. Extend's "Calculating array accuracy"
// (docs.extend.ai/product/evaluation/calculating-array-accuracy) pairs
// each extracted row with the expected row it matches best, whatever the
// order, counts a missing or extra row's cells as wrong, and divides the
// correct cells by the greater of the expected and the extracted cells
// (rows times columns), so both over- and under-extraction cost. An
// object's members are its columns; a list of values has one column.
// total is that denominator, at least 1.
func Score(extracted, expected json.RawMessage) (correct, total int) {
	got, gotList := rows(extracted)
	want, wantList := rows(expected)
	if !gotList && !wantList {
		if SameValue(extracted, expected) {
			return 1, 1
		}
		return 0, 1
	}
	cols := columns(got, want)
	total = max(len(got), len(want)) * len(cols)
	if total == 0 { // two empty lists agree
		return 1, 1
	}
	// Greedy pairing on the most matching cells first: rows are few and
	// their best partners are rarely contested, so this finds the pairing
	// an exhaustive assignment would at a fraction of its cost.
	type pair struct{ g, w, n int }
	var pairs []pair
	for g := range got {
		for w := range want {
			if n := sameCells(got[g], want[w], cols); n > 0 {
				pairs = append(pairs, pair{g, w, n})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return b.n - a.n })
	usedG, usedW := make([]bool, len(got)), make([]bool, len(want))
	for _, p := range pairs {
		if !usedG[p.g] && !usedW[p.w] {
			usedG[p.g], usedW[p.w] = true, true
			correct += p.n
		}
	}
	return correct, total
}

// rows reads a list into rows of cells by column; ok is false for a value
// that is not a list.
func rows(raw json.RawMessage) (out []map[string]json.RawMessage, ok bool) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || items == nil { // null is no list: scored as a value, it is wrong against any other
		return nil, false
	}
	for _, it := range items {
		var obj map[string]json.RawMessage
		if json.Unmarshal(it, &obj) != nil || obj == nil || isMoney(obj) {
			obj = map[string]json.RawMessage{"": it}
		}
		out = append(out, obj)
	}
	return out, true
}

// isMoney says whether an object is a currency value, one cell: only an
// amount and its currency, where a row of a list (a line with an amount
// column) has others.
func isMoney(obj map[string]json.RawMessage) bool {
	n := 0
	for k := range obj {
		if k == "amount" || k == "iso_4217_currency_code" {
			n++
		}
	}
	return n > 0 && n == len(obj)
}

func columns(a, b []map[string]json.RawMessage) []string {
	seen := map[string]bool{}
	var cols []string
	for _, rs := range [][]map[string]json.RawMessage{a, b} {
		for _, r := range rs {
			for k := range r {
				if !seen[k] {
					seen[k] = true
					cols = append(cols, k)
				}
			}
		}
	}
	slices.Sort(cols)
	return cols
}

func sameCells(a, b map[string]json.RawMessage, cols []string) int {
	n := 0
	for _, c := range cols {
		av, bv := a[c], b[c]
		if av == nil {
			av = json.RawMessage("null")
		}
		if bv == nil {
			bv = json.RawMessage("null")
		}
		if SameValue(av, bv) {
			n++
		}
	}
	return n
}

// Rate is a measured proportion with its 95% Wilson score interval: what
// every accuracy figure here is, so that a rate on 7 samples says so.
type Rate struct {
	Correct int     `json:"correct"`
	Samples int     `json:"samples"`
	Value   float64 `json:"value"` // Correct/Samples; 0 without samples
	Low     float64 `json:"low"`   // the interval's bounds, 0..1
	High    float64 `json:"high"`
	// Independent is how many samples the interval counts: fewer than
	// Samples where a list's cells are scored, as one list's cells stand
	// or fall together (a misread table), so each list counts once per
	// run, the design effect at its most cautious.
	Independent int `json:"independent"`
	// Runs is, for a figure over runs' fields (a workflow's, a
	// reviewer's), how many runs the samples came from: the clusters its
	// interval is drawn from (ClusterWilson).
	Runs int `json:"runs,omitempty"`
}

// Clusters are the sums a figure over runs' fields is measured from, each
// run a cluster of Samples: the run's right values y and values m summed,
// and the sums of y², y·m and m², from which the runs' spread follows.
type Clusters struct {
	Runs, Samples, Correct int
	YY, YM, MM             int64
}

// Add counts a run of samples values, correct of them right.
func (c *Clusters) Add(correct, samples int) {
	y, m := int64(correct), int64(samples)
	c.Runs, c.Samples, c.Correct = c.Runs+1, c.Samples+samples, c.Correct+correct
	c.YY, c.YM, c.MM = c.YY+y*y, c.YM+y*m, c.MM+m*m
}

// ClusterWilson is the rate of right values over runs' fields, with a
// Wilson interval that counts the runs as clusters: a run's fields stand
// or fall together (one bad scan, one careless reviewer), so they are
// worth fewer independent samples than they number. How many is the
// effective sample size p(1-p)/v, where v is the ratio estimator's
// variance from the runs' spread, k/(k-1) * sum((y - p*m)²) / (sum m)²
// (Kish's design effect, measured rather than assumed); at most the
// samples themselves. Where every value is right (or wrong) the spread
// says nothing of how a run's fields go together, and each run counts
// once, the most cautious.
func ClusterWilson(c Clusters) Rate {
	r := Rate{Correct: c.Correct, Samples: c.Samples, Runs: c.Runs, High: 1}
	if c.Samples <= 0 || c.Runs <= 0 {
		return r
	}
	p := float64(c.Correct) / float64(c.Samples)
	n := float64(c.Runs)
	if p > 0 && p < 1 && c.Runs > 1 {
		m := float64(c.Samples)
		spread := float64(c.YY) - 2*p*float64(c.YM) + p*p*float64(c.MM)
		if v := n / (n - 1) * spread / (m * m); v*m > p*(1-p) {
			n = p * (1 - p) / v
		} else {
			n = m // no more spread than independent values have
		}
	}
	r.Value, r.Independent = p, int(math.Round(n))
	r.Low, r.High = wilson(p, n)
	return r
}

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson is the rate of correct in samples with its 95% Wilson score
// interval, which unlike the normal approximation stays inside 0..1 and is
// honest at small counts and at rates near 0 or 1.
func Wilson(correct, samples int) Rate { return WilsonOf(correct, samples, samples) }

// WilsonOf is the rate of correct in samples with the Wilson interval of
// that rate measured on independent samples (at most samples).
func WilsonOf(correct, samples, independent int) Rate {
	independent = min(independent, samples)
	r := Rate{Correct: correct, Samples: samples, Independent: independent}
	if samples <= 0 || independent <= 0 {
		r.High = 1
		return r
	}
	p := float64(correct) / float64(samples)
	r.Value = p
	r.Low, r.High = wilson(p, float64(independent))
	return r
}

// wilson is the 95% Wilson score interval of a rate p measured on n samples.
func wilson(p, n float64) (low, high float64) {
	z2 := z95 * z95
	centre := (p + z2/(2*n)) / (1 + z2/n)
	half := z95 / (1 + z2/n) * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, centre-half), min(1, centre+half)
}

// String writes the rate as a person reads it: "98.2% (96.1–99.3%, 412 samples)".
func (r Rate) String() string {
	if r.Samples == 0 {
		return "no samples"
	}
	unit := "samples"
	if r.Samples == 1 {
		unit = "sample"
	}
	if r.Runs > 0 {
		runs := "runs"
		if r.Runs == 1 {
			runs = "run"
		}
		return fmt.Sprintf("%.1f%% (%.1f–%.1f%%, %d %s, %d %s)", 100*r.Value, 100*r.Low, 100*r.High, r.Samples, unit, r.Runs, runs)
	}
	if r.Independent < r.Samples {
		return fmt.Sprintf("%.1f%% (%.1f–%.1f%%, %d %s, %d independent)", 100*r.Value, 100*r.Low, 100*r.High, r.Samples, unit, r.Independent)
	}
	return fmt.Sprintf("%.1f%% (%.1f–%.1f%%, %d %s)", 100*r.Value, 100*r.Low, 100*r.High, r.Samples, unit)
}

// ConfidenceBins is how finely confidence is counted: hundredths, so a
// threshold can be advised to 0.01.
const ConfidenceBins = 100

// ConfidenceBin is the bin of a confidence: its hundredths, rounded down
// (with a hair's allowance, so 0.29 is bin 29 although 0.29*100 is
// 28.999…).
func ConfidenceBin(c float64) int { return int(math.Floor(c*ConfidenceBins + 1e-6)) }

// Bin is the measured values of one field whose model confidence lay in
// [Bin/100, (Bin+1)/100); Bin 100 is a confidence of exactly 1.
type Bin struct {
	Bin            int
	Correct, Total int
}

// Band is the accuracy of the model's values in a confidence band.
type Band struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
	Rate Rate    `json:"rate"`
}

// Bands groups bins into tenths of confidence, the lowest first.
func Bands(bins []Bin) []Band {
	var out []Band
	for b := 0; b < 10; b++ {
		var c, t int
		for _, x := range bins {
			if x.Bin/10 == b || b == 9 && x.Bin >= 100 {
				c, t = c+x.Correct, t+x.Total
			}
		}
		if t > 0 {
			out = append(out, Band{From: float64(b) / 10, To: float64(b+1) / 10, Rate: Wilson(c, t)})
		}
	}
	return out
}

// Advice is the confidence threshold at which the model's values that pass
// it reach a target accuracy: what sending the rest to review would cost.
// A threshold is advised only when the measure supports it: the 95% Wilson
// lower bound of the accuracy above it reaches the target, so one right
// value (100%, but 20.7% at worst) advises nothing.
type Advice struct {
	Target    float64 `json:"target"`    // e.g. 0.99
	Threshold float64 `json:"threshold"` // send values below this to review
	Reviewed  float64 `json:"reviewed"`  // the share of values below it, at the measured mix
	Above     Rate    `json:"above"`     // the model's accuracy on what passes
	// Measured is how many values the advice rests on, every one of them
	// reviewed today; Below is how many of them lay below the threshold,
	// which would still be: Measured-Below fewer reviewed.
	Measured  int  `json:"measured"`
	Below     int  `json:"below"`
	Reachable bool `json:"reachable"` // a threshold is advised
	// Needs is, when none is advised yet, how many more values measured at
	// the rates seen would let one be: 0 when one is, or when no rate
	// above any threshold beats the target.
	Needs int `json:"needs"`
}

// MaxAdviceSamples bounds the samples Advise looks for: a rate a hair above
// the target needs more than any measure will hold, and is not worth
// counting to.
const MaxAdviceSamples = 10_000_000

// Advise finds the lowest threshold at which the model's values with a
// confidence at or above it are right at least target of the time with 95%
// confidence (the Wilson lower bound), and the share of values below it;
// or how many more values it needs to advise one.
func Advise(bins []Bin, target float64) Advice {
	sorted := slices.Clone(bins)
	slices.SortFunc(sorted, func(a, b Bin) int { return a.Bin - b.Bin })
	var all, c, t int
	for _, b := range sorted {
		all += b.Total
	}
	a := Advice{Target: target, Measured: all}
	if all == 0 {
		return a
	}
	// From the most confident down: the lowest threshold still on target.
	for i := len(sorted) - 1; i >= 0; i-- {
		c, t = c+sorted[i].Correct, t+sorted[i].Total
		r := Wilson(c, t)
		switch {
		case r.Low >= target:
			a.Reachable = true
			a.Threshold = float64(sorted[i].Bin) / ConfidenceBins
			a.Above = r
			a.Below = all - t
			a.Reviewed = float64(a.Below) / float64(all)
		case r.Value > target:
			if n := samplesFor(r.Value, target); n > t && (a.Needs == 0 || n-t < a.Needs) {
				a.Needs = n - t
			}
		}
	}
	if a.Reachable {
		a.Needs = 0
	}
	return a
}

// samplesFor is the fewest samples at which a rate p has a Wilson lower
// bound at target (p > target), up to MaxAdviceSamples; 0 beyond.
func samplesFor(p, target float64) int {
	hi := 1
	for low, _ := wilson(p, float64(hi)); low < target; low, _ = wilson(p, float64(hi)) {
		if hi *= 2; hi > MaxAdviceSamples {
			return 0
		}
	}
	lo := hi / 2 // below target, or 0
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if low, _ := wilson(p, float64(mid)); low >= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// AccuracyFilter selects what accuracy is measured on: checks made (and
// decisions taken) in [From, To), of one workflow or all.
type AccuracyFilter struct {
	WorkflowID string
	From, To   time.Time
}

// AccuracyTarget is the accuracy the threshold advice aims at.
const AccuracyTarget = 0.99

// Accuracy is the measured accuracy of what left the building, per
// workflow and field: from QA (the model's values and the reviewed ones
// against a second reviewer's) and from corrections (a corrected field
// means the model was wrong).
type Accuracy struct {
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Target    float64            `json:"target"`
	Workflows []WorkflowAccuracy `json:"workflows"`
}

// WorkflowAccuracy is one workflow's accuracy, overall and per field and
// per reviewer.
type WorkflowAccuracy struct {
	ID          string             `json:"workflowId"`
	Name        string             `json:"workflowName"`
	Checked     int                `json:"checked"`     // runs checked in QA
	Waiting     int                `json:"waiting"`     // runs waiting in the QA queue
	Model       Rate               `json:"model"`       // the model's values, against QA
	Reviewed    Rate               `json:"reviewed"`    // the reviewed values, against QA
	Corrections Rate               `json:"corrections"` // the model's values, by corrections
	Fields      []FieldAccuracy    `json:"fields"`
	Reviewers   []ReviewerAccuracy `json:"reviewers"`
}

// FieldAccuracy is one field's accuracy. Path is a top-level field for QA
// (a list scored by cells) and a folded leaf for corrections.
type FieldAccuracy struct {
	Path        string `json:"path"`
	Model       Rate   `json:"model"`       // against QA
	Reviewed    Rate   `json:"reviewed"`    // against QA
	Corrections Rate   `json:"corrections"` // the model's, by corrections
	Bands       []Band `json:"bands"`
	Advice      Advice `json:"advice"`
}

// ReviewerAccuracy is a reviewer's reviewed values against QA.
type ReviewerAccuracy struct {
	Email    string `json:"email"`
	Checked  int    `json:"checked"`             // of their runs
	Values   Rate   `json:"values"`              // field units right
	Accepted Rate   `json:"firstPassAcceptance"` // runs QA found nothing to change in
}

// Scorecard is one reviewer's work on one day (UTC).
type Scorecard struct {
	Email         string
	Day           time.Time
	Decided       int           // runs decided
	Active        time.Duration // on run pages, the window focused
	ActiveRuns    int           // runs that time was spent on
	FieldsChanged int
	Accepted      Rate // first-pass acceptance in QA: runs checked with nothing to change
	Accuracy      Rate // field units right against QA
}

// ActivePerRun is the focused time per decided run; zero without decisions.
func (s Scorecard) ActivePerRun() time.Duration {
	if s.Decided == 0 {
		return 0
	}
	return s.Active / time.Duration(s.Decided)
}

// ScorecardFilter selects scorecards: days in [From, To), one reviewer's
// or everyone's.
type ScorecardFilter struct {
	Email    string
	From, To time.Time
}

// MaxActiveReport bounds one report of focused time from a page: the page
// reports every half minute and when it is left, so more than this in one
// report is not time anyone spent.
const MaxActiveReport = 10 * time.Minute
