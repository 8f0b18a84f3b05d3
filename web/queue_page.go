package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
	"github.com/reviewer-app/reviewer/web/live"
	"golang.org/x/sync/errgroup"
)

// queueFilter reads the queue's filter from the query string.
func queueFilter(q url.Values, me string) (review.QueueFilter, views.QueueFilterVM) {
	vm := views.QueueFilterVM{Workflow: q.Get("workflow"), FileType: q.Get("type"), Assignee: q.Get("assignee"), Age: q.Get("age"), Conf: q.Get("conf"), Search: q.Get("q"), Sort: q.Get("sort"), View: q.Get("view")}
	f := review.QueueFilter{WorkflowID: vm.Workflow, FileType: vm.FileType, Search: vm.Search, Sort: vm.Sort, View: vm.View, After: q.Get("after"), Limit: 100}
	switch vm.Assignee {
	case "me":
		f.Assignee = me
	case "none":
		f.Assignee = "-"
	default:
		f.Assignee = vm.Assignee
	}
	if h, err := strconv.Atoi(vm.Age); err == nil && h > 0 {
		f.OlderThan = time.Duration(h) * time.Hour
	}
	if c, err := strconv.ParseFloat(vm.Conf, 64); err == nil && c > 0 {
		f.MaxConfidence = &c
	}
	return f, vm
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	user := userFrom(ctx)
	f, fvm := queueFilter(r.URL.Query(), user.Email)
	if err := f.CheckView(); err != nil {
		return err
	}
	// The page's reads wait on the database, not on each other: read one
	// after another they were nine round trips a page (on PostgreSQL
	// beside two neighbours, a wait for a core each).
	var (
		runs      []review.RunSummary
		next      string
		count     int64
		more      bool
		workflows []review.Workflow
		t         review.Thresholds
		back      time.Time
		backOK    bool
		page      views.Page
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { runs, next, err = s.store.Queue(gctx, f); return err })
	g.Go(func() (err error) { count, more, err = s.store.QueueCount(gctx, f); return err })
	g.Go(func() (err error) { workflows, err = s.store.Workflows(gctx); return err })
	g.Go(func() (err error) { t, err = s.desk.Thresholds(gctx); return err })
	g.Go(func() (err error) { back, backOK, err = s.store.NextReturn(gctx); return err })
	g.Go(func() error { page = s.page(r, "Queue", "queue"); return nil })
	if err := g.Wait(); err != nil {
		return err
	}
	vm := views.QueuePageVM{Page: page, Runs: runs, Count: views.Counted(count, more), Now: s.now(), Soon: t.Soon, Filter: fvm, Workflows: workflows,
		Me: user.Email, Flash: r.URL.Query().Get("flash"), Paged: f.After != "", Supervisor: user.Role.AtLeast(review.RoleSupervisor)}
	if backOK && f.View == "" {
		vm.BackAt = back.UnixMilli()
	}
	if next != "" {
		q := r.URL.Query()
		q.Set("after", next)
		vm.NextPage = "/?" + q.Encode()
	}
	// The steps to connect Extend are for an instance no run has reached
	// yet; a queue emptied by the day's work is connected already.
	if len(runs) == 0 && len(workflows) == 0 && user.Role.AtLeast(review.RoleAdmin) {
		depth, err := s.store.QueueDepth(ctx)
		if err != nil {
			return err
		}
		if depth == 0 {
			vm.Setup = &views.SetupHint{WebhookURL: s.cfg.BaseURL + "/webhooks/extend", SecretSet: len(s.cfg.WebhookSecrets) > 0, APIKeySet: s.cfg.APIKeySet}
		}
	}
	return s.render(w, r, http.StatusOK, views.QueuePage(vm))
}

// queueRow renders one queue row for a live update, or answers 204 when the
// run is no longer in the queue or outside the page's filter.
func (s *Server) queueRow(w http.ResponseWriter, r *http.Request) error {
	runs, err := s.liveRows(w, r, []string{r.PathValue("runID")})
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.renderRows(w, r, runs)
}

// maxQueueRows is how many runs one request for rows may name: as many as
// a burst names, so a page reads any burst back in one request, and a
// request's work stays that of one queue page.
const maxQueueRows = live.MaxBurstRuns

// queueRows renders, in one response, the rows of the runs named by id
// (?id=a&id=b) that are in the queue and in the page's filter: an open
// page reads back every run it heard of meanwhile in one request, not one
// request per run. A run named and not answered has left the page's view.
func (s *Server) queueRows(w http.ResponseWriter, r *http.Request) error {
	ids := r.URL.Query()["id"]
	if len(ids) == 0 || len(ids) > maxQueueRows {
		return review.Errorf(review.EINVALID, "name from 1 to %d runs, each as id=, in one request for queue rows (this named %d)", maxQueueRows, len(ids))
	}
	runs, err := s.liveRows(w, r, ids)
	if err != nil {
		return err
	}
	return s.renderRows(w, r, runs)
}

// liveRows reads the runs of ids in the queue under the request's filter,
// and says how many runs the filter lists in the X-Queue-Depth header.
func (s *Server) liveRows(w http.ResponseWriter, r *http.Request, ids []string) ([]review.RunSummary, error) {
	ctx := r.Context()
	f, _ := queueFilter(r.URL.Query(), userFrom(ctx).Email)
	f.RunIDs, f.After, f.Limit = ids, "", len(ids)
	runs, _, err := s.store.Queue(ctx, f)
	if err != nil {
		return nil, err
	}
	f.RunIDs = nil
	n, more, err := s.store.QueueCount(ctx, f)
	if err != nil {
		return nil, err
	}
	w.Header().Set("X-Queue-Depth", views.Counted(n, more))
	return runs, nil
}

// renderRows answers runs as queue rows, one after the other.
func (s *Server) renderRows(w http.ResponseWriter, r *http.Request, runs []review.RunSummary) error {
	ctx := r.Context()
	t, err := s.desk.Thresholds(ctx)
	if err != nil {
		return err
	}
	me, people, now := userFrom(ctx).Email, s.people(ctx), s.now()
	return s.render(w, r, http.StatusOK, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		for _, run := range runs {
			if err := views.QueueRow(run, now, t.Soon, me, people).Render(ctx, w); err != nil {
				return err
			}
		}
		return nil
	}))
}

// next claims the next run of the reviewer's current filter and opens it.
func (s *Server) next(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	user := userFrom(r.Context())
	f, _ := queueFilter(r.PostForm, user.Email)
	f.After, f.Search = "", ""
	id, err := s.desk.Next(r.Context(), user.Email, f)
	if review.ErrorCode(err) == review.ENOTFOUND {
		q := r.PostForm
		q.Set("flash", "Nothing is waiting that nobody holds in this view.")
		http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}
