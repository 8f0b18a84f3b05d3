package web

import (
	"net/http"
	"strconv"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, "", "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, flash, newToken string) error {
	ctx := r.Context()
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	tokens, err := s.store.Tokens(ctx)
	if err != nil {
		return err
	}
	log, err := s.store.AdminLog(ctx, 50)
	if err != nil {
		return err
	}
	return s.render(w, r, status, views.UsersPage(views.UsersVM{Page: s.page(r, "Users", "users"), Users: users, Tokens: tokens, Log: log, Flash: flash, NewToken: newToken}))
}

// adminAction runs an admin's change (a desk method, which logs it), and
// shows the page again with what happened (or why it could not).
func (s *Server) adminAction(w http.ResponseWriter, r *http.Request, action, target string, do func() (string, error)) error {
	token, err := do()
	if err != nil {
		if review.ErrorCode(err) == review.EINTERNAL {
			return err
		}
		return s.renderUsers(w, r, http.StatusBadRequest, review.ErrorMessage(err), "")
	}
	return s.renderUsers(w, r, http.StatusOK, "Done: "+action+" "+target+".", token)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	return s.adminAction(w, r, "create user", email, func() (string, error) {
		_, err := s.desk.CreateUser(r.Context(), userFrom(r.Context()).Email, email, r.PostFormValue("name"), review.Role(r.PostFormValue("role")), r.PostFormValue("password"))
		return "", err
	})
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no user %q", r.PathValue("id"))
	}
	var c review.UserChange
	action := "update user"
	if v := r.PostFormValue("role"); v != "" {
		rl := review.Role(v)
		c.Role, action = &rl, "set role "+v+" for user"
	}
	if v := r.PostFormValue("disabled"); v != "" {
		b := v == "1"
		c.Disabled = &b
		action = map[bool]string{true: "disable user", false: "enable user"}[b]
	}
	if v := r.PostFormValue("password"); v != "" {
		c.Password, action = &v, "reset password of user"
	}
	return s.adminAction(w, r, action, r.PathValue("id"), func() (string, error) {
		err := s.desk.UpdateUser(r.Context(), userFrom(r.Context()), id, c, action)
		if err == nil {
			s.sockets.closeUser(id) // their pages reconnect, or sign in again, under the new rules
		}
		return "", err
	})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	return s.adminAction(w, r, "create token", name, func() (string, error) {
		return s.desk.CreateToken(r.Context(), userFrom(r.Context()).Email, name, review.Role(r.PostFormValue("role")))
	})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no token %q", r.PathValue("id"))
	}
	return s.adminAction(w, r, "revoke token", r.PathValue("id"), func() (string, error) {
		return "", s.desk.RevokeToken(r.Context(), userFrom(r.Context()).Email, id)
	})
}
