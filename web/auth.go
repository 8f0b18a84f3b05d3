package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
)

const (
	cookieName = "reviewer_session"
	// touchEvery is how stale a session's last request may be kept: the
	// idle timeout (review.SessionIdle) need not know it to the second.
	touchEvery = time.Minute
)

// newCookieStore signs and encrypts the session cookie with keys kept in the
// database, so sessions survive restarts. The cookie holds only the session
// id; the session itself lives server-side.
func newCookieStore(ctx context.Context, d *desk.Desk, secure bool) (*sessions.CookieStore, error) {
	keys, err := d.SessionKeys(ctx) // newest pair first; older pairs still accepted
	if err != nil {
		return nil, err
	}
	cs := sessions.NewCookieStore(keys...)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(review.SessionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	return cs, nil
}

// withSession runs next for a signed-in user whose role is enough, and
// answers its failure knowing who is signed in; others are sent to sign in
// (pages) or get 401 (JSON).
func (s *Server) withSession(w http.ResponseWriter, r *http.Request, need access, next handlerFunc) error {
	se, err := s.session(r)
	if err != nil {
		if wantsJSON(r) {
			return err
		}
		target := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	ctx := context.WithValue(r.Context(), userKey, &se.User)
	r = r.WithContext(context.WithValue(ctx, sessionKey, se.ID))
	if role := roleFor(need); !se.User.Role.AtLeast(role) {
		// Answered here, with the person known: the page offers the way
		// back to the queue, never a sign-in to someone signed in.
		s.fail(w, r, review.Errorf(review.EFORBIDDEN, "This page is for %ss and above; you are signed in as a %s.", role, se.User.Role))
		return nil
	}
	// The page's own failures are answered here too, for the same reason.
	if err := next(w, r); err != nil {
		s.fail(w, r, err)
	}
	return nil
}

func roleFor(a access) review.Role {
	switch a {
	case supervisor, supervisorToken, extendSupervisor:
		return review.RoleSupervisor
	case admin:
		return review.RoleAdmin
	}
	return review.RoleReviewer
}

// session returns the request's live session, ending it when it has been
// idle too long or has outlived its lifetime.
func (s *Server) session(r *http.Request) (review.Session, error) {
	ended := review.Errorf(review.EUNAUTHORIZED, "Please sign in.")
	cs, _ := s.cookies.Get(r, cookieName)
	id, _ := cs.Values["sid"].(string)
	if id == "" {
		return review.Session{}, ended
	}
	se, err := s.store.Session(r.Context(), id)
	if err != nil {
		return se, err
	}
	now := s.now()
	if err := se.Ended(now); err != nil {
		s.desk.SignOut(r.Context(), id)
		return se, err
	}
	if now.Sub(se.LastSeen) > touchEvery {
		if err := s.store.TouchSession(r.Context(), id); err != nil {
			return se, err
		}
	}
	return se, nil
}

// withToken runs next for a request bearing a live API token of a role
// that need allows.
func (s *Server) withToken(w http.ResponseWriter, r *http.Request, need access, next handlerFunc) error {
	// The scheme is case-insensitive (RFC 9110, 11.1).
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	ok := strings.EqualFold(scheme, "Bearer")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reviewer"`)
		return review.Errorf(review.EUNAUTHORIZED, "an API token is required: Authorization: Bearer <token>")
	}
	// Only reviewer's own tokens are looked up: an Extend key is named as
	// such, so whoever pasted it learns which key goes where.
	if !strings.HasPrefix(tok, review.TokenPrefix) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reviewer", error="invalid_token"`)
		if strings.HasPrefix(tok, review.ExtendKeyPrefix) {
			return review.Errorf(review.EUNAUTHORIZED, "This is an Extend API key (%s…); reviewer takes its own tokens (%s…), made with `reviewer token create` or on the Users page.", review.ExtendKeyPrefix, review.TokenPrefix)
		}
		return review.Errorf(review.EUNAUTHORIZED, "This is not a reviewer API token: they begin with %s and are made with `reviewer token create`.", review.TokenPrefix)
	}
	t, err := s.store.UseToken(r.Context(), tok)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reviewer", error="invalid_token"`)
		return err
	}
	if need := roleFor(need); !t.Role.AtLeast(need) {
		return review.Errorf(review.EFORBIDDEN, "This call is for the tokens of %ss and above; this token is a %s's.", need, t.Role)
	}
	u := &review.User{ID: t.ID, Email: "token:" + t.Name, Name: "API token " + t.Name, Role: t.Role, Token: true}
	return next(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
}

// startSession issues a new session id at every sign-in, so an id planted
// before sign-in is worthless after it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	id, err := s.desk.StartSession(r.Context(), userID, s.previousSession(r))
	if err != nil {
		return err
	}
	return s.saveSession(w, r, id)
}

// previousSession is the session id the browser holds, if any: a sign-in
// ends it.
func (s *Server) previousSession(r *http.Request) string {
	previous := ""
	if old, err := s.cookies.Get(r, cookieName); err == nil {
		previous, _ = old.Values["sid"].(string)
	}
	return previous
}

// saveSession gives the browser its new session's id.
func (s *Server) saveSession(w http.ResponseWriter, r *http.Request, id string) error {
	cs := sessions.NewSession(s.cookies, cookieName)
	cs.Options = s.cookies.Options
	cs.Values["sid"] = id
	return cs.Save(r, w)
}
