package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// TestAdminWrites: the admin's writes go through the desk, which checks
// them by review's rules before the store keeps anything, and notes each
// one made in the admin's log; one refused keeps nothing and notes
// nothing.
func TestAdminWrites(t *testing.T) { pgtest.Each(t, testAdminWrites) }

func testAdminWrites(t *testing.T) {
	d, s := open(t)
	ctx := context.Background()
	const actor = "root@example.com"
	if _, err := d.CreateUser(ctx, actor, "bo@example.com", "Bo", review.RoleReviewer, "ééééé"); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a password of five letters: %v", err)
	}
	u, err := d.CreateUser(ctx, actor, " bo@example.com ", " Bo ", review.RoleReviewer, "a long enough password")
	if err != nil || u.ID == 0 || u.Email != "bo@example.com" || u.Name != "Bo" {
		t.Fatalf("create user: %+v %v", u, err)
	}
	root := &review.User{ID: 99, Email: actor, Role: review.RoleAdmin}
	short := "short"
	if err := d.UpdateUser(ctx, root, u.ID, review.UserChange{Password: &short}, "reset password of user"); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a short reset: %v", err)
	}
	if _, err := d.CreateToken(ctx, actor, "  ", review.RoleReviewer); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a token without a name: %v", err)
	}
	if _, err := d.AddDestination(ctx, actor, review.Destination{URL: "https://erp.example/hook", Secret: "too short"}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a short secret: %v", err)
	}
	if err := d.SetRoutingRule(ctx, actor, review.RoutingRule{WorkflowID: "wf_qc", SamplePercent: 101}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a sample of 101%%: %v", err)
	}
	if err := d.SetSLA(ctx, actor, 0); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("an SLA of nothing: %v", err)
	}
	if err := d.SetFeedbackRule(ctx, actor, review.FeedbackRule{WorkflowID: "wf_1", EvaluationSetID: "ev_1", Runs: "qa"}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("a feedback rule for unknown runs: %v", err)
	}
	if err := d.SetRules(ctx, "wf_1", make([]review.Rule, review.MaxRules+1), actor); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("more rules than the bound: %v", err)
	}
	log, err := s.AdminLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Action != "create user" || log[0].Actor != actor || log[0].Target != "bo@example.com" {
		t.Fatalf("the admin's log holds only what was made: %+v %v", log, err)
	}
	if rules, err := s.RoutingRules(ctx); err != nil || len(rules) != 0 {
		t.Fatalf("a refused routing rule was kept: %v %v", rules, err)
	}
	if ds, err := s.Destinations(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("a refused destination was kept: %v %v", ds, err)
	}
	if fs, err := s.FeedbackRules(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("a refused feedback rule was kept: %v %v", fs, err)
	}
	// A rule that names no runs feeds back the approved ones.
	if err := d.SetFeedbackRule(ctx, actor, review.FeedbackRule{WorkflowID: "wf_1", EvaluationSetID: "ev_1"}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.FeedbackRuleFor(ctx, "wf_1"); err != nil || r.Runs != review.EvalApproved {
		t.Fatalf("kept rule: %+v %v", r, err)
	}
}

// logFails is a store whose admin's log writes its entry and then fails,
// as a database that breaks between the two statements would.
type logFails struct{ *storage.Store }

func (s logFails) LogAdmin(ctx context.Context, actor, action, target string) error {
	if err := s.Store.LogAdmin(ctx, actor, action, target); err != nil {
		return err
	}
	return errors.New("the log broke")
}

// TestAdminWriteAndLogAreOne: an admin's write and its log entry are one
// transaction: when the log fails, neither the write nor the entry is
// kept, for every admin use-case.
func TestAdminWriteAndLogAreOne(t *testing.T) { pgtest.Each(t, testAdminWriteAndLogAreOne) }

func testAdminWriteAndLogAreOne(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	const actor = "root@example.com"
	bo, err := s.CreateUser(ctx, "bo@example.com", "Bo", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, "kept", review.RoleReviewer); err != nil {
		t.Fatal(err)
	}
	tokens, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := demo.Event("evt_failed", review.EventRunNeedsReview, json.RawMessage(`{}`))
	ev, _ := review.DecodeEvent(body)
	if _, err := s.AppendEvent(ctx, ev, body); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingEvents(ctx, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %v, %v", pending, err)
	}
	if err := s.FailEvent(ctx, pending[0].Seq, "broken"); err != nil {
		t.Fatal(err)
	}
	// A delivery made and delivered, to send again.
	if _, err := s.AddDestination(ctx, review.Destination{URL: "https://erp.example.com/hook", Secret: "a secret of sixteen or more"}); err != nil {
		t.Fatal(err)
	}
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if err := desk.New(s, nil, rules.New(nil), nil).Decide(ctx, run, ana, desk.Verdict{Approve: true}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.RecentDeliveries(ctx, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if err := s.Attempt(ctx, ds[0].ID, 200, "ok", "", "", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := desk.New(logFails{s}, nil, rules.New(nil), nil)
	d.Passwords = passwords.New(true)
	root := &review.User{ID: 99, Email: actor, Role: review.RoleAdmin}
	disable := true
	half := 0.5
	for name, write := range map[string]func() error{
		"create user": func() error {
			_, err := d.CreateUser(ctx, actor, "cy@example.com", "Cy", review.RoleReviewer, "a long enough password")
			return err
		},
		"disable user": func() error {
			return d.UpdateUser(ctx, root, bo.ID, review.UserChange{Disabled: &disable}, "disable user")
		},
		"create token": func() error { _, err := d.CreateToken(ctx, actor, "new", review.RoleReviewer); return err },
		"revoke token": func() error { return d.RevokeToken(ctx, actor, tokens[0].ID) },
		"add destination": func() error {
			_, err := d.AddDestination(ctx, actor, review.Destination{URL: "https://erp.example/hook", Secret: strings.Repeat("s", review.MinSecretLength)})
			return err
		},
		"routing rule": func() error {
			return d.SetRoutingRule(ctx, actor, review.RoutingRule{WorkflowID: "wf_qc", Below: &half})
		},
		"feedback rule": func() error {
			return d.SetFeedbackRule(ctx, actor, review.FeedbackRule{WorkflowID: "wf_qc", MirrorMetadata: true})
		},
		"QA rule":   func() error { return d.SetQARule(ctx, actor, review.QARule{WorkflowID: "wf_qc", SamplePercent: 10}) },
		"SLA":       func() error { return d.SetSLA(ctx, actor, time.Hour) },
		"replay":    func() error { return d.Replay(ctx, actor, "evt_failed") },
		"redeliver": func() error { return d.Redeliver(ctx, actor, ds[0].ID) },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "the log broke") {
			t.Fatalf("%s: %v, want the log's failure", name, err)
		}
	}
	if log, err := s.AdminLog(ctx, 10); err != nil || len(log) != 0 {
		t.Fatalf("the admin's log holds %+v, %v", log, err)
	}
	if users, err := s.Users(ctx); err != nil || len(users) != 1 || users[0].Disabled {
		t.Fatalf("users %+v, %v: want Bo alone, enabled", users, err)
	}
	if tokens, err := s.Tokens(ctx); err != nil || len(tokens) != 1 || tokens[0].RevokedAt != nil {
		t.Fatalf("tokens %+v, %v: want the one kept, live", tokens, err)
	}
	if ds, err := s.Destinations(ctx); err != nil || len(ds) != 1 {
		t.Fatalf("destinations %+v, %v: want the one kept", ds, err)
	}
	if ds, err := s.RecentDeliveries(ctx, 10); err != nil || len(ds) != 1 || ds[0].State == "pending" {
		t.Fatalf("deliveries %+v, %v: want the one delivered, not back in line", ds, err)
	}
	if rs, err := s.RoutingRules(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("routing rules %+v, %v", rs, err)
	}
	if rs, err := s.FeedbackRules(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("feedback rules %+v, %v", rs, err)
	}
	if r, err := s.QARule(ctx, "wf_qc"); err != nil || r.SamplePercent != 0 {
		t.Fatalf("QA rule %+v, %v", r, err)
	}
	if sla, err := s.Setting(ctx, "sla", "none"); err != nil || sla != "none" {
		t.Fatalf("SLA %q, %v", sla, err)
	}
	if failed, err := s.FailedEvents(ctx, 10); err != nil || len(failed) != 1 {
		t.Fatalf("failed events %+v, %v: want the event still failed", failed, err)
	}
}

// sessionFails is a store whose new sessions are written and then fail.
type sessionFails struct{ *storage.Store }

func (s sessionFails) CreateSession(ctx context.Context, userID int64) (string, error) {
	if _, err := s.Store.CreateSession(ctx, userID); err != nil {
		return "", err
	}
	return "", errors.New("the session broke")
}

// TestSignInIsOne: starting a session ends the browser's previous session and
// starts the new one in one transaction: when the new one fails, the old
// one is still there.
func TestSignInIsOne(t *testing.T) { pgtest.Each(t, testSignInIsOne) }

func testSignInIsOne(t *testing.T) {
	_, s := open(t)
	ctx := context.Background()
	bo, err := s.CreateUser(ctx, "bo@example.com", "Bo", review.RoleReviewer, passwordtest.Hash(t, "a long enough password"))
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(s, nil, nil, nil)
	old, err := d.StartSession(ctx, bo.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(sessionFails{s}, nil, nil, nil).StartSession(ctx, bo.ID, old); err == nil || !strings.Contains(err.Error(), "the session broke") {
		t.Fatalf("a sign-in whose session fails: %v", err)
	}
	if se, err := s.Session(ctx, old); err != nil || se.User.ID != bo.ID {
		t.Fatalf("the previous session: %+v, %v; want it kept", se, err)
	}
	next, err := d.StartSession(ctx, bo.ID, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, old); err == nil {
		t.Fatal("the previous session outlived a sign-in")
	}
	if _, err := s.Session(ctx, next); err != nil {
		t.Fatal(err)
	}
}
