package web

import (
	"context"
	"net/http"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// decidedPage lists decided runs, newest decision first, filtered and
// searched like the queue.
func (s *Server) decidedPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	fvm := views.DecidedFilterVM{Workflow: q.Get("workflow"), Decision: q.Get("decision"), By: q.Get("by"), Search: q.Get("q")}
	runs, next, err := s.store.Decided(ctx, review.DecidedFilter{WorkflowID: fvm.Workflow, Decision: fvm.Decision, By: fvm.By, Search: fvm.Search, After: q.Get("after")})
	if err != nil {
		return err
	}
	if fvm.Search != "" {
		// The search index holds a decision's corrections.
		if runs, err = s.unwithheld(ctx, runs, fvm.Search); err != nil {
			return err
		}
	}
	workflows, err := s.store.Workflows(ctx)
	if err != nil {
		return err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	vm := views.DecidedPageVM{Page: s.page(r, "Decided runs", "decided"), Runs: runs, Now: s.now(), Filter: fvm, Workflows: workflows, Deciders: users}
	if next != "" {
		q.Set("after", next)
		vm.NextPage = "/decided?" + q.Encode()
	}
	return s.render(w, r, http.StatusOK, views.DecidedPage(vm))
}

// unwithheld drops the runs whose first review the signed-in person may
// not learn of yet (desk.Withheld): a list that matched or picked them by
// their reviewed values would tell. A run named by its id stays.
func (s *Server) unwithheld(ctx context.Context, runs []review.RunSummary, named string) ([]review.RunSummary, error) {
	ids := make([]string, len(runs))
	for i, run := range runs {
		ids[i] = run.ID
	}
	kept, err := s.desk.Withholding(ctx, userFrom(ctx), ids...)
	if err != nil {
		return nil, err
	}
	shown := runs[:0]
	for _, run := range runs {
		if !kept[run.ID] || run.ID == named {
			shown = append(shown, run)
		}
	}
	return shown, nil
}
