package demo

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"
)

// HistoryRuns is how many runs the demo's measured weeks decided: enough
// that the threshold advice on total is supported (a field right every
// time above a threshold needs 381 values there before its 95% lower bound
// reaches 99%), few enough that loading them (through the webhook and the
// desk, as real ones) takes seconds.
const HistoryRuns = 560

// HistoryDays is how far back the measured weeks reach: inside the
// accuracy page's default 30 days.
const HistoryDays = 28

// historyReviewers decide the measured weeks' runs in turn; the last one
// lets every second wrong invoice date through, which QA finds.
var historyReviewers = []string{"ana@example.com", "ben@example.com", "chris@example.com"}

// historyPace is how long each reviewer takes over a run, against the
// others: Ben is quick, Chris slow (and still misses dates), so the
// scorecards show who needs help.
var historyPace = map[string]float64{"ana@example.com": 1, "ben@example.com": 0.75, "chris@example.com": 1.5}

// historyActive is the focused time a reviewer spends on a measured run:
// half a minute to a minute and a half to read it, and a quarter to a
// minute more for each field corrected, at the reviewer's pace. It draws
// from its own source, so the weeks' values are those they always were.
func historyActive(rnd *rand.Rand, by string, edits int) time.Duration {
	s := 30 + rnd.IntN(60)
	for range edits {
		s += 15 + rnd.IntN(45)
	}
	return time.Duration(float64(s)*historyPace[by]) * time.Second
}

// HistoryChecker is who made the QA checks of the measured weeks.
const HistoryChecker = "dana@example.com"

// History returns the demo's measured weeks: HistoryRuns invoices of the
// JSON Schema workflow (copies of the AWS invoice, each with its own
// number: the rules editor checks a rule against its workflow's newest
// run, one of these), submitted over the HistoryDays before now and decided a few
// minutes after, with the model's confidence in total, invoice_date and
// invoice_number spread as a real model's is, and wrong where it is
// unsure: total below 0.83 (a quarter of the runs) about a third of the
// time, never above; the invoice date below 0.90 about a quarter of the
// time. The reviewers correct what is wrong, but Chris lets every second
// wrong date through; Truth is what a careful second reviewer has, for
// the runs QA draws. The draw is seeded: every start makes the same weeks.
func History(now time.Time) ([]Run, error) {
	b, err := content.ReadFile("runs/aws_2026.json")
	if err != nil {
		return nil, err
	}
	var tmpl map[string]json.RawMessage
	if err := json.Unmarshal(b, &tmpl); err != nil {
		return nil, err
	}
	// The parse step's text blocks are two thirds of the payload and play
	// no part in what is measured.
	var steps []map[string]any
	if err := json.Unmarshal(tmpl["stepRuns"], &steps); err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(28, 7))
	pace := rand.New(rand.NewPCG(28, 8))
	start := now.Truncate(24 * time.Hour).Add(-HistoryDays * 24 * time.Hour) // up to yesterday: today's figures are the day's
	out := make([]Run, 0, HistoryRuns)
	chrisSaw := 0 // wrong dates Chris saw
	for i := range HistoryRuns {
		// Working hours (UTC) of the weeks, in order.
		day := i * HistoryDays / HistoryRuns
		at := start.Add(time.Duration(day)*24*time.Hour + 8*time.Hour + time.Duration(rnd.IntN(9*60))*time.Minute)
		h := historyRun(rnd, i)
		payload := maps.Clone(tmpl)
		id := fmt.Sprintf("workflow_run_demo_hist_%04d", i)
		payload["id"], payload["name"] = toRaw(id), toRaw("AWS invoice "+h.number)
		payload["initialRunAt"] = toRaw(at.UTC().Format(time.RFC3339))
		var kept []map[string]any
		for _, s := range steps {
			step := s["step"].(map[string]any)
			switch step["type"] {
			case "PARSE":
				continue
			case "EXTRACT":
				s = h.extract(s)
			}
			s = withIDs(s, id, i)
			kept = append(kept, s)
		}
		payload["stepRuns"] = toRaw(kept)
		r, err := newRun(fmt.Sprintf("history_%04d", i), payload)
		if err != nil {
			return nil, err
		}
		by := historyReviewers[i%len(historyReviewers)]
		d := &Decision{At: at.Add(time.Duration(3+rnd.IntN(20)) * time.Minute), By: by, Approve: true}
		for _, e := range h.wrong {
			if by == "chris@example.com" && e.Path == "invoice_date" {
				if chrisSaw++; chrisSaw%2 == 0 {
					continue // missed: the date goes on wrong, and QA finds it
				}
			}
			d.Edits = append(d.Edits, e)
		}
		d.Active = min(historyActive(pace, by, len(d.Edits)), d.At.Sub(at)-30*time.Second) // opened after it arrived
		r.Decided, r.Truth = d, h.wrong
		out = append(out, r)
	}
	return out, nil
}

// historyValues is one measured run: its invoice number, the model's
// values and confidences, and the corrections its wrong values need.
type historyValues struct {
	number              string
	total, date         string  // the model's values
	totalConf, dateConf float64 // and its confidences
	numberConf          float64
	wrong               []Edit // the document's values where the model's differ
}

func historyRun(rnd *rand.Rand, i int) historyValues {
	h := historyValues{number: fmt.Sprintf("5%07d", 3100000+i*37), total: "4.11", date: "2014-08-03"}
	// A quarter of the totals are read unsure (0.55-0.82), and of those
	// about a third wrong; the rest sure (0.83-1.00) and right.
	if rnd.IntN(100) < 25 {
		h.totalConf = float64(55+rnd.IntN(28)) / 100
		if rnd.IntN(3) == 0 {
			h.total = "4.71"
		}
	} else {
		h.totalConf = float64(83+rnd.IntN(18)) / 100
	}
	// Dates: unsure below 0.90 nearly half the time, a quarter of those wrong.
	if rnd.IntN(100) < 45 {
		h.dateConf = float64(60+rnd.IntN(30)) / 100
		if rnd.IntN(4) == 0 {
			h.date = "2014-03-08" // day and month swapped
		}
	} else {
		h.dateConf = float64(90+rnd.IntN(11)) / 100
	}
	h.numberConf = float64(95+rnd.IntN(6)) / 100
	if h.total != "4.11" {
		h.wrong = append(h.wrong, Edit{Output: historyOutput(i), Path: "total", Text: "4.11", Code: "USD"})
	}
	if h.date != "2014-08-03" {
		h.wrong = append(h.wrong, Edit{Output: historyOutput(i), Path: "invoice_date", Text: "2014-08-03"})
	}
	return h
}

func historyOutput(i int) string { return fmt.Sprintf("exr_demo_hist_%04d", i) }

// extract writes the run's values and confidences into a copy of the
// extraction step.
func (h historyValues) extract(s map[string]any) map[string]any {
	s = deepCopy(s)
	er := s["result"].(map[string]any)["extractRun"].(map[string]any)
	out := er["output"].(map[string]any)
	value, meta := out["value"].(map[string]any), out["metadata"].(map[string]any)
	value["invoice_number"] = h.number
	value["invoice_date"] = h.date
	var amount float64
	fmt.Sscan(h.total, &amount)
	value["total"].(map[string]any)["amount"] = amount
	for path, c := range map[string]float64{"total": h.totalConf, "invoice_date": h.dateConf, "invoice_number": h.numberConf} {
		meta[path].(map[string]any)["ocrConfidence"] = c
	}
	return s
}

// withIDs gives a step run and its output the run's ids; the document is
// the AWS invoice's, shared.
func withIDs(s map[string]any, runID string, i int) map[string]any {
	s = deepCopy(s)
	kind := s["step"].(map[string]any)["type"].(string)
	s["id"] = fmt.Sprintf("workflow_step_run_demo_hist_%04d_%s", i, kind)
	s["workflowRunId"] = runID
	res := s["result"].(map[string]any)
	for k, v := range res {
		o := v.(map[string]any)
		if k == "extractRun" {
			o["id"] = historyOutput(i)
		} else {
			o["id"] = fmt.Sprintf("clr_demo_hist_%04d", i)
		}
	}
	return s
}

func deepCopy(v map[string]any) map[string]any {
	var out map[string]any
	json.Unmarshal(toRaw(v), &out)
	return out
}

func toRaw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
