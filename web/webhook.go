package web

import (
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

// receive checks everything it can before reading the body: a secret is
// configured, the signature headers are well formed and fresh, the declared
// length is within the limit. Only then is the body read, within the server's
// memory cap for bodies and the share of it one sender may hold.
func (s *Server) receive(r *http.Request, w http.ResponseWriter) error {
	if len(s.cfg.WebhookSecrets) == 0 {
		return review.Errorf(review.EUNAVAILABLE, "no webhook signing secret is configured: start reviewer with --webhook-secret (or REVIEWER_WEBHOOK_SECRET)")
	}
	sig, err := review.ParseSignature(r.Header.Get(review.HeaderTimestamp), r.Header.Get(review.HeaderSignature), s.now())
	if err != nil {
		return err
	}
	body, release, err := s.bodies.read(w, r, clientAddr(r, s.cfg.TrustedProxies), s.cfg.MaxBody)
	if err != nil {
		return err
	}
	defer release()
	if err := sig.Matches(s.cfg.WebhookSecrets, body); err != nil {
		return err
	}
	ev, err := review.DecodeEvent(body)
	if err != nil {
		return err
	}
	fresh, err := s.desk.Receive(r.Context(), ev, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true, "eventId": ev.ID, "duplicate": !fresh})
	return nil
}
