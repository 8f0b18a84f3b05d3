package web

import (
	"net/http"
	"net/url"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// claim renews the page's claim on a run (its heartbeat).
func (s *Server) claim(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.ClaimRun(r.Context(), r.PathValue("runID"), userFrom(r.Context()).Email, storage.ClaimLease)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": c.By, "expires": c.Expires})
	return nil
}

// release gives a run back: the page sends it when it closes. A supervisor
// may release anyone's claim (force=1) or hand it to someone (to=email).
func (s *Server) release(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	user := userFrom(ctx)
	id := r.PathValue("runID")
	supervisor := user.Role.AtLeast(review.RoleSupervisor)
	if to := r.PostFormValue("to"); to != "" {
		if !supervisor {
			return review.Errorf(review.EFORBIDDEN, "Only supervisors reassign runs.")
		}
		if err := s.store.Reassign(ctx, id, to, user.Email, storage.ClaimLease); err != nil {
			return err
		}
	} else if err := s.store.Release(ctx, id, user.Email, supervisor && r.PostFormValue("force") == "1"); err != nil {
		return err
	}
	if r.PostFormValue("back") != "" {
		http.Redirect(w, r, "/runs/"+url.PathEscape(id), http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
