package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if n, err := s.store.UserCount(r.Context()); err == nil && n == 0 {
		return s.render(w, r, http.StatusOK, views.SetupPage(views.SetupPageVM{Page: s.page(r, "Set up", ""), Token: r.URL.Query().Get("token")}))
	}
	return s.render(w, r, http.StatusOK, views.LoginPage(views.LoginPageVM{Page: s.page(r, "Sign in", ""), Next: r.URL.Query().Get("next")}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	account, addr := strings.ToLower(strings.TrimSpace(email)), clientAddr(r, s.cfg.TrustedProxies)
	wait, err := s.logins.wait(r.Context(), s.now(), account, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		vm := views.LoginPageVM{Page: s.page(r, "Sign in", ""), Email: email, Next: r.PostFormValue("next"),
			Error: "Too many failed sign-ins. Try again in " + humanWait(wait) + "."}
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return s.render(w, r, http.StatusTooManyRequests, views.LoginPage(vm))
	}
	_, id, err := s.desk.SignIn(r.Context(), email, password, s.previousSession(r))
	if err != nil {
		code := review.ErrorCode(err)
		if code != review.EUNAUTHORIZED && code != review.EFORBIDDEN {
			return err
		}
		if err := s.logins.fail(r.Context(), s.now(), account, addr); err != nil {
			return err
		}
		vm := views.LoginPageVM{Page: s.page(r, "Sign in", ""), Email: email, Error: review.ErrorMessage(err), Next: r.PostFormValue("next")}
		return s.render(w, r, http.StatusUnauthorized, views.LoginPage(vm))
	}
	if err := s.logins.forget(r.Context(), account, addr); err != nil {
		return err
	}
	if err := s.saveSession(w, r, id); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
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
		if err := s.desk.SignOut(r.Context(), id); err != nil {
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
	u, err := s.desk.SetUp(r.Context(), vm.Email, vm.Name, r.PostFormValue("password"))
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
