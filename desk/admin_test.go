package desk_test

import (
	"context"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
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
}
