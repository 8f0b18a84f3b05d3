package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// exportFilter reads workflowId, from and to (RFC 3339 or YYYY-MM-DD).
func exportFilter(r *http.Request) (review.ExportFilter, error) {
	q := r.URL.Query()
	f := review.ExportFilter{WorkflowID: q.Get("workflowId")}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return f, review.Errorf(review.EINVALID, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time", p.name)
			}
		}
		*p.dst = t
	}
	return f, nil
}

// exportJSONL streams decided runs, one reviewed run (in Extend's shape)
// per line, with how it stood in the queue under "reviewer" (queueFacts).
func (s *Server) exportJSONL(w http.ResponseWriter, r *http.Request) error {
	f, err := exportFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="reviewed-runs.jsonl"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	err = s.store.EachDecided(r.Context(), f, func(run review.ExportedRun) error {
		line := compact(run.Payload)
		facts, err := json.Marshal(queueFactsOf(run))
		if err != nil {
			return err
		}
		if n := len(line); n > 2 && line[n-1] == '}' {
			line = append(append(append(line[:n-1:n-1], `,"reviewer":`...), facts...), '}')
		}
		bw.Write(line)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// queueFacts is how a decided run stood in the queue, beside the run in
// the JSONL export: when it was due and whether it was decided late, the
// hold it was under (sent to a supervisor or postponed: who, why, when,
// until), and the earliest other run with the same duplicate key.
type queueFacts struct {
	DueAt     *time.Time        `json:"dueAt"`
	Late      bool              `json:"late"`
	Hold      *review.Hold      `json:"hold"`
	Duplicate *review.Duplicate `json:"duplicate"`
}

func queueFactsOf(run review.ExportedRun) queueFacts {
	f := queueFacts{Late: run.Late(), Duplicate: run.Duplicate}
	if review.HasDue(run.DueAt, run.QueuedAt) {
		f.DueAt = &run.DueAt
	}
	if run.Hold.Kind != "" {
		f.Hold = &run.Hold
	}
	return f
}

// exportColumns are the CSV export's columns before the fields': the
// decision, then queueFacts flattened.
var exportColumns = []string{"run_id", "workflow_id", "decision", "decided_by", "decided_at", "due_at", "late",
	"hold", "hold_by", "hold_reason", "hold_at", "hold_until", "duplicate_of", "duplicate_match", "duplicate_decision"}

// exportRow is a run's cells of exportColumns.
func exportRow(run review.ExportedRun) []string {
	f := queueFactsOf(run)
	row := []string{run.ID, run.WorkflowID, run.Decision, run.DecidedBy, run.DecidedAt.Format(time.RFC3339), "", strconv.FormatBool(f.Late),
		run.Hold.Kind, run.Hold.By, run.Hold.Note, "", "", "", "", ""}
	if f.DueAt != nil {
		row[5] = f.DueAt.UTC().Format(time.RFC3339)
	}
	if f.Hold != nil {
		row[10] = f.Hold.At.UTC().Format(time.RFC3339)
		if !f.Hold.Until.IsZero() {
			row[11] = f.Hold.Until.UTC().Format(time.RFC3339)
		}
	}
	if d := f.Duplicate; d != nil {
		row[12], row[13], row[14] = d.RunID, d.Matched(), d.Decided()
	}
	return row
}

// exportCSV streams decided runs as CSV: one row per run, exportColumns
// and then one column per field path. Paths are Extend's (line_items[0].amount: each row of a list
// gets its own columns, by index); a value is its text (an amount with its
// currency as "4.11 USD"; objects as compact JSON); an empty cell is null
// or absent. Columns are fixed by a first pass over the same runs, so the
// rows themselves are streamed, never held.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) error {
	f, err := exportFilter(r)
	if err != nil {
		return err
	}
	seen := map[string]int{}
	err = s.store.EachDecided(r.Context(), f, func(run review.ExportedRun) error {
		rr, err := review.DecodeRun(run.Payload)
		if err != nil {
			return err
		}
		for _, o := range rr.Outputs {
			for _, fl := range o.Fields {
				if !fl.Type.Container() {
					if _, ok := seen[fl.Path]; !ok {
						seen[fl.Path] = len(seen)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cols := make([]string, 0, len(seen))
	for p := range seen {
		cols = append(cols, p)
	}
	sort.Slice(cols, func(i, j int) bool { return seen[cols[i]] < seen[cols[j]] })
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="reviewed-runs.csv"`)
	cw := csv.NewWriter(w)
	writeSafe(cw, append(slices.Clone(exportColumns), cols...))
	err = s.store.EachDecided(r.Context(), f, func(run review.ExportedRun) error {
		rr, err := review.DecodeRun(run.Payload)
		if err != nil {
			return err
		}
		row := append(exportRow(run), make([]string, len(cols))...)
		for _, o := range rr.Outputs {
			for _, fl := range o.Fields {
				if i, ok := seen[fl.Path]; ok && string(fl.Value) != "null" {
					row[len(exportColumns)+i] = review.Text(fl.Value)
				}
			}
		}
		return writeSafe(cw, row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeSafe writes a CSV row, every cell (headers included) through
// safeCell.
func writeSafe(cw *csv.Writer, row []string) error {
	for i, v := range row {
		row[i] = safeCell(v)
	}
	return cw.Write(row)
}

// safeCell keeps a spreadsheet from reading a cell as a formula: a cell
// starting with = + - @, a tab or a carriage return gets a leading
// apostrophe, unless the whole cell is a number (-12.50 stays a number).
func safeCell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + v
}
