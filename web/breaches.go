package web

import (
	"context"
	"net/http"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// maxBreaches bounds the breach board: five hundred late runs is a
// backlog to sort by workflow in the queue, not a list to read.
const maxBreaches = 500

// lateRuns lists the runs waiting for review, held or not, that are late
// or due within soon, the first due first.
func (s *Server) lateRuns(ctx context.Context, soon time.Duration) ([]review.RunSummary, error) {
	runs, _, err := s.store.Queue(ctx, review.QueueFilter{View: review.ViewAll, DueBefore: s.now().Add(soon), Limit: maxBreaches})
	return runs, err
}

// breaches is the supervisors' breach board: what is late or close to due
// right now, who holds it, since when.
func (s *Server) breaches(w http.ResponseWriter, r *http.Request) error {
	t, err := s.desk.Thresholds(r.Context())
	if err != nil {
		return err
	}
	runs, err := s.lateRuns(r.Context(), t.Soon)
	if err != nil {
		return err
	}
	vm := views.BreachesVM{Page: s.page(r, "Late and close to due", "breaches"), Runs: runs, Now: s.now(), Soon: t.Soon}
	if r.URL.Query().Get("part") == "body" { // a live redraw
		return s.render(w, r, http.StatusOK, views.BreachesBody(vm))
	}
	return s.render(w, r, http.StatusOK, views.BreachesPage(vm))
}

// apiBreaches is the breach board in the API.
func (s *Server) apiBreaches(w http.ResponseWriter, r *http.Request) error {
	t, err := s.desk.Thresholds(r.Context())
	if err != nil {
		return err
	}
	runs, err := s.lateRuns(r.Context(), t.Soon)
	if err != nil {
		return err
	}
	return s.writeList(w, r, runs, "")
}
