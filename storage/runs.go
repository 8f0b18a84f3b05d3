package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Run returns a run with its files and any step results delivered apart
// from the run.
func (s *Store) Run(ctx context.Context, id string) (*review.Run, error) {
	var payload []byte
	var status string
	var updates sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT status, payload, updates FROM runs WHERE id = ?`, id).Scan(&status, &payload, &updates)
	if isNoRows(err) {
		return nil, review.Errorf(review.ENOTFOUND, "no run %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	// What callers changed of its name and metadata is part of the run as
	// every reader sees it, and as its decision sends it on.
	if payload, err = withUpdates(payload, updates); err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	run, err := review.DecodeRun(payload)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	// The status column is authoritative: the event type, not the payload,
	// says what happened, and late events never move it back.
	run.Status = review.Status(status)
	if err := s.addStepRuns(ctx, run); err != nil {
		return nil, err
	}
	if err := s.addFileStates(ctx, run); err != nil {
		return nil, err
	}
	dups, err := s.Duplicates(ctx, []string{run.ID})
	if err != nil {
		return nil, err
	}
	if d, ok := dups[run.ID]; ok {
		run.Duplicate = &d
	}
	return run, nil
}

func (s *Store) addStepRuns(ctx context.Context, run *review.Run) error {
	rows, err := s.r.QueryContext(ctx, `SELECT body FROM step_runs WHERE run_id = ? ORDER BY updated_at, id`, run.ID)
	if err != nil {
		return fmt.Errorf("step runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return fmt.Errorf("step runs: %w", err)
		}
		if err := run.AddStepRun(body); err != nil {
			return fmt.Errorf("step runs: %w", err)
		}
	}
	return rows.Err()
}

func (s *Store) addFileStates(ctx context.Context, run *review.Run) error {
	for i := range run.Files {
		f := &run.Files[i]
		// A document uploaded for this run wins over the shared one.
		err := s.r.QueryRowContext(ctx, `SELECT CASE WHEN rf.blob != '' THEN rf.blob ELSE coalesce(f.blob, '') END,
				CASE WHEN rf.blob != '' THEN 'fetched' ELSE coalesce(f.state, 'pending') END, CASE WHEN rf.blob != '' THEN '' ELSE coalesce(f.error, '') END
			FROM run_files rf LEFT JOIN files f ON f.id = rf.file_id WHERE rf.run_id = ? AND rf.file_id = ?`, run.ID, f.ID).Scan(&f.Blob, &f.FetchState, &f.FetchError)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("file %s: %w", f.ID, err)
		}
	}
	return nil
}

// Runs lists run summaries, newest first, a page at a time. next is the
// cursor of the following page, empty on the last.
func (s *Store) Runs(ctx context.Context, f review.RunFilter) (runs []review.RunSummary, next string, err error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.WorkflowID != "" {
		where, args = append(where, "workflow_id = ?"), append(args, f.WorkflowID)
	}
	if f.Cursor != "" {
		created, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "(created_at, id) < (?, ?)"), append(args, created, id)
	}
	q := `SELECT ` + summaryColumns + ` FROM runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanSummary(rows)
		if err != nil {
			return nil, "", fmt.Errorf("runs: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("runs: %w", err)
	}
	if len(runs) > f.Limit {
		runs = runs[:f.Limit]
		last := runs[len(runs)-1]
		next = encodeCursor(ms(last.CreatedAt), last.ID)
	}
	return runs, next, s.withDuplicates(ctx, runs)
}

// Queue lists a page of runs waiting for review, by the filter's order,
// and the cursor of the next page ("" on the last). It reads summary
// columns only and walks an index by key, so a page costs the same at the
// first run as at the hundred-thousandth.
func (s *Store) Queue(ctx context.Context, f review.QueueFilter) ([]review.RunSummary, string, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q, args, err := s.queueQuery(ctx, f)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("queue: %w", err)
	}
	defer rows.Close()
	var out []review.RunSummary
	var keys []float64
	for rows.Next() {
		r, key, err := scanSummaryKey(rows)
		if err != nil {
			return nil, "", fmt.Errorf("queue: %w", err)
		}
		out, keys = append(out, r), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("queue: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeQueueCursor(keys[f.Limit-1], out[f.Limit-1].ID)
	}
	return out, next, s.withDuplicates(ctx, out)
}

// queueQuery is the query of a page of the queue (Queue), one run more than
// f.Limit.
func (s *Store) queueQuery(ctx context.Context, f review.QueueFilter) (string, []any, error) {
	search := strings.TrimSpace(f.Search)
	f.Search = "" // searched last, on the page's runs (searchFirst)
	where, args, err := queueWhere(ctx, s.r, f, s.now())
	if err != nil {
		return "", nil, fmt.Errorf("queue: %w", err)
	}
	if f.After != "" {
		key, id, err := decodeQueueCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		op := ">"
		if f.Sort == "newest" {
			op = "<"
		}
		where += " AND (" + queueKey(f.Sort) + ", id) " + op + " (?, ?)"
		args = append(args, key, id)
	}
	if search != "" {
		w, a, err := searchFirst(ctx, s.r, s.r.pg, where, args, queueOrder(f.Sort), search, f.Limit+1)
		if err != nil {
			return "", nil, fmt.Errorf("queue: %w", err)
		}
		where, args = where+" AND "+w, append(args, a...)
	}
	return `SELECT ` + summaryColumns + `, ` + queueKey(f.Sort) + ` FROM runs WHERE ` + where + ` ORDER BY ` + queueOrder(f.Sort) + ` LIMIT ?`, append(args, f.Limit+1), nil
}

func queueKey(sort string) string {
	switch sort {
	case "confidence":
		return "coalesce(min_confidence, -1)"
	case "oldest", "newest":
		return "queued_at"
	}
	return "due_at"
}

func queueOrder(sort string) string {
	switch sort {
	case "newest":
		return "queued_at DESC, id DESC"
	case "oldest":
		return "queued_at, id"
	case "confidence":
		return "coalesce(min_confidence, -1), id"
	}
	return "due_at, id" // the default: the first due first
}

func queueWhere(ctx context.Context, db interface {
	querier
	isPG() bool
}, f review.QueueFilter, now time.Time) (string, []any, error) {
	pg := db.isPG()
	where := []string{"status = 'NEEDS_REVIEW'"}
	var args []any
	switch f.View {
	case review.ViewEscalated:
		where = append(where, "hold != '' AND hold = 'escalated'") // hold != '': the held runs' index
	case review.ViewPostponed:
		where, args = append(where, "hold != '' AND hold = 'postponed' AND hold_until > ?"), append(args, ms(now))
	case review.ViewAll:
	default: // a postponed run is back when its time has come, without a write
		where, args = append(where, "(hold = '' OR (hold = 'postponed' AND hold_until <= ?))"), append(args, ms(now))
	}
	if f.WorkflowID != "" {
		where, args = append(where, "workflow_id = ?"), append(args, f.WorkflowID)
	}
	if f.FileType != "" {
		where, args = append(where, "file_type = ?"), append(args, f.FileType)
	}
	switch f.Assignee {
	case "":
	case "-":
		where, args = append(where, "(claimed_by = '' OR claim_expires <= ?)"), append(args, ms(now))
	default:
		where, args = append(where, "claimed_by = ? AND claim_expires > ?"), append(args, f.Assignee, ms(now))
	}
	if f.MaxConfidence != nil {
		where, args = append(where, "min_confidence < ?"), append(args, *f.MaxConfidence)
	}
	if f.OlderThan > 0 {
		where, args = append(where, "queued_at <= ?"), append(args, ms(now.Add(-f.OlderThan)))
	}
	if len(f.RunIDs) > 0 {
		where = append(where, "id IN ("+placeholders(len(f.RunIDs))+")")
		for _, id := range f.RunIDs {
			args = append(args, id)
		}
	}
	if !f.DueBefore.IsZero() {
		where, args = append(where, "due_at <= ?"), append(args, ms(f.DueBefore))
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		w, a, err := searchWhere(ctx, db, pg, q)
		if err != nil {
			return "", nil, err
		}
		where, args = append(where, w), append(args, a...)
	}
	return strings.Join(where, " AND "), args, nil
}

func scanSummaryKey(rows *sql.Rows) (review.RunSummary, float64, error) {
	var key float64
	r, err := scanSummary(rows, &key)
	return r, key, err
}

func encodeQueueCursor(key float64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatFloat(key, 'g', -1, 64) + "|" + id))
}

func decodeQueueCursor(c string) (float64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if k, id, ok := strings.Cut(string(b), "|"); ok {
			if v, err := strconv.ParseFloat(k, 64); err == nil {
				return v, id, nil
			}
		}
	}
	return 0, "", review.Errorf(review.EINVALID, "cursor is not one this server gave out")
}

// Escalated counts runs waiting for a supervisor (on the held runs'
// index: they are few).
func (s *Store) Escalated(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status = 'NEEDS_REVIEW' AND hold != '' AND hold = 'escalated'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("escalated runs: %w", err)
	}
	return n, nil
}

// QueueCountMax bounds how far a view of the queue is counted: a count
// reads every run it counts (100,000 waiting runs took 15 ms to count on
// PostgreSQL), on every page and every live update of its rows, and past
// ten thousand "10000+" tells a person as much as the figure.
const QueueCountMax = 10_000

// QueueCount counts the runs the filter lists, on every page of it. The
// queue unfiltered is counted from the kept depth, less the held runs (few,
// on their index); a filtered view up to QueueCountMax, and more says there
// are more.
func (s *Store) QueueCount(ctx context.Context, f review.QueueFilter) (n int64, more bool, err error) {
	return s.queueCount(ctx, f, QueueCountMax)
}

func (s *Store) queueCount(ctx context.Context, f review.QueueFilter, most int64) (n int64, more bool, err error) {
	unfiltered := f.WorkflowID == "" && f.FileType == "" && f.Assignee == "" && f.MaxConfidence == nil && f.OlderThan == 0 &&
		strings.TrimSpace(f.Search) == "" && len(f.RunIDs) == 0 && f.DueBefore.IsZero()
	q, args := `SELECT n FROM queue_depth`, []any(nil)
	switch {
	case unfiltered && f.View == review.ViewAll:
	case unfiltered && f.View == "":
		q, args = `SELECT (SELECT n FROM queue_depth) - (`+heldNow+`)`, []any{ms(s.now())}
	default:
		where, wargs, err := queueWhere(ctx, s.r, f, s.now())
		if err != nil {
			return 0, false, fmt.Errorf("queue count: %w", err)
		}
		q, args = `SELECT count(*) FROM (SELECT 1 FROM runs WHERE `+where+` LIMIT ?) c`, append(wargs, most+1)
	}
	if err := s.r.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("queue count: %w", err)
	}
	if !unfiltered && n > most {
		return most, true, nil
	}
	return n, false, nil
}

// heldNow counts the runs out of the queue at a time (Unix ms): escalated,
// or postponed past it.
const heldNow = `SELECT count(*) FROM runs WHERE status = 'NEEDS_REVIEW' AND hold != ''
	AND (hold = 'escalated' OR (hold = 'postponed' AND hold_until > ?))`

// QueueDepth counts runs waiting for review.
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT n FROM queue_depth`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	return n, nil
}

const summaryColumns = `id, workflow_id, workflow_name, api_version, status, file_name, file_type, page_count, min_confidence, queued_at, created_at, updated_at, decision, decided_by, decided_at, claimed_by, claim_expires, title,
	hold, hold_by, hold_note, hold_at, hold_until, due_at, claimed_at`

// scanSummary reads summaryColumns, and then into extra.
func scanSummary(rows *sql.Rows, extra ...any) (review.RunSummary, error) {
	var r review.RunSummary
	var status string
	var queued, decided sql.NullInt64
	var created, updated, expires, holdAt, holdUntil, due int64
	var claimed sql.NullInt64
	err := rows.Scan(append([]any{&r.ID, &r.WorkflowID, &r.WorkflowName, &r.APIVersion, &status, &r.FileName, &r.FileType, &r.PageCount, &r.MinConfidence, &queued, &created, &updated,
		&r.Decision, &r.DecidedBy, &decided, &r.ClaimedBy, &expires, &r.Title, &r.Hold.Kind, &r.Hold.By, &r.Hold.Note, &holdAt, &holdUntil, &due, &claimed}, extra...)...)
	if err != nil {
		return r, err
	}
	r.Hold.At, r.Hold.Until = holdTimes(holdAt, holdUntil)
	r.DueAt, r.ClaimedAt = fromMS(due), timeOrNil(claimed)
	r.Status = review.Status(status)
	r.QueuedAt, r.DecidedAt = timeOrNil(queued), timeOrNil(decided)
	r.CreatedAt, r.UpdatedAt, r.ClaimExpires = fromMS(created), fromMS(updated), fromMS(expires)
	return r, nil
}

// holdTimes reads a hold's times, zero where unset.
func holdTimes(at, until int64) (time.Time, time.Time) {
	var a, u time.Time
	if at > 0 {
		a = fromMS(at)
	}
	if until > 0 {
		u = fromMS(until)
	}
	return a, u
}

func timeOrNil(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func encodeCursor(created int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created, 10) + "|" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "|"); ok {
			if n, err := strconv.ParseInt(at, 10, 64); err == nil {
				return n, id, nil
			}
		}
	}
	return 0, "", review.Errorf(review.EINVALID, "cursor is not one this server gave out")
}

// Workflows lists the workflow catalogue, by name.
func (s *Store) Workflows(ctx context.Context) ([]review.Workflow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, version FROM workflows WHERE deleted = 0 ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("workflows: %w", err)
	}
	defer rows.Close()
	var out []review.Workflow
	for rows.Next() {
		var w review.Workflow
		if err := rows.Scan(&w.ID, &w.Name, &w.Version); err != nil {
			return nil, fmt.Errorf("workflows: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Decided lists decided runs, the newest decision first, a page at a time,
// and the cursor of the next page ("" on the last).
func (s *Store) Decided(ctx context.Context, f review.DecidedFilter) ([]review.RunSummary, string, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	where, args := []string{"decided_at IS NOT NULL", "decision != ''"}, []any{}
	for _, c := range []struct{ col, v string }{{"workflow_id", f.WorkflowID}, {"decision", f.Decision}, {"decided_by", f.By}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "decided_at >= ?"), append(args, ms(f.Since))
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		w, a, err := searchWhere(ctx, s.r, s.r.pg, q)
		if err != nil {
			return nil, "", fmt.Errorf("decided: %w", err)
		}
		where, args = append(where, w), append(args, a...)
	}
	if f.After != "" {
		at, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "(decided_at, id) < (?, ?)"), append(args, at, id)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+summaryColumns+` FROM runs WHERE `+strings.Join(where, " AND ")+` ORDER BY decided_at DESC, id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("decided: %w", err)
	}
	defer rows.Close()
	var out []review.RunSummary
	for rows.Next() {
		r, err := scanSummary(rows)
		if err != nil {
			return nil, "", fmt.Errorf("decided: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("decided: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[f.Limit-1]
		next = encodeCursor(ms(*last.DecidedAt), last.ID)
	}
	return out, next, nil
}
