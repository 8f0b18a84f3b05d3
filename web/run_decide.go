package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// decide approves or rejects a run: the reviewed payload, in Extend's shape,
// is written with the decision in one transaction.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, approve bool) error {
	ctx := r.Context()
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		return review.Errorf(review.EINVALID, "the form has no version")
	}
	id, user := r.PathValue("runID"), userFrom(ctx)
	actor := user.Email
	v := desk.Verdict{Version: version, Approve: approve, Note: strings.TrimSpace(r.PostFormValue("rejectionNote")), Override: r.PostFormValue("override") == "1"}
	if v.Override {
		v.Note = strings.TrimSpace(r.PostFormValue("overrideNote"))
	}
	if err := s.desk.Decide(ctx, id, user, v); err != nil {
		return err
	}
	next := string(views.Path("runs", id))
	if r.PostFormValue("next") == "1" {
		// Approve and open the next: claim the next run of the queue.
		next = "/"
		if id, err := s.desk.Next(ctx, actor, review.QueueFilter{}); err == nil {
			next = string(views.Path("runs", id))
		}
	}
	// The page it goes on to offers to take the decision back.
	http.Redirect(w, r, next+"?decided="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// undo takes back the decision its maker just made, and opens the run again.
func (s *Server) undo(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if err := s.desk.Undo(r.Context(), id, userFrom(r.Context()).Email); err != nil {
		return err
	}
	http.Redirect(w, r, string(views.Path("runs", id)), http.StatusSeeOther)
	return nil
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, true) }

func (s *Server) reject(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, false) }

func (s *Server) reopen(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if err := s.desk.Reopen(r.Context(), id, userFrom(r.Context()).Email); err != nil {
		return err
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// discardDraft drops a run's saved changes (admins only).
func (s *Server) discardDraft(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if err := s.desk.Discard(r.Context(), id, userFrom(r.Context()).Email); err != nil {
		return err
	}
	http.Redirect(w, r, string(views.Path("runs", id)), http.StatusSeeOther)
	return nil
}
