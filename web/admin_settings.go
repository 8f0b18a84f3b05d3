package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// sla is how long a run may wait: the admin's setting, else the flag.
func (s *Server) sla(ctx context.Context) time.Duration {
	v, err := s.store.Setting(ctx, "sla", "")
	if d, perr := time.ParseDuration(v); err == nil && perr == nil && d > 0 {
		return d
	}
	return s.cfg.SLA
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSettings(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, flash string, keys *views.DuplicateKeyVM) error {
	ctx := r.Context()
	workflows, err := s.store.Workflows(ctx)
	if err != nil {
		return err
	}
	rules, err := s.store.RoutingRules(ctx)
	if err != nil {
		return err
	}
	dupKeys, err := s.store.AllDuplicateKeys(ctx)
	if err != nil {
		return err
	}
	levels, err := s.store.ServiceLevels(ctx)
	if err != nil {
		return err
	}
	dueField, err := s.store.Setting(ctx, review.DueFieldSetting, "")
	if err != nil {
		return err
	}
	thresholds, err := s.desk.Thresholds(ctx)
	if err != nil {
		return err
	}
	vm := views.SettingsVM{Page: s.page(r, "Settings", "settings"), SLAHours: s.sla(ctx).Hours(), Flash: flash, DueField: dueField, Thresholds: thresholds}
	for _, wf := range workflows {
		row := views.RuleVM{Workflow: wf}
		if rule, ok := rules[wf.ID]; ok {
			row.Below, row.Sample, row.FailingRules = rule.Below, rule.SamplePercent, rule.FailingRules
		}
		vm.Rules = append(vm.Rules, row)
		dk := views.DuplicateKeyVM{Workflow: wf, Fields: dupKeys[wf.ID]}
		if keys != nil && keys.Workflow.ID == wf.ID {
			dk.Fields, dk.Error = keys.Fields, keys.Error
		}
		vm.Duplicates = append(vm.Duplicates, dk)
		l := views.ServiceLevelVM{Workflow: wf}
		if d := levels[wf.ID]; d > 0 {
			l.Within = review.Short(d)
		}
		vm.Levels = append(vm.Levels, l)
	}
	return s.render(w, r, status, views.SettingsPage(vm))
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	actor := userFrom(ctx).Email
	if v := r.PostFormValue("sla_hours"); v != "" {
		h, err := strconv.ParseFloat(v, 64)
		if err != nil || !(h > 0 && h <= 24*365) { // NaN fails every comparison
			return s.renderSettings(w, r, http.StatusBadRequest, "The SLA is a number of hours.", nil)
		}
		if err := s.desk.SetSLA(ctx, actor, time.Duration(h*float64(time.Hour))); err != nil {
			return err
		}
	}
	if wf := r.PostFormValue("workflow"); wf != "" {
		rule := review.RoutingRule{WorkflowID: wf}
		if v := r.PostFormValue("below"); v != "" {
			b, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return s.renderSettings(w, r, http.StatusBadRequest, "The threshold is a confidence from 0 to 1.", nil)
			}
			rule.Below = &b
		}
		if v := r.PostFormValue("sample"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return s.renderSettings(w, r, http.StatusBadRequest, "The sample is a whole percentage.", nil)
			}
			rule.SamplePercent = n
		}
		rule.FailingRules = r.PostFormValue("failing_rules") == "1"
		if err := s.desk.SetRoutingRule(ctx, actor, rule); err != nil {
			if review.ErrorCode(err) == review.EINTERNAL {
				return err
			}
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
	}
	return s.renderSettings(w, r, http.StatusOK, "Saved.", nil)
}

// saveDue sets the metadata field of due times, or a workflow's service
// level.
func (s *Server) saveDue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	actor := userFrom(ctx).Email
	if r.PostForm.Has("due_field") {
		if err := s.desk.SetDueField(ctx, actor, strings.TrimSpace(r.PostFormValue("due_field"))); err != nil {
			if review.ErrorCode(err) == review.EINTERNAL {
				return err
			}
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
	}
	if r.PostForm.Has("due_soon") || r.PostForm.Has("idle_after") {
		t, err := review.ParseThresholds(r.PostFormValue("due_soon"), r.PostFormValue("idle_after"))
		if err != nil {
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
		if err := s.desk.SetThresholds(ctx, actor, t); err != nil {
			return err
		}
	}
	if wf := r.PostFormValue("workflow"); wf != "" {
		within, err := review.ParseServiceLevel(r.PostFormValue("within"))
		if err != nil {
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
		if err := s.desk.SetServiceLevel(ctx, actor, wf, within); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/admin/settings#due", http.StatusSeeOther)
	return nil
}

// saveDuplicateKeys sets a workflow's duplicate key fields; a refused
// change is shown again as typed, with why.
func (s *Server) saveDuplicateKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	wf := r.PostFormValue("workflow")
	fields := review.SplitList(r.PostFormValue("fields"))
	if err := s.desk.SetDuplicateKeys(ctx, wf, fields, userFrom(ctx).Email); err != nil {
		if code := review.ErrorCode(err); code != review.EINVALID && code != review.ENOTFOUND {
			return err
		}
		keys := &views.DuplicateKeyVM{Workflow: review.Workflow{ID: wf}, Fields: fields, Error: review.ErrorMessage(err)}
		return s.renderSettings(w, r, http.StatusBadRequest, "", keys)
	}
	http.Redirect(w, r, "/admin/settings#duplicates", http.StatusSeeOther)
	return nil
}

func (s *Server) addDestination(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := review.Destination{URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret"), Events: review.SplitList(r.PostFormValue("events")),
		Workflows: review.SplitList(r.PostFormValue("workflows")), AllowPrivate: r.PostFormValue("allow_private") == "1"}
	if _, err := s.desk.AddDestination(ctx, userFrom(ctx).Email, d); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}

// setEvaluationSet saves a workflow's evaluation-set rule from the
// deliveries page; an empty key keeps the stored one.
func (s *Server) setEvaluationSet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rule := review.FeedbackRule{WorkflowID: strings.TrimSpace(r.PostFormValue("workflow")), EvaluationSetID: strings.TrimSpace(r.PostFormValue("evaluation_set")),
		Runs: r.PostFormValue("runs"), MirrorMetadata: r.PostFormValue("mirror_metadata") == "1",
		APIURL: strings.TrimSpace(r.PostFormValue("api_url")), APIKey: strings.TrimSpace(r.PostFormValue("api_key"))}
	if err := s.desk.SetFeedbackRule(ctx, userFrom(ctx).Email, rule); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries#evaluation-sets", http.StatusSeeOther)
	return nil
}
