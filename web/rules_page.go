package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// Validation rules are kept by supervisors and admins: supervisors own
// what a run must pass before it goes on, as they own the queue's quality.

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRules(w, r, http.StatusOK, nil)
}

// sentRule is a validation rule's form as a person sent it, shown again
// in its place with what saving or trying it said.
type sentRule struct {
	workflow string
	form     views.RuleFormVM
}

func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, status int, sent *sentRule) error {
	ctx := r.Context()
	workflows, err := s.store.Workflows(ctx)
	if err != nil {
		return err
	}
	validation, err := s.store.AllRules(ctx)
	if err != nil {
		return err
	}
	vm := views.RulesVM{Page: s.page(r, "Validation rules", "rules")}
	for _, wf := range workflows {
		v := views.WorkflowRulesVM{Workflow: wf}
		for i, rule := range validation[wf.ID] {
			v.Rules = append(v.Rules, views.RuleFormVM{Index: strconv.Itoa(i), Rule: rule, Costly: s.desk.TooCostly(wf.ID, rule)})
		}
		if v.Suggested, err = s.desk.Suggest(ctx, wf.ID, validation[wf.ID]); err != nil {
			return err
		}
		if sent != nil && sent.workflow == wf.ID {
			if i, err := strconv.Atoi(sent.form.Index); err == nil && i >= 0 && i < len(v.Rules) {
				v.Rules[i] = sent.form
			} else {
				v.New = sent.form
			}
		}
		vm.Validation = append(vm.Validation, v)
	}
	return s.render(w, r, status, views.RulesPage(vm))
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
		return s.renderRules(w, r, http.StatusBadRequest, sent)
	}
	if r.PostFormValue("action") == "try" {
		tried, results, err := s.desk.TryRules(ctx, wf, []review.Rule{rule})
		if err != nil {
			return refused(err)
		}
		sent.form.Passed = results[0].Passed
		sent.form.Tried = triedOn(tried) + triedText(tried.Current, results[0])
		return s.renderRules(w, r, http.StatusOK, sent)
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
	http.Redirect(w, r, "/rules#validation", http.StatusSeeOther)
	return nil
}

// triedOn names the run a rule was tried on, and whether it waits.
func triedOn(o desk.Opened) string {
	name := firstNonEmpty(o.Run.Name, runFileName(o.Run))
	if name != "" {
		name += " (" + o.Run.ID + ")"
	} else {
		name = o.Run.ID
	}
	if o.Review.Decision == "" && o.Run.Status == review.StatusNeedsReview {
		return "On the newest run waiting for review, " + name + ": "
	}
	when := ""
	if o.Review.DecidedAt != nil {
		when = " " + o.Review.Decision + " on " + o.Review.DecidedAt.Format("2 Jan 2006 15:04 UTC") + ","
	}
	return "No run waits for review; on the newest run, " + name + "," + when + " "
}

// triedText says what a rule said of a run, in a sentence, with the
// values it read where it fails.
func triedText(run *review.Run, res review.RuleResult) string {
	switch {
	case res.Passed:
		return "it holds."
	case res.Costly:
		return "it was not checked: " + res.Error + "."
	case res.Error != "":
		return "it fails: " + res.Error
	case len(res.Fields) > 0:
		at := make([]string, len(res.Fields))
		for i, path := range res.Fields {
			at[i] = path + " (" + fieldText(run, path) + ")"
		}
		return "it fails at " + strings.Join(at, ", ") + "."
	}
	return "it fails."
}

// fieldText is a field's value as a sentence quotes it.
func fieldText(run *review.Run, path string) string {
	for i := range run.Outputs {
		if f, ok := run.Outputs[i].Field(path); ok {
			if v := strings.TrimSpace(string(f.Value)); v == "" || v == "null" {
				return "empty"
			}
			return review.Text(f.Value)
		}
	}
	return "not in this run"
}
