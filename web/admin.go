package web

import (
	"context"
	"time"

	"github.com/reviewer-app/reviewer/storage"
	"net/http"
	"strconv"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// deliveriesPage shows the destinations and the delivery log.
func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.Destinations(r.Context())
	if err != nil {
		return err
	}
	log, err := s.store.RecentDeliveries(r.Context(), 200)
	if err != nil {
		return err
	}
	failed, err := s.store.FailedEvents(r.Context(), 100)
	if err != nil {
		return err
	}
	calls, err := s.store.RecentCalls(r.Context(), 100)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, views.DeliveriesPage(views.DeliveriesVM{Page: s.page(r, "Deliveries", "admin"), Destinations: ds, Deliveries: log, FailedEvents: failed, Calls: calls}))
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no delivery %q", r.PathValue("id"))
	}
	if err := s.store.Redeliver(r.Context(), id); err != nil {
		return err
	}
	if err := s.store.LogAdmin(r.Context(), userFrom(r.Context()).Email, "redeliver", r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}

func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Replay(r.Context(), r.PathValue("eventID")); err != nil {
		return err
	}
	if err := s.store.LogAdmin(r.Context(), userFrom(r.Context()).Email, "replay event", r.PathValue("eventID")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}

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

// sla is how long a run may wait: the admin's setting, else the flag.
func (s *Server) sla(ctx context.Context) time.Duration {
	v, err := s.store.Setting(ctx, "sla", "")
	if d, perr := time.ParseDuration(v); err == nil && perr == nil && d > 0 {
		return d
	}
	return s.cfg.SLA
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSettings(w, r, http.StatusOK, "")
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, flash string) error {
	ctx := r.Context()
	workflows, err := s.store.Workflows(ctx)
	if err != nil {
		return err
	}
	rules, err := s.store.RoutingRules(ctx)
	if err != nil {
		return err
	}
	vm := views.SettingsVM{Page: s.page(r, "Settings", "settings"), SLAHours: s.sla(ctx).Hours(), Flash: flash}
	for _, wf := range workflows {
		row := views.RuleVM{Workflow: wf}
		if rule, ok := rules[wf.ID]; ok {
			row.Below, row.Sample = rule.Below, rule.SamplePercent
		}
		vm.Rules = append(vm.Rules, row)
	}
	return s.render(w, r, status, views.SettingsPage(vm))
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	actor := userFrom(ctx).Email
	if v := r.PostFormValue("sla_hours"); v != "" {
		h, err := strconv.ParseFloat(v, 64)
		if err != nil || !(h > 0 && h <= 24*365) { // NaN fails every comparison
			return s.renderSettings(w, r, http.StatusBadRequest, "The SLA is a number of hours.")
		}
		d := time.Duration(h * float64(time.Hour))
		if err := s.store.SetSetting(ctx, "sla", d.String()); err != nil {
			return err
		}
		if err := s.store.LogAdmin(ctx, actor, "set SLA", d.String()); err != nil {
			return err
		}
	}
	if wf := r.PostFormValue("workflow"); wf != "" {
		rule := storage.RoutingRule{WorkflowID: wf}
		if v := r.PostFormValue("below"); v != "" {
			b, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return s.renderSettings(w, r, http.StatusBadRequest, "The threshold is a confidence from 0 to 1.")
			}
			rule.Below = &b
		}
		if v := r.PostFormValue("sample"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return s.renderSettings(w, r, http.StatusBadRequest, "The sample is a whole percentage.")
			}
			rule.SamplePercent = n
		}
		if err := s.store.SetRoutingRule(ctx, rule); err != nil {
			if review.ErrorCode(err) == review.EINTERNAL {
				return err
			}
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err))
		}
		if err := s.store.LogAdmin(ctx, actor, "set routing rule", wf); err != nil {
			return err
		}
	}
	return s.renderSettings(w, r, http.StatusOK, "Saved.")
}

func (s *Server) addDestination(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := review.Destination{URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret"), Events: storage.SplitList(r.PostFormValue("events")),
		Workflows: storage.SplitList(r.PostFormValue("workflows")), AllowPrivate: r.PostFormValue("allow_private") == "1"}
	if _, err := s.store.AddDestination(ctx, d); err != nil {
		return err
	}
	if err := s.store.LogAdmin(ctx, userFrom(ctx).Email, "add destination", d.URL); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}
