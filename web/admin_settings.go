package web

import (
	"context"
	"slices"
	"strings"
	"time"

	"net/http"
	"strconv"

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

// sentRule is a validation rule's form as an admin sent it, shown again
// in its place with what saving or trying it said.
type sentRule struct {
	workflow string
	form     views.RuleFormVM
	keys     *views.DuplicateKeyVM // a duplicate key refused, as sent
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, flash string, sent *sentRule) error {
	ctx := r.Context()
	workflows, err := s.store.Workflows(ctx)
	if err != nil {
		return err
	}
	rules, err := s.store.RoutingRules(ctx)
	if err != nil {
		return err
	}
	validation, err := s.store.AllRules(ctx)
	if err != nil {
		return err
	}
	keys, err := s.store.AllDuplicateKeys(ctx)
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
	vm := views.SettingsVM{Page: s.page(r, "Settings", "settings"), SLAHours: s.sla(ctx).Hours(), Flash: flash, DueField: dueField}
	for _, wf := range workflows {
		row := views.RuleVM{Workflow: wf}
		if rule, ok := rules[wf.ID]; ok {
			row.Below, row.Sample, row.FailingRules = rule.Below, rule.SamplePercent, rule.FailingRules
		}
		vm.Rules = append(vm.Rules, row)
		v := views.WorkflowRulesVM{Workflow: wf}
		for i, rule := range validation[wf.ID] {
			v.Rules = append(v.Rules, views.RuleFormVM{Index: strconv.Itoa(i), Rule: rule, Costly: s.desk.TooCostly(wf.ID, rule)})
		}
		if sent != nil && sent.workflow == wf.ID {
			if i, err := strconv.Atoi(sent.form.Index); err == nil && i >= 0 && i < len(v.Rules) {
				v.Rules[i] = sent.form
			} else {
				v.New = sent.form
			}
		}
		vm.Validation = append(vm.Validation, v)
		dk := views.DuplicateKeyVM{Workflow: wf, Fields: keys[wf.ID]}
		if sent != nil && sent.keys != nil && sent.workflow == wf.ID {
			dk.Fields, dk.Error = sent.keys.Fields, sent.keys.Error
		}
		vm.Duplicates = append(vm.Duplicates, dk)
		l := views.ServiceLevelVM{Workflow: wf}
		if d := levels[wf.ID]; d > 0 {
			l.Within = d.String()
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
		d := time.Duration(h * float64(time.Hour))
		if err := s.store.SetSetting(ctx, "sla", d.String()); err != nil {
			return err
		}
		if err := s.store.LogAdmin(ctx, actor, "set SLA", d.String()); err != nil {
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
		if err := s.store.SetRoutingRule(ctx, rule); err != nil {
			if review.ErrorCode(err) == review.EINTERNAL {
				return err
			}
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
		if err := s.store.LogAdmin(ctx, actor, "set routing rule", wf); err != nil {
			return err
		}
	}
	return s.renderSettings(w, r, http.StatusOK, "Saved.", nil)
}

// saveRule saves, tries or deletes one validation rule of a workflow. A
// rule that does not compile is shown again as typed, with where it is
// wrong; trying it says what it makes of the workflow's newest run.
func (s *Server) saveRule(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	wf := r.PostFormValue("workflow")
	rule := review.Rule{Name: strings.TrimSpace(r.PostFormValue("name")), Expr: strings.TrimSpace(r.PostFormValue("expr")),
		Message: strings.TrimSpace(r.PostFormValue("message")), Severity: r.PostFormValue("severity"),
		Each: strings.TrimSpace(r.PostFormValue("each")), Fields: review.SplitList(r.PostFormValue("fields")), Disabled: r.PostFormValue("disabled") == "1"}
	sent := &sentRule{workflow: wf, form: views.RuleFormVM{Index: r.PostFormValue("index"), Rule: rule}}
	refused := func(err error) error {
		if code := review.ErrorCode(err); code != review.EINVALID && code != review.ENOTFOUND {
			return err
		}
		sent.form.Error = review.ErrorMessage(err)
		return s.renderSettings(w, r, http.StatusBadRequest, "", sent)
	}
	if r.PostFormValue("action") == "try" {
		runID, results, err := s.desk.TryRules(ctx, wf, []review.Rule{rule})
		if err != nil {
			return refused(err)
		}
		sent.form.Passed = results[0].Passed
		sent.form.Tried = "On " + runID + ": " + triedText(results[0])
		return s.renderSettings(w, r, http.StatusOK, "", sent)
	}
	rules, err := s.store.Rules(ctx, wf)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(sent.form.Index)
	switch {
	case sent.form.Index == "":
		rules = append(rules, rule)
	case err != nil || i < 0 || i >= len(rules):
		return refused(review.Errorf(review.EINVALID, "The rules changed meanwhile; this one is no longer there."))
	case r.PostFormValue("action") == "delete":
		rules = slices.Delete(rules, i, i+1)
	default:
		rules[i] = rule
	}
	if err := s.desk.SetRules(ctx, wf, rules, userFrom(ctx).Email); err != nil {
		return refused(err)
	}
	http.Redirect(w, r, "/admin/settings#validation", http.StatusSeeOther)
	return nil
}

// saveDue sets the metadata field of due times, or a workflow's service
// level.
func (s *Server) saveDue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	actor := userFrom(ctx).Email
	if r.PostForm.Has("due_field") {
		field := strings.TrimSpace(r.PostFormValue("due_field"))
		if len(field) > 200 {
			return s.renderSettings(w, r, http.StatusBadRequest, "The metadata field's name is at most 200 characters.", nil)
		}
		if err := s.store.SetSetting(ctx, review.DueFieldSetting, field); err != nil {
			return err
		}
		if err := s.store.LogAdmin(ctx, actor, "set the due time's metadata field", field); err != nil {
			return err
		}
	}
	if wf := r.PostFormValue("workflow"); wf != "" {
		within, err := review.ParseServiceLevel(r.PostFormValue("within"))
		if err != nil {
			return s.renderSettings(w, r, http.StatusBadRequest, review.ErrorMessage(err), nil)
		}
		if err := s.store.SetServiceLevel(ctx, wf, within, actor); err != nil {
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
		return s.renderSettings(w, r, http.StatusBadRequest, "", &sentRule{workflow: wf, keys: keys})
	}
	http.Redirect(w, r, "/admin/settings#duplicates", http.StatusSeeOther)
	return nil
}

// triedText says what a rule said of a run, in a sentence.
func triedText(res review.RuleResult) string {
	switch {
	case res.Passed:
		return "it holds."
	case res.Costly:
		return "it was not checked: " + res.Error + "."
	case res.Error != "":
		return "it fails: " + res.Error
	case len(res.Fields) > 0:
		return "it fails at " + strings.Join(res.Fields, ", ") + "."
	}
	return "it fails."
}

func (s *Server) addDestination(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := review.Destination{URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret"), Events: review.SplitList(r.PostFormValue("events")),
		Workflows: review.SplitList(r.PostFormValue("workflows")), AllowPrivate: r.PostFormValue("allow_private") == "1"}
	if _, err := s.store.AddDestination(ctx, d); err != nil {
		return err
	}
	if err := s.store.LogAdmin(ctx, userFrom(ctx).Email, "add destination", d.URL); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/deliveries", http.StatusSeeOther)
	return nil
}
