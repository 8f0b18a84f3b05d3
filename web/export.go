package web

import (
	"bufio"
	"encoding/csv"
	"net/http"
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
// per line.
func (s *Server) exportJSONL(w http.ResponseWriter, r *http.Request) error {
	f, err := exportFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="reviewed-runs.jsonl"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	err = s.store.EachDecided(r.Context(), f, func(run review.ExportedRun) error {
		bw.Write(compact(run.Payload))
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// exportCSV streams decided runs as CSV: one row per run, one column per
// field path. Paths are Extend's (line_items[0].amount: each row of a list
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
	writeSafe(cw, append([]string{"run_id", "workflow_id", "decision", "decided_by", "decided_at"}, cols...))
	err = s.store.EachDecided(r.Context(), f, func(run review.ExportedRun) error {
		rr, err := review.DecodeRun(run.Payload)
		if err != nil {
			return err
		}
		row := make([]string, 5+len(cols))
		copy(row, []string{run.ID, run.WorkflowID, run.Decision, run.DecidedBy, run.DecidedAt.Format(time.RFC3339)})
		for _, o := range rr.Outputs {
			for _, fl := range o.Fields {
				if i, ok := seen[fl.Path]; ok && string(fl.Value) != "null" {
					row[5+i] = review.Text(fl.Value)
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
