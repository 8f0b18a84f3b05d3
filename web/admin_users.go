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

// adminAction runs an admin's change, logs it, and shows the page again
// with what happened (or why it could not).
func (s *Server) adminAction(w http.ResponseWriter, r *http.Request, action, target string, do func() (string, error)) error {
	token, err := do()
	if err != nil {
		if review.ErrorCode(err) == review.EINTERNAL {
			return err
		}
		return s.renderUsers(w, r, http.StatusBadRequest, review.ErrorMessage(err), "")
	}
	if err := s.store.LogAdmin(r.Context(), userFrom(r.Context()).Email, action, target); err != nil {
		return err
	}
	return s.renderUsers(w, r, http.StatusOK, "Done: "+action+" "+target+".", token)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	return s.adminAction(w, r, "create user", email, func() (string, error) {
		_, err := s.store.CreateUser(r.Context(), email, r.PostFormValue("name"), review.Role(r.PostFormValue("role")), r.PostFormValue("password"))
		return "", err
	})
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no user %q", r.PathValue("id"))
	}
	var role *review.Role
	var disabled *bool
	var password *string
	action := "update user"
	if v := r.PostFormValue("role"); v != "" {
		rl := review.Role(v)
		role, action = &rl, "set role "+v+" for user"
	}
	if v := r.PostFormValue("disabled"); v != "" {
		b := v == "1"
		disabled = &b
		action = map[bool]string{true: "disable user", false: "enable user"}[b]
	}
	if v := r.PostFormValue("password"); v != "" {
		password, action = &v, "reset password of user"
	}
	if userFrom(r.Context()).ID == id && (disabled != nil && *disabled || role != nil && *role != review.RoleAdmin) {
		return s.renderUsers(w, r, http.StatusBadRequest, "You cannot disable yourself or give up your own admin role: ask another admin.", "")
	}
	return s.adminAction(w, r, action, r.PathValue("id"), func() (string, error) {
		err := s.store.UpdateUser(r.Context(), id, role, disabled, password)
		if err == nil {
			s.sockets.closeUser(id) // their pages reconnect, or sign in again, under the new rules
		}
		return "", err
	})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	return s.adminAction(w, r, "create token", name, func() (string, error) {
		return s.store.CreateToken(r.Context(), name, review.Role(r.PostFormValue("role")))
	})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no token %q", r.PathValue("id"))
	}
	return s.adminAction(w, r, "revoke token", r.PathValue("id"), func() (string, error) {
		return "", s.store.RevokeToken(r.Context(), id)
	})
}
