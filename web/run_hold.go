package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// escalate sends a run to the supervisors with the reason given, and
// opens the next run of the queue: this one has left the reviewer's hands.
func (s *Server) escalate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("runID")
	if err := s.desk.Escalate(ctx, id, userFrom(ctx), r.PostFormValue("reason")); err != nil {
		return err
	}
	s.onward(w, r, "Sent to a supervisor.")
	return nil
}

// postpone puts a run off, until a time (until, RFC 3339) or for a while
// (for, such as 4h), with the reason given, and opens the next run.
func (s *Server) postpone(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	until, err := postponedUntil(r.PostFormValue("until"), r.PostFormValue("for"), s.now())
	if err != nil {
		return err
	}
	if err := s.desk.Postpone(ctx, r.PathValue("runID"), userFrom(ctx), r.PostFormValue("reason"), until); err != nil {
		return err
	}
	s.onward(w, r, "Postponed until "+until.UTC().Format("2 Jan 2006 15:04 UTC")+".")
	return nil
}

// postponedUntil reads when a postponement ends: a time, or a while from
// now; review.CheckHold bounds it.
func postponedUntil(until, span string, now time.Time) (time.Time, error) {
	if until != "" {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return time.Time{}, review.Errorf(review.EINVALID, "until is a time such as 2026-12-08T09:00:00Z.")
		}
		return t, nil
	}
	d, err := time.ParseDuration(span)
	if err != nil || d <= 0 || d > review.MaxPostpone {
		return time.Time{}, review.Errorf(review.EINVALID, "A run is postponed for a while such as 4h, of at most %d days.", int(review.MaxPostpone/(24*time.Hour)))
	}
	return now.Add(d), nil
}

// onward opens the next run of the queue for the person, or the queue
// saying what was done when nothing waits.
func (s *Server) onward(w http.ResponseWriter, r *http.Request, done string) {
	next := "/?flash=" + url.QueryEscape(done)
	if id, err := s.desk.Next(r.Context(), userFrom(r.Context()).Email, review.QueueFilter{}); err == nil {
		next = string(views.Path("runs", id))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// resume puts a held run back in the queue before its time.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("runID")
	if err := s.desk.Resume(ctx, id, userFrom(ctx)); err != nil {
		return err
	}
	http.Redirect(w, r, string(views.Path("runs", id)), http.StatusSeeOther)
	return nil
}
