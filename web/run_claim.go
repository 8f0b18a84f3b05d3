package web

import (
	"net/http"
	"net/url"
)

// claim renews the page's claim on a run (its heartbeat).
func (s *Server) claim(w http.ResponseWriter, r *http.Request) error {
	c, err := s.desk.ClaimFor(r.Context(), r.PathValue("runID"), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": c.By, "expires": c.Expires})
	return nil
}

// release gives a run back: the page sends it when it closes. A supervisor
// may release anyone's claim (force=1) or hand it to someone (to=email).
func (s *Server) release(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if err := s.desk.Release(r.Context(), id, userFrom(r.Context()), r.PostFormValue("force") == "1", r.PostFormValue("to")); err != nil {
		return err
	}
	if r.PostFormValue("back") != "" {
		http.Redirect(w, r, "/runs/"+url.PathEscape(id), http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
