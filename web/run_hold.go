package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
// (for, such as 4h), with the reason given, and opens the next run; past
// the run's due time only a supervisor does, with pastDue set.
func (s *Server) postpone(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	until, err := postponedUntil(r.PostFormValue("until"), r.PostFormValue("for"), s.now())
	if err != nil {
		return err
	}
	if err := s.desk.Postpone(ctx, r.PathValue("runID"), userFrom(ctx), r.PostFormValue("reason"), until, r.PostFormValue("pastDue") != ""); err != nil {
		return err
	}
	s.onward(w, r, "Postponed until "+until.UTC().Format("2 Jan 2006 15:04 UTC")+".")
	return nil
}

// postponedUntil reads when a postponement ends: a time, or a while from
// now; review.CheckHold bounds it. Given both, it refuses rather than pick
// one: a run put off to a time its sender did not mean is not noticed.
func postponedUntil(until, span string, now time.Time) (time.Time, error) {
	if until != "" && span != "" {
		return time.Time{}, review.Errorf(review.EINVALID, "A run is postponed until a time or for a while, not both; nothing was saved.")
	}
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

// onward opens the next run of the queue for the person, saying what
// became of the one left, or the queue saying what was done when nothing
// waits.
func (s *Server) onward(w http.ResponseWriter, r *http.Request, done string) {
	next := "/?flash=" + url.QueryEscape(done)
	if id, err := s.desk.Next(r.Context(), userFrom(r.Context()).Email, review.QueueFilter{}); err == nil {
		next = string(views.Path("runs", id)) + "?held=" + url.QueryEscape(r.PathValue("runID"))
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

// holdBody is what an API call to hold a run sends: JSON
// {"reason": …, "until": RFC 3339} or {"reason": …, "for": "4h"}, with
// "pastDue": true to postpone past the run's due time, or the same as a
// form. It is a few fields, bounded as a form is.
type holdBody struct {
	Reason  string `json:"reason"`
	Until   string `json:"until"`
	For     string `json:"for"`
	PastDue bool   `json:"pastDue"`
}

func readHoldBody(w http.ResponseWriter, r *http.Request) (holdBody, error) {
	if r.PostForm != nil { // readForm parsed a form
		return holdBody{r.PostFormValue("reason"), r.PostFormValue("until"), r.PostFormValue("for"), r.PostFormValue("pastDue") != ""}, nil
	}
	var b holdBody
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return b, review.Errorf(review.ETOOLARGE, "The body is larger than %d KiB, so nothing was saved.", maxForm>>10)
	case err != nil:
		return b, review.Errorf(review.EINVALID, "The body could not be read: %v", err)
	case len(bytes.TrimSpace(raw)) == 0:
		return b, nil // CheckHold asks for the reason
	case json.Unmarshal(raw, &b) != nil:
		return b, review.Errorf(review.EINVALID, `The body is a JSON object such as {"reason": "…", "for": "4h"}; nothing was saved.`)
	}
	return b, nil
}

// apiEscalate sends a run to the supervisors, as Shift+E does on its page;
// the actor is the token (tokens belong to no person: "token:<name>").
func (s *Server) apiEscalate(w http.ResponseWriter, r *http.Request) error {
	b, err := readHoldBody(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.desk.Escalate(ctx, r.PathValue("runID"), userFrom(ctx), b.Reason); err != nil {
		return err
	}
	return s.apiHold(w, r)
}

// apiPostpone puts a run off until a time or for a while, as Shift+P does.
func (s *Server) apiPostpone(w http.ResponseWriter, r *http.Request) error {
	b, err := readHoldBody(w, r)
	if err != nil {
		return err
	}
	until, err := postponedUntil(b.Until, b.For, s.now())
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.desk.Postpone(ctx, r.PathValue("runID"), userFrom(ctx), b.Reason, until, b.PastDue); err != nil {
		return err
	}
	return s.apiHold(w, r)
}

// apiResume puts a held run back in the queue: a postponed one with any
// token, an escalated one with a supervisor's.
func (s *Server) apiResume(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.desk.Resume(ctx, r.PathValue("runID"), userFrom(ctx)); err != nil {
		return err
	}
	return s.apiHold(w, r)
}

// apiHold answers the run's hold as it now stands (null when none).
func (s *Server) apiHold(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	rv, err := s.store.Review(r.Context(), id)
	if err != nil {
		return err
	}
	var h *review.Hold
	if rv.Hold.Kind != "" {
		h = &rv.Hold
	}
	writeJSON(w, http.StatusOK, struct {
		Object string       `json:"object"`
		ID     string       `json:"id"`
		Hold   *review.Hold `json:"hold"`
	}{"run_hold", id, h})
	return nil
}
