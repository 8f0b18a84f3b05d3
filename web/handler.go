package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// handlerFunc is a handler that may fail; guard turns failures into answers.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type ctxKey int

const (
	userKey    ctxKey = iota
	sessionKey        // the session id of a page request
)

// userFrom returns the signed-in user of a page request.
func userFrom(ctx context.Context) *review.User {
	u, _ := ctx.Value(userKey).(*review.User)
	return u
}

// guard enforces a route's access rule, then runs it and renders its error.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch rt.access {
		case anyone:
			err = rt.handle(w, r)
		case apiToken:
			err = s.withToken(w, r, rt.handle)
		default:
			err = s.withSession(w, r, rt.access, rt.handle)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

var statusOf = map[string]int{
	review.EINVALID:       http.StatusBadRequest,
	review.ENOTFOUND:      http.StatusNotFound,
	review.ECONFLICT:      http.StatusConflict,
	review.EUNAUTHORIZED:  http.StatusUnauthorized,
	review.EFORBIDDEN:     http.StatusForbidden,
	review.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	review.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	review.ETOOMANY:       http.StatusTooManyRequests,
	review.EUNAVAILABLE:   http.StatusServiceUnavailable,
	review.EINTERNAL:      http.StatusInternalServerError,
}

// fail answers with err: JSON for API and webhook requests, an error page
// for browsers. Only internal errors are logged; the rest are the caller's.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	code := review.ErrorCode(err)
	status := statusOf[code]
	if code == review.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": review.ErrorMessage(err)}})
		return
	}
	title := http.StatusText(status)
	s.render(w, r, status, views.ErrorPage(views.ErrorPageVM{Page: s.page(r, title, ""), Status: status, Message: review.ErrorMessage(err)}))
}

func wantsJSON(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/") || r.Header.Get("Upgrade") != "" ||
		strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// render writes a templ component as the whole answer.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return c.Render(r.Context(), w)
}

// page fills the parts of a page view model every page shares.
func (s *Server) page(r *http.Request, title, nav string) views.Page {
	return views.Page{Title: title, User: userFrom(r.Context()), Nav: nav, Asset: s.assets.URL}
}
