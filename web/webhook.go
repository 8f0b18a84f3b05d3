package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/reviewer-app/reviewer/review"
)

// webhook receives Extend's events. It verifies the signature over the raw
// body, checks the envelope, and answers 200 only once the raw event is
// committed; interpreting it happens afterwards, in the ingest worker.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	err := s.receive(r, w)
	s.metrics.webhook(err)
	return err
}

func (s *Server) receive(r *http.Request, w http.ResponseWriter) error {
	if len(s.cfg.WebhookSecrets) == 0 {
		return review.Errorf(review.EUNAVAILABLE, "no webhook signing secret is configured: start reviewer with --webhook-secret (or REVIEWER_WEBHOOK_SECRET)")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return review.Errorf(review.ETOOLARGE, "body is larger than %d bytes", s.cfg.MaxBody)
		}
		return review.Errorf(review.EINVALID, "reading body: %v", err)
	}
	err = review.Verify(s.cfg.WebhookSecrets, r.Header.Get(review.HeaderTimestamp), r.Header.Get(review.HeaderSignature), body, s.now())
	if err != nil {
		return err
	}
	ev, err := review.DecodeEvent(body)
	if err != nil {
		return err
	}
	fresh, err := s.store.AppendEvent(r.Context(), ev, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true, "eventId": ev.ID, "duplicate": !fresh})
	return nil
}
