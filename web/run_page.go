package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) error {
	if blind, err := s.awaitsBlindCheck(r); err != nil {
		return err
	} else if blind {
		http.Redirect(w, r, string(views.Path("qa", r.PathValue("runID"))), http.StatusSeeOther)
		return nil
	}
	vm, err := s.runView(r, true)
	var broken brokenDraft
	if errors.As(err, &broken) {
		return s.showBrokenDraft(w, r, broken.run, broken.err)
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, views.RunPage(vm))
}

// runFragments answers the parts of the review page a change touches, as
// the page renders them: the page swaps them in place when the run changed
// (a watcher seeing the holder's edits, a claim released). It only reads.
func (s *Server) runFragments(w http.ResponseWriter, r *http.Request) error {
	blind, err := s.awaitsBlindCheck(r)
	if err != nil {
		return err
	}
	vm, err := s.runView(r, false)
	if errors.As(err, new(brokenDraft)) {
		return review.Errorf(review.ECONFLICT, "This run's saved changes no longer apply: reload the page.")
	}
	if err != nil {
		return err
	}
	f, err := fragmentsOf(r.Context(), vm)
	if err != nil {
		return err
	}
	if blind {
		// Decided and drawn for a blind QA check while someone watched:
		// the header follows the decision, the reviewed values stay away
		// from whoever may check them.
		var b strings.Builder
		if err := views.BlindNotice(vm.Run.ID, f.Locked).Render(r.Context(), &b); err != nil {
			return err
		}
		f = fragments{Version: f.Version, Decision: f.Decision, Status: f.Status, Notices: b.String(), Locked: f.Locked,
			Outputs: map[string]string{}, Pages: map[string]string{}}
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// runView lays out a run as the signed-in person sees it. With claim (the
// page opened), the run is claimed for them if they may work on it;
// otherwise it is editable only if they hold it.
func (s *Server) runView(r *http.Request, claim bool) (views.RunPageVM, error) {
	ctx := r.Context()
	opened, err := s.desk.Open(ctx, r.PathValue("runID"))
	if errors.Is(err, desk.ErrBrokenDraft) {
		return views.RunPageVM{}, brokenDraft{opened.Run, err}
	}
	if err != nil {
		return views.RunPageVM{}, err
	}
	run, rv, current := opened.Run, opened.Review, opened.Current
	docs := s.documents(ctx, run)
	audit, err := s.store.Audit(ctx, run.ID)
	if err != nil {
		return views.RunPageVM{}, err
	}
	vm := buildRunPage(run, current, docs, rowWindows(r.URL.Query()["rows"]))
	vm.Page = s.page(r, vm.Name, "queue")
	user := userFrom(ctx)
	vm.CanUpload = user.Role.AtLeast(review.RoleSupervisor)
	vm.CanReopen = user.Role.AtLeast(review.RoleAdmin)
	vm.Review, vm.Audit = rv, audit
	vm.Metadata = views.Metadata(run.Raw)
	if vm.Sent, err = s.store.RunCalls(ctx, run.ID); err != nil {
		return views.RunPageVM{}, err
	}
	if rv.Decision != "" {
		vm.Checks = decidedChecks(audit)
	} else if vm.Checks, err = s.desk.Check(ctx, current); err != nil {
		return views.RunPageVM{}, err
	}
	vm.CanOverride = user.Role.AtLeast(review.RoleSupervisor)
	markRules(vm.Outputs, vm.Checks)
	if err := s.lock(ctx, &vm, run, rv, user, claim); err != nil {
		return views.RunPageVM{}, err
	}
	vm.CanTakeOver = vm.HeldBy != "" && user.Role.AtLeast(review.RoleSupervisor)
	if rv.Decision == "" && rv.Hold.Active(s.now()) {
		vm.Hold = rv.Hold
		vm.CanResume = rv.Hold.Kind == review.HoldPostponed || user.Role.AtLeast(review.RoleSupervisor)
	}
	vm.Frame = runFrame(user, run.ID, rv.Version, vm.Editable)
	for i := range vm.Outputs {
		vm.Outputs[i].Editable = vm.Editable && vm.Outputs[i].Editable
	}
	vm.Edited = changes(run, rv.Edits)
	return vm, nil
}

// lock says whether the person may edit the run and, if not, why: it is
// decided, not waiting for review, escalated beyond them, or held by someone
// else. With claim (the page opened), the run is claimed for them if they may
// work on it.
func (s *Server) lock(ctx context.Context, vm *views.RunPageVM, run *review.Run, rv review.Review, user *review.User, claim bool) error {
	switch {
	case rv.Decision != "":
		vm.Locked = fmt.Sprintf("%s by %s on %s.", strings.ToUpper(rv.Decision[:1])+rv.Decision[1:], vm.People.Name(rv.DecidedBy), rv.DecidedAt.Format("2 Jan 2006 15:04 UTC"))
		// The header's pill has room for the start of a note only.
		if rv.Note != "" {
			vm.Locked = strings.TrimSuffix(vm.Locked, ".") + ": " + rv.Note
		}
	case run.Status != review.StatusNeedsReview:
		vm.Locked = "Extend reports this run " + string(run.Status) + ": it is not waiting for review, so it is shown read-only."
	case rv.Hold.Kind == review.HoldEscalated && !user.Role.AtLeast(review.RoleSupervisor):
		vm.Locked = "A supervisor decides this run now; you can read it but not change it."
	case claim:
		// Opening a run for editing claims it; the page keeps the claim alive.
		if c, err := s.desk.ClaimFor(ctx, run.ID, user); err != nil {
			if review.ErrorCode(err) != review.ECONFLICT {
				return err
			}
			vm.Locked, vm.HeldBy = review.ErrorMessage(err), c.By
			if c.By != "" {
				vm.Locked = vm.People.Name(c.By) + " is working on this run; you can read it but not change it."
			}
		} else {
			vm.Editable = true
		}
	case rv.Claim.HeldByOther(user.Email, s.now()):
		vm.Locked, vm.HeldBy = vm.People.Name(rv.Claim.By)+" is working on this run now; you can read it but not change it.", rv.Claim.By
	case rv.Claim.By != user.Email || !rv.Claim.Expires.After(s.now()):
		vm.Locked = "You no longer hold this run: it was released. Open it again to go on working on it."
	default:
		vm.Editable = true
	}
	return nil
}

// runFrame is the page's frame: its scripts, and what they need to know of
// the person and the run.
func runFrame(user *review.User, runID string, version int, editable bool) views.Frame {
	return views.Frame{
		Scripts: []string{"js/viewer.js", "js/editor.js", "js/run.js", "js/active.js"}, BodyClass: "review", MainClass: "review-main",
		Body: templ.Attributes{"data-me": user.DisplayName(), "data-me-email": user.Email, "data-run-id": runID,
			"data-version": strconv.Itoa(version), "data-editable": strconv.FormatBool(editable)},
		SkipTo: "#fields", SkipLabel: "Skip to the first field",
	}
}

// changes counts the reviewer's changes that stand: saved edits whose value
// is not the model's. Moving a row is one change (of the list), not one for
// every cell that now reads differently at its index.
func changes(run *review.Run, edits []review.Edit) int {
	n := 0
	for _, e := range edits {
		o := run.Output(e.OutputID)
		if o == nil {
			continue
		}
		if m, ok := o.Model(e.Path); !ok || !review.SameValue(m, e.Value) {
			n++
		}
	}
	return n
}

// fragments are the parts of the review page that follow the run: each
// output's section, the marks over each page, the header's status, the
// notices and the history.
type fragments struct {
	Version  int               `json:"version"`
	Editable bool              `json:"editable"`
	Locked   string            `json:"locked,omitempty"`
	Edited   int               `json:"edited"`             // fields changed from the model's values
	Outputs  map[string]string `json:"outputs"`            // output id → its section
	Pages    map[string]string `json:"pages"`              // page element id → its marks
	Status   string            `json:"status"`             // the header's status and decision
	Notices  string            `json:"notices"`            // why it is locked, cross-field checks
	Thumbs   string            `json:"thumbs"`             // the pages in small, with their sub-documents
	Audit    string            `json:"audit"`              // the history
	Decision string            `json:"decision,omitempty"` // approved or rejected, when decided
}

func fragmentsOf(ctx context.Context, vm views.RunPageVM) (fragments, error) {
	f := fragments{Version: vm.Review.Version, Editable: vm.Editable, Locked: vm.Locked, Edited: vm.Edited, Decision: vm.Review.Decision,
		Outputs: map[string]string{}, Pages: map[string]string{}}
	var b strings.Builder
	render := func(c templ.Component) (string, error) {
		b.Reset()
		err := c.Render(ctx, &b)
		return b.String(), err
	}
	var err error
	for _, o := range vm.Outputs {
		if f.Outputs[o.ID], err = render(views.OutputSection(o)); err != nil {
			return f, err
		}
	}
	for _, file := range vm.Files {
		for _, p := range file.Pages {
			if f.Pages[views.PageID(file.ID, p.N)], err = render(views.PageMarks(p)); err != nil {
				return f, err
			}
		}
	}
	if f.Status, err = render(views.RunStatus(vm)); err != nil {
		return f, err
	}
	if f.Notices, err = render(views.RunNotices(vm)); err != nil {
		return f, err
	}
	if f.Thumbs, err = render(views.Thumbs(vm.Files)); err != nil {
		return f, err
	}
	f.Audit, err = render(views.AuditTrail(vm.Audit, vm.People))
	return f, err
}

// brokenDraft is a run whose saved changes no longer apply.
type brokenDraft struct {
	run *review.Run
	err error
}

func (b brokenDraft) Error() string { return b.err.Error() }

func (b brokenDraft) Unwrap() error { return b.err }

// brokenDraft says why a run cannot be shown when its saved changes no
// longer apply, and offers an admin the way back.
func (s *Server) showBrokenDraft(w http.ResponseWriter, r *http.Request, run *review.Run, err error) error {
	s.log.Error("draft does not apply", "run", run.ID, "err", err)
	vm := views.ErrorPageVM{Page: s.page(r, "This run cannot be shown", "queue"), Status: http.StatusConflict,
		Message: "Its saved changes no longer apply to the run Extend sent (" + review.ErrorMessage(err) + "). An admin can discard the changes to show the model's values again."}
	if userFrom(r.Context()).Role.AtLeast(review.RoleAdmin) {
		vm.Action, vm.ActionLabel = views.Path("runs", run.ID, "discard"), "Discard the saved changes"
	}
	return s.render(w, r, http.StatusConflict, views.ErrorPage(vm))
}
