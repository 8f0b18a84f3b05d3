package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// apiRunSummary is a run in a list, in Extend's naming.
type apiRunSummary struct {
	Object        string   `json:"object"`
	ID            string   `json:"id"`
	Status        string   `json:"status"`
	WorkflowID    string   `json:"workflowId"`
	WorkflowName  string   `json:"workflowName"`
	APIVersion    string   `json:"apiVersion"`
	FileName      string   `json:"fileName"`
	PageCount     int      `json:"pageCount"`
	MinConfidence *float64 `json:"minConfidence"`
	QueuedAt      *string  `json:"queuedAt"`
	CreatedAt     string   `json:"createdAt"`
	UpdatedAt     string   `json:"updatedAt"`
	// Duplicate is the earliest other run with the run's duplicate key,
	// null when none.
	Duplicate *review.Duplicate `json:"duplicate"`
	// Hold is why the run is out of the queue (sent to a supervisor,
	// postponed), null when it is not.
	Hold *review.Hold `json:"hold"`
	// DueAt is when the run is due while it waits, null when it has no
	// due time; Due is "late", "soon" (within the hour) or "".
	DueAt *string `json:"dueAt"`
	Due   string  `json:"due"`
	// HeldBy is who holds the run now and ClaimedAt since when; "" and
	// null when nobody does.
	HeldBy    string  `json:"heldBy"`
	ClaimedAt *string `json:"claimedAt"`
}

// apiSummary is a run of a list as the API shows it, at now; due soon is
// within soon.
func apiSummary(run review.RunSummary, now time.Time, soon time.Duration) apiRunSummary {
	a := apiRunSummary{
		Object: "workflow_run", ID: run.ID, Status: string(run.Status), WorkflowID: run.WorkflowID, WorkflowName: run.WorkflowName,
		APIVersion: run.APIVersion, FileName: run.FileName, PageCount: run.PageCount, MinConfidence: run.MinConfidence,
		CreatedAt: run.CreatedAt.Format(timeFormat), UpdatedAt: run.UpdatedAt.Format(timeFormat), Duplicate: run.Duplicate,
	}
	if run.QueuedAt != nil {
		t := run.QueuedAt.Format(timeFormat)
		a.QueuedAt = &t
	}
	if run.Hold.Active(now) {
		a.Hold = &run.Hold
	}
	if a.HeldBy = run.HeldBy(now); a.HeldBy != "" && run.ClaimedAt != nil {
		t := run.ClaimedAt.Format(timeFormat)
		a.ClaimedAt = &t
	}
	if run.Status == review.StatusNeedsReview && run.QueuedAt != nil && review.HasDue(run.DueAt, *run.QueuedAt) {
		t := run.DueAt.Format(timeFormat)
		a.DueAt, a.Due = &t, review.DueState(run.DueAt, *run.QueuedAt, now, soon)
	}
	return a
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := review.RunFilter{Status: review.Status(q.Get("status")), WorkflowID: q.Get("workflowId"), Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return review.Errorf(review.EINVALID, "limit must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	runs, next, err := s.store.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	return s.writeList(w, r, runs, next)
}

// writeList answers a page of runs and the cursor of the next.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, runs []review.RunSummary, next string) error {
	t, err := s.desk.Thresholds(r.Context())
	if err != nil {
		return err
	}
	data := make([]apiRunSummary, 0, len(runs))
	for _, run := range runs {
		data = append(data, apiSummary(run, s.now(), t.Soon))
	}
	var nextCursor any
	if next != "" {
		nextCursor = next
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "nextCursor": nextCursor})
	return nil
}

// apiQueue lists the runs waiting for review in the queue's order (view:
// empty for the queue, escalated, postponed), a page at a time.
func (s *Server) apiQueue(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := review.QueueFilter{WorkflowID: q.Get("workflowId"), View: q.Get("view"), Sort: q.Get("sort"), After: q.Get("cursor"), Limit: 100}
	if err := f.CheckView(); err != nil {
		return err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return review.Errorf(review.EINVALID, "limit must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	runs, next, err := s.store.Queue(r.Context(), f)
	if err != nil {
		return err
	}
	return s.writeList(w, r, runs, next)
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// apiRun returns the run in the API version and shape it arrived in: once
// decided here, with the review applied (reviewedOutput, output, edited,
// edits, reviewer, reviewedAt, rejectionNote).
func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) error {
	if err := s.desk.Withheld(r.Context(), r.PathValue("runID"), userFrom(r.Context())); err != nil {
		return err
	}
	run, err := s.store.Run(r.Context(), r.PathValue("runID"))
	if err != nil {
		return err
	}
	body := run.Raw
	reviewed, err := s.store.ReviewedPayload(r.Context(), run.ID)
	if err != nil {
		return err
	}
	if reviewed != nil {
		body = reviewed
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Extend-Api-Version", run.APIVersion)
	_, err = w.Write(body)
	return err
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if _, err := s.store.Review(r.Context(), id); err != nil {
		return err
	}
	if err := s.desk.Withheld(r.Context(), id, userFrom(r.Context())); err != nil {
		return err // the history holds the first review's edits
	}
	entries, err := s.store.Audit(r.Context(), id)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []review.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": entries})
	return nil
}

// apiDuplicate answers the earliest other run with the run's duplicate
// key, and how it was decided; 404 when there is none.
func (s *Server) apiDuplicate(w http.ResponseWriter, r *http.Request) error {
	run, err := s.store.Run(r.Context(), r.PathValue("runID"))
	if err != nil {
		return err
	}
	if run.Duplicate == nil {
		return review.Errorf(review.ENOTFOUND, "No other run of %s has the key of %s.", run.Workflow.ID, run.ID)
	}
	writeJSON(w, http.StatusOK, struct {
		Object string `json:"object"`
		*review.Duplicate
		Matched string `json:"matched"`
	}{"duplicate", run.Duplicate, run.Duplicate.Matched()})
	return nil
}

// apiDuplicateKey answers a workflow's duplicate key fields; none means
// the document's checksum.
func (s *Server) apiDuplicateKey(w http.ResponseWriter, r *http.Request) error {
	fields, err := s.store.DuplicateKeys(r.Context(), r.PathValue("workflowID"))
	if err != nil {
		return err
	}
	if fields == nil {
		fields = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "duplicate_key", "workflowId": r.PathValue("workflowID"), "fields": fields, "checksum": len(fields) == 0})
	return nil
}
