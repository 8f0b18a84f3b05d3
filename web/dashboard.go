package web

import (
	"net/http"

	"github.com/reviewer-app/reviewer/views"
)

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.Dashboard(r.Context(), s.sla(r.Context()))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("part") == "body" { // a live redraw
		return s.render(w, r, http.StatusOK, views.DashboardBody(d, s.people(r.Context())))
	}
	return s.render(w, r, http.StatusOK, views.DashboardPage(views.DashboardPageVM{Page: s.page(r, "Dashboard", "dashboard"), D: d}))
}

func (s *Server) correctedRuns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	runs, err := s.store.CorrectedRuns(r.Context(), q.Get("workflow"), q.Get("path"), 200)
	if err != nil {
		return err
	}
	if runs, err = s.unwithheld(r.Context(), runs, ""); err != nil { // which field the first review corrected
		return err
	}
	vm := views.CorrectedRunsVM{Page: s.page(r, "Corrections", "dashboard"), Workflow: q.Get("workflow"), Path: q.Get("path"), Runs: runs, Now: s.now()}
	return s.render(w, r, http.StatusOK, views.CorrectedRunsPage(vm))
}
