package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestHoldsThroughTheAPI: a token sends a run to a supervisor, postpones
// it and puts it back, through the desk as the page does: the token's name
// is the actor in the run's history, a reviewer's token cannot put back an
// escalated run, and the page's refusals answer the same (400 with a
// sentence, 404, 409, 413).
func TestHoldsThroughTheAPI(t *testing.T) { pgtest.Each(t, testHoldsThroughTheAPI) }

func testHoldsThroughTheAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	ctx := t.Context()
	run, other := e.arriveTwins()
	bot, _ := e.store.CreateToken(ctx, "intake-bot", review.RoleReviewer)
	lead, _ := e.store.CreateToken(ctx, "ops-lead", review.RoleSupervisor)
	call := func(tok, path, contentType, body string) (int, string, *review.Hold) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out struct {
			ID    string       `json:"id"`
			Hold  *review.Hold `json:"hold"`
			Error struct{ Message string }
		}
		json.Unmarshal(b, &out)
		return resp.StatusCode, out.Error.Message, out.Hold
	}
	const js = "application/json"
	refusals := []struct {
		tok, path, ct, body string
		status              int
		says                string
	}{
		{bot, "/api/v1/runs/" + run + "/escalate", js, `{}`, 400, "needs a reason"},
		{bot, "/api/v1/runs/" + run + "/escalate", js, `{"reason": 7}`, 400, "JSON object"},
		{bot, "/api/v1/runs/" + run + "/escalate", js, `{"reason": "` + strings.Repeat("x", review.MaxHoldNote+1) + `"}`, 400, "longer than"},
		{bot, "/api/v1/runs/" + run + "/escalate", js, `{"reason": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
		{bot, "/api/v1/runs/workflow_run_nope/escalate", js, `{"reason": "why"}`, 404, ""},
		{bot, "/api/v1/runs/" + run + "/postpone", js, `{"reason": "PO", "until": "2001-01-01T00:00:00Z"}`, 400, "still to come"},
		{bot, "/api/v1/runs/" + run + "/postpone", js, `{"reason": "PO", "for": "soon"}`, 400, "such as 4h"},
		// Both ends named: which was meant is not for the server to guess.
		{bot, "/api/v1/runs/" + run + "/postpone", js, `{"reason": "PO", "for": "4h", "until": "2099-01-01T00:00:00Z"}`, 400, "not both"},
		{bot, "/api/v1/runs/" + run + "/resume", "", ``, 409, "not held"},
	}
	for _, c := range refusals {
		if status, msg, _ := call(c.tok, c.path, c.ct, c.body); status != c.status || !strings.Contains(msg, c.says) {
			t.Errorf("POST %s %.60s: %d %q, want %d %q", c.path, c.body, status, msg, c.status, c.says)
		}
	}

	// A run someone holds is theirs to send on.
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	if resp, _ := get(t, sup, e.srv.URL+"/runs/"+other); resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the other run: %s", resp.Status)
	}
	if status, msg, _ := call(bot, "/api/v1/runs/"+other+"/escalate", js, `{"reason": "Vendor unknown."}`); status != 409 || !strings.Contains(msg, "sup@example.com") {
		t.Errorf("a run another holds: %d %q", status, msg)
	}

	status, _, h := call(bot, "/api/v1/runs/"+run+"/escalate", js, `{"reason": "Vendor unknown."}`)
	if status != 200 || h == nil || h.Kind != review.HoldEscalated || h.By != "token:intake-bot" || h.Note != "Vendor unknown." {
		t.Fatalf("escalating: %d %+v", status, h)
	}
	if rv, _ := e.store.Review(ctx, run); rv.Hold.Kind != review.HoldEscalated {
		t.Fatalf("the run is not escalated: %+v", rv.Hold)
	}
	if status, msg, _ := call(bot, "/api/v1/runs/"+run+"/resume", "", ``); status != 403 || !strings.Contains(msg, "Only a supervisor") {
		t.Errorf("a reviewer's token puts back an escalated run: %d %q", status, msg)
	}
	if status, _, h := call(lead, "/api/v1/runs/"+run+"/resume", "", ``); status != 200 || h != nil {
		t.Fatalf("a supervisor's token puts it back: %d %+v", status, h)
	}
	status, _, h = call(bot, "/api/v1/runs/"+run+"/postpone", "application/x-www-form-urlencoded", url.Values{"reason": {"Waiting for the PO."}, "for": {"4h"}}.Encode())
	if status != 200 || h == nil || h.Kind != review.HoldPostponed || h.Until.Before(time.Now().Add(3*time.Hour)) || h.Until.After(time.Now().Add(5*time.Hour)) {
		t.Fatalf("postponing with a form: %d %+v", status, h)
	}
	audit, err := e.store.Audit(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, a := range audit {
		trail = append(trail, a.Actor+" "+string(a.Action))
	}
	want := "token:intake-bot " + string(review.ActionEscalate) + ",token:ops-lead " + string(review.ActionResume) + ",token:intake-bot " + string(review.ActionPostpone)
	if got := strings.Join(trail, ","); !strings.HasSuffix(got, want) {
		t.Fatalf("the run's history: %s, want it to end %s", got, want)
	}
}

// TestOnwardSaysWhatWasDone: sending a run to a supervisor or postponing
// it opens the next run, which says what became of the one left, with the
// way back to it; someone else given the same link is told nothing.
func TestOnwardSaysWhatWasDone(t *testing.T) { pgtest.Each(t, testOnwardSaysWhatWasDone) }

func testOnwardSaysWhatWasDone(t *testing.T) {
	e := newEnv(t, web.Config{})
	run, other := e.arriveTwins()
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	resp, err := rev.PostForm(e.srv.URL+"/runs/"+run+"/escalate", url.Values{"reason": {"Vendor unknown."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	next := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(next, "/runs/"+other) {
		t.Fatalf("escalating: %s to %q", resp.Status, next)
	}
	_, page := get(t, rev, e.srv.URL+next)
	if i := strings.Index(page, `id="held-notice"`); i < 0 || !strings.Contains(page[i:], `Sent <a href="/runs/`+run+`">QualityHosting.pdf</a> to a supervisor.`) {
		t.Fatalf("the next run does not say what was done: %.400s", page[max(i, 0):])
	}
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	if _, page := get(t, sup, e.srv.URL+next); strings.Contains(page, `id="held-notice"`) {
		t.Fatalf("someone else is told of another's escalation")
	}
}

// arriveTwins brings the demo's QualityHosting invoice and a copy of it:
// two runs waiting for review.
func (e *env) arriveTwins() (string, string) {
	e.t.Helper()
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		e.t.Fatal(err)
	}
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.post(demo.Event("evt_qh_copy", review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(qh), "demo_qh", "demo_qh_copy"))), secret, time.Now())
	e.process()
	return "workflow_run_demo_qh_2025", "workflow_run_demo_qh_copy_2025"
}

// TestSupervisorsToldOfWaitingEscalations: a supervisor opening any page
// is told how many runs already wait for a supervisor, with the way to
// them; a reviewer is not.
func TestSupervisorsToldOfWaitingEscalations(t *testing.T) {
	e := newEnv(t, web.Config{})
	run, _ := e.arriveTwins()
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	rev := e.signIn("ana@example.com", review.RoleReviewer)
	if _, page := get(t, sup, e.srv.URL+"/"); strings.Contains(page, "for a supervisor: <a") {
		t.Fatalf("told of escalations before any:\n%s", page)
	}
	if err := e.desk.Escalate(t.Context(), run, &review.User{Email: "ana@example.com", Role: review.RoleReviewer}, "the VAT number is unreadable"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/decided", "/breaches"} {
		if _, page := get(t, sup, e.srv.URL+path); !strings.Contains(page, `1 run waits for a supervisor: <a href="/?view=escalated">see them</a>`) {
			t.Errorf("%s does not tell the supervisor of the waiting escalation:\n%s", path, page)
		}
	}
	if _, page := get(t, rev, e.srv.URL+"/"); strings.Contains(page, "waits for a supervisor") {
		t.Error("a reviewer is told of escalations")
	}
}

// TestPostponePastDueThroughTheAPI: through the API as on the page, a
// reviewer's token cannot postpone a run past its due time (403, with the
// due time), a supervisor's must say pastDue (400), and with it may.
func TestPostponePastDueThroughTheAPI(t *testing.T) { pgtest.Each(t, testPostponePastDueThroughTheAPI) }

func testPostponePastDueThroughTheAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	ctx := t.Context()
	run, _ := e.arriveTwins()
	if err := e.desk.SetServiceLevel(ctx, "admin@example.com", "workflow_demo_legacy", time.Hour); err != nil {
		t.Fatal(err)
	}
	bot, _ := e.store.CreateToken(ctx, "intake-bot", review.RoleReviewer)
	lead, _ := e.store.CreateToken(ctx, "ops-lead", review.RoleSupervisor)
	for _, c := range []struct {
		tok, body string
		status    int
		says      string
	}{
		{bot, `{"reason": "Waiting for the PO.", "for": "4h", "pastDue": true}`, 403, "a supervisor's call"},
		{lead, `{"reason": "Waiting for the PO.", "for": "4h"}`, 400, "it would be late"},
		{lead, `{"reason": "Waiting for the PO.", "for": "4h", "pastDue": true}`, 200, ""},
	} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/runs/"+run+"/postpone", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+c.tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.says) {
			t.Errorf("%s: %s %s, want %d %q", c.body, resp.Status, b, c.status, c.says)
		}
	}
	if rv, _ := e.store.Review(ctx, run); rv.Hold.Kind != review.HoldPostponed || !rv.Hold.Until.After(rv.Due) {
		t.Fatalf("the supervisor's postponement: %+v, due %v", rv.Hold, rv.Due)
	}
}
