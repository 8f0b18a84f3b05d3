package web_test

import (
	"strings"
	"testing"
)

// TestForbiddenPageKnowsWhoIsSignedIn: a page above a person's role is
// refused with the way back to the queue, never an offer to sign in to
// someone signed in.
func TestForbiddenPageKnowsWhoIsSignedIn(t *testing.T) {
	e, rev := editEnv(t)
	resp, page := get(t, rev, e.srv.URL+"/dashboard")
	if resp.StatusCode != 403 {
		t.Fatalf("a reviewer opened the dashboard: %s", resp.Status)
	}
	if !strings.Contains(page, "This page is for supervisors and above") || !strings.Contains(page, "Back to the queue") || strings.Contains(page, `href="/login"`) {
		t.Fatalf("the 403 page reads:\n%s", page)
	}
	if !strings.Contains(page, `action="/logout"`) {
		t.Fatal("the 403 page does not show who is signed in")
	}
}

// TestErrorPageKnowsWhoIsSignedIn: a page that fails for what was asked (a
// run that does not exist, a period out of bounds, a queue view there is
// not) keeps the signed-in
// person's bar and offers the way back to the queue, not a sign-in.
func TestErrorPageKnowsWhoIsSignedIn(t *testing.T) {
	e, rev := editEnv(t)
	for path, status := range map[string]int{"/runs/workflow_run_nope": 404, "/scorecards?days=-1": 400, "/?view=bogus": 400} {
		resp, page := get(t, rev, e.srv.URL+path)
		if resp.StatusCode != status {
			t.Fatalf("%s: %s, want %d", path, resp.Status, status)
		}
		if !strings.Contains(page, "Back to the queue") || strings.Contains(page, `href="/login"`) || !strings.Contains(page, `action="/logout"`) {
			t.Errorf("the %d page of %s reads:\n%s", status, path, page)
		}
		if status == 400 && path == "/?view=bogus" && !strings.Contains(page, "escalated or postponed") {
			t.Errorf("the queue's refusal of an unknown view does not name the views:\n%s", page)
		}
	}
}
