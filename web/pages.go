package web

import (
	"net/http"

	"github.com/reviewer-app/reviewer/views"
)

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	runs, err := s.store.Queue(ctx, 200)
	if err != nil {
		return err
	}
	depth, err := s.store.QueueDepth(ctx)
	if err != nil {
		return err
	}
	vm := views.QueuePageVM{Page: s.page(r, "Queue", "queue"), Runs: runs, Depth: depth, Now: s.now()}
	if u := userFrom(ctx); len(runs) == 0 && u.Role.AtLeast("admin") {
		vm.Setup = &views.SetupHint{WebhookURL: s.cfg.BaseURL + "/webhooks/extend", SecretSet: len(s.cfg.WebhookSecrets) > 0, APIKeySet: s.cfg.APIKeySet}
	}
	return s.render(w, r, http.StatusOK, views.QueuePage(vm))
}
