package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
	"github.com/reviewer-app/reviewer/views"
)

const (
	cookieName = "reviewer_session"
	// A session ends after this long without a request, and in any case
	// this long after sign-in.
	idleTimeout     = 8 * time.Hour
	sessionLifetime = 7 * 24 * time.Hour
	touchEvery      = time.Minute
)

// newCookieStore signs and encrypts the session cookie with keys kept in the
// database, so sessions survive restarts. The cookie holds only the session
// id; the session itself lives server-side.
func newCookieStore(ctx context.Context, store *storage.Store, secure bool) (*sessions.CookieStore, error) {
	keys, err := store.SessionKeys(ctx) // newest pair first; older pairs still accepted
	if err != nil {
		return nil, err
	}
	cs := sessions.NewCookieStore(keys...)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(sessionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	return cs, nil
}

// withSession runs next for a signed-in user whose role is enough; others
// are sent to sign in (pages) or get 401 (JSON).
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
		return review.Errorf(review.EFORBIDDEN, "This page is for %ss and above; you are signed in as a %s.", role, se.User.Role)
	}
	return next(w, r)
}

func roleFor(a access) review.Role {
	switch a {
	case supervisor:
		return review.RoleSupervisor
	case admin:
		return review.RoleAdmin
	}
	return review.RoleReviewer
}

// session returns the request's live session, ending it when it has been
// idle too long or has outlived its lifetime.
func (s *Server) session(r *http.Request) (storage.Session, error) {
	ended := review.Errorf(review.EUNAUTHORIZED, "Please sign in.")
	cs, _ := s.cookies.Get(r, cookieName)
	id, _ := cs.Values["sid"].(string)
	if id == "" {
		return storage.Session{}, ended
	}
	se, err := s.store.Session(r.Context(), id)
	if err != nil {
		return se, err
	}
	now := s.now()
	if now.Sub(se.LastSeen) > idleTimeout || now.Sub(se.CreatedAt) > sessionLifetime {
		s.store.DeleteSession(r.Context(), id)
		return se, ended
	}
	if now.Sub(se.LastSeen) > touchEvery {
		if err := s.store.TouchSession(r.Context(), id); err != nil {
			return se, err
		}
	}
	return se, nil
}

// withToken runs next for a request bearing a live API token.
func (s *Server) withToken(w http.ResponseWriter, r *http.Request, next handlerFunc) error {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reviewer"`)
		return review.Errorf(review.EUNAUTHORIZED, "an API token is required: Authorization: Bearer <token>")
	}
	role, err := s.store.TokenRole(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reviewer", error="invalid_token"`)
		return err
	}
	u := &review.User{Name: "API token", Role: role}
	return next(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if n, err := s.store.UserCount(r.Context()); err == nil && n == 0 {
		return s.render(w, r, http.StatusOK, views.SetupPage(views.SetupPageVM{Page: s.page(r, "Set up", ""), Token: r.URL.Query().Get("token")}))
	}
	return s.render(w, r, http.StatusOK, views.LoginPage(views.LoginPageVM{Page: s.page(r, "Sign in", ""), Next: r.URL.Query().Get("next")}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	account, addr := strings.ToLower(strings.TrimSpace(email)), clientAddr(r, s.cfg.TrustedProxies)
	if wait := s.logins.wait(s.now(), account, addr); wait > 0 {
		vm := views.LoginPageVM{Page: s.page(r, "Sign in", ""), Email: email, Next: r.PostFormValue("next"),
			Error: "Too many failed sign-ins. Try again in " + humanWait(wait) + "."}
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return s.render(w, r, http.StatusTooManyRequests, views.LoginPage(vm))
	}
	u, err := s.store.Authenticate(r.Context(), email, password)
	if err != nil {
		code := review.ErrorCode(err)
		if code != review.EUNAUTHORIZED && code != review.EFORBIDDEN {
			return err
		}
		s.logins.fail(s.now(), account, addr)
		vm := views.LoginPageVM{Page: s.page(r, "Sign in", ""), Email: email, Error: review.ErrorMessage(err), Next: r.PostFormValue("next")}
		return s.render(w, r, http.StatusUnauthorized, views.LoginPage(vm))
	}
	s.logins.forget(account, addr)
	if err := s.startSession(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// startSession issues a new session id at every sign-in, so an id planted
// before sign-in is worthless after it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	if old, err := s.cookies.Get(r, cookieName); err == nil {
		if id, _ := old.Values["sid"].(string); id != "" {
			s.store.DeleteSession(r.Context(), id)
		}
	}
	id, err := s.store.CreateSession(r.Context(), userID)
	if err != nil {
		return err
	}
	cs := sessions.NewSession(s.cookies, cookieName)
	cs.Options = s.cookies.Options
	cs.Values["sid"] = id
	return cs.Save(r, w)
}

// safeNext keeps a post-sign-in redirect on this site. It first normalises
// the path as a browser would (leading and trailing spaces and controls
// trimmed, tabs and newlines removed, backslashes read as slashes), so
// "/\t/evil.example" cannot become "//evil.example" in the browser, then
// accepts only a path with no scheme and no host.
func safeNext(next string) string {
	clean := strings.TrimFunc(next, func(r rune) bool { return r <= ' ' })
	clean = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, clean)
	u, err := url.Parse(clean)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return "/"
	}
	return clean
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	cs, _ := s.cookies.Get(r, cookieName)
	if id, _ := cs.Values["sid"].(string); id != "" {
		if err := s.store.DeleteSession(r.Context(), id); err != nil {
			return err
		}
		s.sockets.closeSession(id)
	}
	cs.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode}
	cs.Values = map[any]any{}
	if err := cs.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setupPage and setup create the first admin on a fresh install. They need
// the setup token printed at start, so nobody else on the network can claim
// the installation first, and they close for good once a user exists.
func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/login?token="+url.QueryEscape(r.URL.Query().Get("token")), http.StatusSeeOther)
	return nil
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.UserCount(r.Context())
	if err != nil {
		return err
	}
	if n > 0 {
		return review.Errorf(review.EFORBIDDEN, "This installation is set up already. Sign in instead.")
	}
	vm := views.SetupPageVM{Page: s.page(r, "Set up", ""), Token: r.PostFormValue("token"), Email: r.PostFormValue("email"), Name: r.PostFormValue("name")}
	if s.cfg.SetupToken == "" || subtle.ConstantTimeCompare([]byte(vm.Token), []byte(s.cfg.SetupToken)) != 1 {
		vm.Error = "Open the setup link printed in the server's log (it carries a one-time token), or create a user with `reviewer user add`."
		return s.render(w, r, http.StatusForbidden, views.SetupPage(vm))
	}
	u, err := s.store.CreateFirstAdmin(r.Context(), vm.Email, vm.Name, r.PostFormValue("password"))
	if err != nil {
		if code := review.ErrorCode(err); code == review.EINTERNAL || code == review.EFORBIDDEN {
			return err
		}
		vm.Error = review.ErrorMessage(err)
		return s.render(w, r, http.StatusBadRequest, views.SetupPage(vm))
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// humanWait says a wait the way a person reads it: "12 seconds", "3 minutes".
func humanWait(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " seconds"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " minutes"
}
