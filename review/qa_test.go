package review

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// Known values of the 95% Wilson score interval (Newcombe 1998, table I,
// and the interval's closed form at the edges).
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		name             string
		correct, samples int
		value, low, high float64
	}{
		{"none", 0, 0, 0, 0, 1},
		{"81 of 263", 81, 263, 0.3080, 0.2553, 0.3662},
		{"15 of 148", 15, 148, 0.1014, 0.0624, 0.1605},
		{"0 of 10", 0, 10, 0, 0, 0.2775},
		{"10 of 10", 10, 10, 1, 0.7225, 1},
		{"7 of 7", 7, 7, 1, 0.6457, 1},
		{"990 of 1000", 990, 1000, 0.99, 0.9817, 0.9946},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Wilson(c.correct, c.samples)
			if math.Abs(r.Value-c.value) > 5e-4 || math.Abs(r.Low-c.low) > 5e-4 || math.Abs(r.High-c.high) > 5e-4 {
				t.Errorf("Wilson(%d, %d) = %.4f (%.4f–%.4f), want %.4f (%.4f–%.4f)", c.correct, c.samples, r.Value, r.Low, r.High, c.value, c.low, c.high)
			}
			if r.Samples != c.samples {
				t.Errorf("samples %d, want %d", r.Samples, c.samples)
			}
		})
	}
	if got := Wilson(7, 7).String(); got != "100.0% (64.6–100.0%, 7 samples)" {
		t.Errorf("a rate on 7 samples reads %q", got)
	}
}

// The cases of Extend's "Calculating array accuracy": rows paired whatever
// their order, missing and extra rows' cells wrong, divided by the greater
// of the expected and extracted cells.
func TestScore(t *testing.T) {
	for _, c := range []struct {
		name                string
		extracted, expected string
		correct, total      int
	}{
		{"same value", `"INV-1"`, `"INV-1"`, 1, 1},
		{"other value", `"INV-1"`, `"INV-7"`, 0, 1},
		{"numbers by value", `1.10`, `1.1`, 1, 1},
		{"money by value", `{"amount":12.5,"iso_4217_currency_code":"EUR"}`, `{"iso_4217_currency_code":"EUR","amount":12.50}`, 1, 1},
		{"Extend's example: rows swapped, one missing",
			`[{"a":"a","b":"b","c":"c"},{"a":"d","b":"e","c":"f"}]`,
			`[{"a":"d","b":"e","c":"f"},{"a":"a","b":"b","c":"c"},{"a":"g","b":"h","c":"i"}]`, 6, 9},
		{"an extra row costs too",
			`[{"a":"a","b":"b"},{"a":"x","b":"y"}]`, `[{"a":"a","b":"b"}]`, 2, 4},
		{"a wrong cell", `[{"a":"a","b":"b"}]`, `[{"a":"a","b":"z"}]`, 1, 2},
		{"best pairing, not first",
			`[{"a":"1","b":"2"},{"a":"1","b":"3"}]`, `[{"a":"1","b":"3"},{"a":"1","b":"2"}]`, 4, 4},
		{"a row with an amount column is scored by cells, not as money",
			`[{"description":"Hosting","amount":3.89},{"description":"Mail","amount":5.39}]`,
			`[{"description":"Hosting","amount":3.89},{"description":"Domain","amount":5.39}]`, 3, 4},
		{"a list of money values has one column",
			`[{"amount":1,"iso_4217_currency_code":"EUR"}]`, `[{"amount":1,"iso_4217_currency_code":"EUR"},{"amount":2,"iso_4217_currency_code":"EUR"}]`, 1, 2},
		{"a list of values has one column", `["x","y"]`, `["y","x","z"]`, 2, 3},
		{"two empty lists agree", `[]`, `[]`, 1, 1},
		{"nothing extracted", `null`, `[{"a":"1"},{"a":"2"}]`, 0, 2},
		{"a value QA left empty", `"PO-1"`, `null`, 0, 1},
		{"a value the model missed", `null`, `"PO-1"`, 0, 1},
		{"both empty", `null`, `null`, 1, 1},
		{"no list and an empty one agree", `null`, `[]`, 1, 1},
		{"Extend's larger example: 39 of 50 rows of 8 columns, all right", rowsOf(39, 8), rowsOf(50, 8), 312, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			correct, total := Score(json.RawMessage(c.extracted), json.RawMessage(c.expected))
			if correct != c.correct || total != c.total {
				t.Errorf("Score = %d/%d, want %d/%d", correct, total, c.correct, c.total)
			}
		})
	}
}

func rowsOf(n, cols int) string {
	var rs []map[string]int
	for i := range n {
		r := map[string]int{}
		for c := range cols {
			r[string(rune('a'+c))] = i*cols + c
		}
		rs = append(rs, r)
	}
	b, _ := json.Marshal(rs)
	return string(b)
}

// TestAdvise: a threshold is advised only where the 95% Wilson lower
// bound of the accuracy above it reaches the target, the lowest such;
// short of that, the advice says how many more measured values (at the
// rate measured) it needs, and nothing when no rate beats the target.
func TestAdvise(t *testing.T) {
	bins := []Bin{{Bin: 50, Correct: 600, Total: 1000}, {Bin: 83, Correct: 1000, Total: 1000}, {Bin: 95, Correct: 1000, Total: 1000}}
	a := Advise(bins, 0.99)
	if !a.Reachable || a.Threshold != 0.83 || math.Abs(a.Reviewed-1.0/3) > 1e-9 || a.Above.Samples != 2000 || a.Above.Low < 0.99 || a.Needs != 0 ||
		a.Measured != 3000 || a.Below != 1000 {
		t.Errorf("Advise = %+v, want 0.83, a third reviewed (1000 of 3000 measured), on 2000 samples", a)
	}
	for _, c := range []struct {
		name  string
		bins  []Bin
		needs int
	}{
		// 1/1 is 100% but its lower bound is 20.7%: n/n reaches 0.99 from
		// n = 381 (n/(n+z²) >= 0.99).
		{"one right value", []Bin{{Bin: 90, Correct: 1, Total: 1}}, 380},
		{"a hundred right values", []Bin{{Bin: 40, Correct: 100, Total: 100}}, 281},
		{"five of ten", []Bin{{Bin: 90, Correct: 5, Total: 10}}, 0},
		{"exactly on target", []Bin{{Bin: 90, Correct: 99, Total: 100}}, 0},
	} {
		a := Advise(c.bins, 0.99)
		if a.Reachable || a.Needs != c.needs {
			t.Errorf("%s: Advise = %+v, want not advised, needing %d more", c.name, a, c.needs)
		}
	}
	// 20 of 20 above 0.90 and 10 of 20 below: the fewest more are needed
	// above 0.90 (361), not over all (never: 75% is short of 99%).
	if a := Advise([]Bin{{Bin: 30, Correct: 10, Total: 20}, {Bin: 90, Correct: 20, Total: 20}}, 0.99); a.Reachable || a.Needs != 361 {
		t.Errorf("Advise with a weak low band = %+v, want 361 more needed", a)
	}
}

func TestQASample(t *testing.T) {
	r := QARule{SamplePercent: 0, Fields: []string{"total"}}
	if !r.Sample("run_1", map[string]Outcome{"total": {Edited: true}}, false) {
		t.Error("a corrected chosen field is not always checked")
	}
	if r.Sample("run_1", map[string]Outcome{"total": {}}, false) {
		t.Error("an uncorrected run is checked at a 0% sample")
	}
	// A list or an object chosen is corrected when anything in it is; a
	// field whose name merely begins the same is not in it.
	lines := QARule{Fields: []string{"line_items", "bill_to"}}
	if !lines.Sample("run_1", map[string]Outcome{"line_items[].amount": {Edited: true}}, false) ||
		!lines.Sample("run_1", map[string]Outcome{"bill_to.name": {Edited: true}}, false) {
		t.Error("a corrected cell of a chosen list or member of a chosen object is not always checked")
	}
	if lines.Sample("run_1", map[string]Outcome{"line_items_total": {Edited: true}, "line_items[].amount": {}}, false) {
		t.Error("a field beside a chosen list sent the run to the check")
	}
	all := QARule{SamplePercent: 100}
	n := 0
	for i := range 200 {
		if (QARule{SamplePercent: 30}).Sample(string(rune(i))+"run", nil, false) {
			n++
		}
		if !all.Sample(string(rune(i)), nil, false) {
			t.Fatal("a 100% sample left a run out")
		}
	}
	if n < 30 || n > 90 {
		t.Errorf("a 30%% sample drew %d of 200", n)
	}
}

// TestQARuleCheck: a sample outside 0-100%, too many chosen fields or no
// workflow is refused with a sentence before anything is kept.
func TestQARuleCheck(t *testing.T) {
	for _, c := range []struct {
		rule QARule
		ok   bool
	}{
		{QARule{WorkflowID: "wf", SamplePercent: 0}, true},
		{QARule{WorkflowID: "wf", SamplePercent: 100}, true},
		{QARule{WorkflowID: "wf", SamplePercent: 101}, false},
		{QARule{WorkflowID: "wf", SamplePercent: -1}, false},
		{QARule{WorkflowID: "wf", Fields: make([]string, MaxQAFields+1)}, false},
		{QARule{SamplePercent: 10}, false},
	} {
		if err := c.rule.Check(); (err == nil) != c.ok || err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%+v: %v", c.rule, err)
		}
	}
}

// TestQAWithholds: the one rule for who may learn a first review before
// its check.
func TestQAWithholds(t *testing.T) {
	at := time.Now()
	waiting := QASample{RunID: "r", Source: QAFromDecision, FirstBy: "first@x"}
	checked := waiting
	checked.QAAt = &at
	completed := QASample{RunID: "r", Source: QAFromCompleted}
	first := &User{Email: "first@x", Role: RoleReviewer}
	other := &User{Email: "other@x", Role: RoleReviewer}
	sup := &User{Email: "sup@x", Role: RoleSupervisor}
	admin := &User{Email: "admin@x", Role: RoleAdmin}
	revToken := &User{Email: "token:t", Role: RoleReviewer, Token: true}
	supToken := &User{Email: "token:s", Role: RoleSupervisor, Token: true}
	for _, c := range []struct {
		name string
		q    QASample
		u    *User
		want bool
	}{
		{"the first reviewer", waiting, first, false},
		{"another reviewer", waiting, other, true},
		{"a supervisor, who may check it", waiting, sup, true},
		{"an admin", waiting, admin, true},
		{"a reviewer's token", waiting, revToken, true},
		{"a supervisor's token, a system's", waiting, supToken, false},
		{"anyone once checked", checked, other, false},
		{"a reviewer's token once checked", checked, revToken, false},
		{"a run Extend completed: no first review", completed, other, false},
	} {
		if got := c.q.Withholds(c.u); got != c.want {
			t.Errorf("%s: withholds %v, want %v", c.name, got, c.want)
		}
	}
	if err := waiting.Withheld(); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("refusal: %v", err)
	}
}

// TestTotalQA: a check counts its fields' units and the model's and the
// first review's right ones, and agrees only where the first review agreed on every field.
func TestTotalQA(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fields []QAField
		want   QATotals
	}{
		{"no fields", nil, QATotals{Agrees: true}},
		{"all agree", []QAField{{Total: 4, ModelCorrect: 2, FirstCorrect: 4}, {Total: 1, ModelCorrect: 1, FirstCorrect: 1}}, QATotals{Units: 5, ModelCorrect: 3, FirstCorrect: 5, Agrees: true}},
		{"one cell off", []QAField{{Total: 4, ModelCorrect: 4, FirstCorrect: 3}, {Total: 1, FirstCorrect: 1}}, QATotals{Units: 5, ModelCorrect: 4, FirstCorrect: 4}},
	} {
		if got := TotalQA(tt.fields); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestClusterWilson: a run's fields are not independent samples (a bad
// scan gets several wrong at once), so a figure over runs' fields has an
// interval from the runs' spread. Four runs of ten fields, right 10, 8, 6
// and 10 times: 85% on 40 samples, but the runs' spread (sum of squared
// residuals 1.5²+0.5²+2.5²+1.5² = 11; variance 4/3 * 11/40² = 0.0091667)
// makes them worth 0.1275/0.0091667 = 13.9 independent samples: 59.2-95.7%
// where 40 independent ones would say 70.9-92.9%.
func TestClusterWilson(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	var c Clusters
	for _, y := range []int{10, 8, 6, 10} {
		c.Add(y, 10)
	}
	r := ClusterWilson(c)
	if r.Correct != 34 || r.Samples != 40 || r.Runs != 4 || r.Independent != 14 || !near(r.Low, 0.5916902494507577) || !near(r.High, 0.9568202916073725) {
		t.Errorf("ClusterWilson(10, 8, 6, 10 of 10) = %+v, want 85%% (59.2-95.7%%) on 13.9 effective samples", r)
	}
	if got, want := r.String(), "85.0% (59.2–95.7%, 40 samples, 4 runs)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	// Every value right: the spread says nothing of how the runs' fields
	// go together, so each run counts once, the most cautious.
	c = Clusters{}
	for range 4 {
		c.Add(10, 10)
	}
	if r := ClusterWilson(c); r.Independent != 4 || !near(r.Low, 0.5101091635454027) || r.High != 1 {
		t.Errorf("ClusterWilson(4 runs all right) = %+v, want 51.0-100%% as on 4 samples", r)
	}
	// Runs that do equally well carry no spread of their own: the fields
	// count as the independent samples they are at most.
	c = Clusters{}
	for range 5 {
		c.Add(8, 10)
	}
	if r, w := ClusterWilson(c), Wilson(40, 50); r.Independent != 50 || !near(r.Low, w.Low) || !near(r.High, w.High) {
		t.Errorf("ClusterWilson(5 runs 8 of 10) = %+v, want the interval of 50 samples %+v", r, w)
	}
	if r := ClusterWilson(Clusters{}); r.Samples != 0 || r.String() != "no samples" {
		t.Errorf("no runs: %+v", r)
	}
}

// TestCheckedSplits: the sub-documents a check leaves are the model's kept
// and the ones added, with the cells typed; a page that is not a number,
// a sub-document kept twice or one the model did not have are refused.
func TestCheckedSplits(t *testing.T) {
	o := &Output{ID: "splr_1", Type: OutputSplitter, Splits: []Split{{Type: "invoice", StartPage: 1, EndPage: 2}, {Type: "receipt", StartPage: 3, EndPage: 3}}}
	got, err := CheckedSplits(o, []int{1, -1}, map[string]string{"splits[1].type": "invoice", "splits[1].startPage": " 1", "splits[1].endPage": "2"})
	if err != nil || string(got) != `[{"type":"receipt","identifier":"","startPage":3,"endPage":3},{"type":"invoice","identifier":"","startPage":1,"endPage":2}]` {
		t.Fatalf("CheckedSplits = %s, %v", got, err)
	}
	for _, c := range []struct {
		from  []int
		cells map[string]string
	}{
		{nil, map[string]string{"splits[0].endPage": "two"}},
		{[]int{0, 0}, nil},
		{[]int{2}, nil},
	} {
		if _, err := CheckedSplits(o, c.from, c.cells); ErrorCode(err) != EINVALID {
			t.Errorf("CheckedSplits(%v, %v): %v", c.from, c.cells, err)
		}
	}
}
