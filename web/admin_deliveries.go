package web

import (
	"net/http"
	"strconv"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// deliveriesPage shows the destinations and the delivery log.
func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.Destinations(r.Context())
	if err != nil {
		return err
	}
	log, err := s.store.RecentDeliveries(r.Context(), 200)
	if err != nil {
		return err
	}
	failed, err := s.store.FailedEvents(r.Context(), 100)
	if err != nil {
		return err
	}
	calls, err := s.store.RecentCalls(r.Context(), 100)
	if err != nil {
		return err
	}
	evalSets, err := s.store.FeedbackRules(r.Context())
	if err != nil {
		return err
	}
	workflows, err := s.store.Workflows(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, views.DeliveriesPage(views.DeliveriesVM{Page: s.page(r, "Deliveries", "admin"), Destinations: ds, Deliveries: log,
		FailedEvents: failed, Calls: calls, EvaluationSets: evalSets, Workflows: workflows}))
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no delivery %q", r.PathValue("id"))
	}
	if err := s.desk.Redeliver(r.Context(), userFrom(r.Context()).Email, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}

func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.desk.Replay(r.Context(), userFrom(r.Context()).Email, r.PathValue("eventID")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}
