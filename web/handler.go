package web

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
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
		handle := func(w http.ResponseWriter, r *http.Request) error {
			if err := readForm(w, r); err != nil {
				return err
			}
			return rt.handle(w, r)
		}
		var err error
		switch rt.access {
		case extendToken, extendSupervisor:
			// Extend's API takes JSON whatever the content type says: a
			// body read as a form would be gone before the handler sees it.
			s.serveExtend(w, r, rt.access, rt.handle) // answers its own errors, in Extend's shape
			return
		case signed:
			// The signature is over the raw bytes: read as a form, they
			// would be gone before the webhook checks them.
			err = rt.handle(w, r)
		case anyone:
			err = handle(w, r)
		case apiToken, supervisorToken:
			err = s.withToken(w, r, rt.access, handle)
		default:
			err = s.withSession(w, r, rt.access, handle)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// maxForm bounds a posted form: every form of reviewer's is a few fields.
const maxForm = 64 << 10

// readForm reads a posted form before its handler runs, so a form too large
// is refused whole with a sentence, never half-read and answered "Saved.".
// Uploads and JSON bodies have limits of their own.
func readForm(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return review.Errorf(review.ETOOLARGE, "The form is larger than %d KiB, so nothing was saved.", maxForm>>10)
		}
		return review.Errorf(review.EINVALID, "The form cannot be read: %v", err)
	}
	return nil
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

// notFound answers a path no route has: the designed page, with the
// navigation of whoever is signed in, or JSON for API callers.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get(extendVersionHeader) != "" {
		s.extendNotServed(w, r)
		return nil
	}
	if se, err := s.session(r); err == nil {
		r = r.WithContext(context.WithValue(r.Context(), userKey, &se.User))
	}
	s.fail(w, r, review.Errorf(review.ENOTFOUND, "There is no page at %s. It may have moved, or the link may be mistyped.", r.URL.Path))
	return nil
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
	p := views.Page{Title: title, User: userFrom(r.Context()), Nav: nav, Asset: s.assets.URL, People: s.people(r.Context()), Undo: s.justDecided(r), Held: s.justHeld(r)}
	if p.User != nil && p.User.Role.AtLeast(review.RoleSupervisor) {
		// A supervisor opening any page is told of the runs already
		// waiting for one, not only of those sent while it is open.
		if n, err := s.store.Escalated(r.Context()); err == nil {
			p.Escalated = n
		}
	}
	return p
}

// justHeld is the run named by the page's "held" parameter (the page a
// hold went on to), if the signed-in person put it on hold and it still is.
func (s *Server) justHeld(r *http.Request) *views.HeldVM {
	id, user := r.URL.Query().Get("held"), userFrom(r.Context())
	if id == "" || user == nil {
		return nil
	}
	rv, err := s.store.Review(r.Context(), id)
	if err != nil || rv.Hold.By != user.Email || !rv.Hold.Active(s.now()) {
		return nil
	}
	h := &views.HeldVM{RunID: id, Name: id, Hold: rv.Hold}
	if run, err := s.store.Run(r.Context(), id); err == nil {
		h.Name = firstNonEmpty(run.Name, runFileName(run), run.ID)
	}
	return h
}

// justDecided is the decision named by the page's "decided" parameter (the
// page a decision went on to), if the signed-in person made it and may
// still take it back.
func (s *Server) justDecided(r *http.Request) *views.UndoVM {
	id, user := r.URL.Query().Get("decided"), userFrom(r.Context())
	if id == "" || user == nil {
		return nil
	}
	rv, err := s.store.Review(r.Context(), id)
	if err != nil || rv.Decision == "" || rv.DecidedBy != user.Email || rv.DecidedAt == nil {
		return nil
	}
	until := rv.DecidedAt.Add(s.desk.UndoWindow)
	if !s.now().Before(until) {
		return nil
	}
	u := &views.UndoVM{RunID: id, Name: id, Decision: rv.Decision, Until: until}
	if run, err := s.store.Run(r.Context(), id); err == nil {
		u.Name = firstNonEmpty(run.Name, runFileName(run), run.ID)
	}
	return u
}

// people names people by email for display, reading the accounts once, when
// first asked.
func (s *Server) people(ctx context.Context) views.People {
	var names map[string]string
	return func(email string) string {
		if names == nil {
			names = map[string]string{}
			users, err := s.store.Users(ctx)
			if err != nil {
				s.log.Error("people", "err", err)
			}
			for _, u := range users {
				names[u.Email] = u.DisplayName()
			}
		}
		if n := names[email]; n != "" {
			return n
		}
		return email
	}
}
