package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

func TestAdminUsersAndTokens(t *testing.T) { pgtest.Each(t, testAdminUsersAndTokens) }

func testAdminUsersAndTokens(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(path string, form url.Values) (int, string) {
		resp, err := admin.PostForm(e.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = copyBody(b, resp)
		return resp.StatusCode, b.String()
	}
	status, page := post("/admin/users", url.Values{"email": {"new@example.com"}, "name": {"New"}, "role": {"reviewer"}, "password": {"a long enough password"}})
	if status != 200 || !strings.Contains(page, `data-user="new@example.com"`) {
		t.Fatalf("create user: %d", status)
	}
	if status, page = post("/admin/users", url.Values{"email": {"new@example.com"}, "role": {"reviewer"}, "password": {"a long enough password"}}); status != 400 || !strings.Contains(page, "exists") {
		t.Fatalf("duplicate user: %d", status)
	}
	// The new user signs in; disabling them ends that session at once.
	u := &env{t: t, srv: e.srv, store: e.store}
	c := signInAs(t, u, "new@example.com")
	users, _ := e.store.Users(t.Context())
	var id string
	for _, x := range users {
		if x.Email == "new@example.com" {
			id = strconvI(x.ID)
		}
	}
	if status, _ := post("/admin/users/"+id, url.Values{"disabled": {"1"}}); status != 200 {
		t.Fatalf("disable: %d", status)
	}
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled user's session still works: %s", resp.Status)
	}
	if status, _ = post("/admin/users/"+id, url.Values{"role": {"supervisor"}}); status != 200 {
		t.Fatalf("set role: %d", status)
	}
	self := ""
	for _, x := range users {
		if x.Email == "admin@example.com" {
			self = strconvI(x.ID)
		}
	}
	if status, page = post("/admin/users/"+self, url.Values{"disabled": {"1"}}); status != 400 || !strings.Contains(page, "cannot disable yourself") {
		t.Fatalf("disabling yourself: %d", status)
	}
	// A token is shown once; revoking it ends API access.
	status, page = post("/admin/tokens", url.Values{"name": {"erp"}, "role": {"reviewer"}})
	tok := regexp.MustCompile(`rvw_[A-Za-z0-9_-]+`).FindString(page)
	if status != 200 || tok == "" {
		t.Fatalf("create token: %d", status)
	}
	api := func() int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/runs", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if api() != 200 {
		t.Fatal("the new token does not work")
	}
	tokens, _ := e.store.Tokens(t.Context())
	if status, _ = post("/admin/tokens/"+strconvI(tokens[0].ID)+"/revoke", nil); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if api() != 401 {
		t.Fatal("a revoked token still works")
	}
	log, _ := e.store.AdminLog(t.Context(), 20)
	if len(log) != 5 || log[0].Action != "revoke token" || log[4].Action != "create user" {
		t.Fatalf("admin log = %+v", log)
	}
}

func strconvI(i int64) string { return strconv.FormatInt(i, 10) }

func copyBody(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }

// signInAs signs in an existing user with the test password.
func signInAs(t *testing.T, e *env, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"email": {email}, "password": {"a long enough password"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %v %v", email, resp.Status, err)
	}
	return c
}

func TestSettingsAndDestinations(t *testing.T) { pgtest.Each(t, testSettingsAndDestinations) }

func testSettingsAndDestinations(t *testing.T) {
	e := newEnv(t, web.Config{})
	for i, r := range invoiceRuns(t) {
		e.post(demo.Event("evt_"+strconv.Itoa(i), review.EventRunNeedsReview, r.Payload), secret, time.Now())
	}
	e.process()
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(path string, form url.Values) int {
		resp, err := admin.PostForm(e.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post("/admin/settings", url.Values{"sla_hours": {"0.5"}}); s != 200 {
		t.Fatalf("sla: %d", s)
	}
	if s := post("/admin/settings", url.Values{"sla_hours": {"soon"}}); s != 400 {
		t.Fatalf("bad sla: %d", s)
	}
	_, page := get(t, admin, e.srv.URL+"/dashboard")
	if !strings.Contains(page, "past the 30m SLA") {
		t.Fatalf("the dashboard does not use the saved SLA")
	}
	if s := post("/admin/settings", url.Values{"workflow": {"workflow_demo_invoices"}, "below": {"0.9"}, "sample": {"10"}}); s != 200 {
		t.Fatalf("routing rule: %d", s)
	}
	rules, _ := e.store.RoutingRules(t.Context())
	if r := rules["workflow_demo_invoices"]; r.Below == nil || *r.Below != 0.9 || r.SamplePercent != 10 {
		t.Fatalf("rule = %+v", r)
	}
	if s := post("/admin/settings", url.Values{"workflow": {"workflow_demo_invoices"}, "sample": {"200"}}); s != 400 {
		t.Fatalf("a 200%% sample: %d", s)
	}
	if s := post("/admin/destinations", url.Values{"url": {"https://erp.example/hooks"}, "secret": {"whsec_0123456789abcdef"}, "events": {"workflow_run.completed"}}); s != 303 {
		t.Fatalf("add destination: %d", s)
	}
	if s := post("/admin/destinations", url.Values{"url": {"ftp://x"}, "secret": {"whsec_0123456789abcdef"}}); s != 400 {
		t.Fatalf("a bad destination URL: %d", s)
	}
	ds, _ := e.store.Destinations(t.Context())
	if len(ds) != 1 || ds[0].Events[0] != "workflow_run.completed" {
		t.Fatalf("destinations = %+v", ds)
	}
	log, _ := e.store.AdminLog(t.Context(), 10)
	if len(log) != 3 {
		t.Fatalf("admin log = %+v", log)
	}
}

// TestSettingsRefuseWhatIsNotSaved: an oversized form is answered 413 with
// a sentence (it said "Saved." before); NaN is no threshold and no SLA; a
// run is not handed to somebody without an account.
func TestSettingsRefuseWhatIsNotSaved(t *testing.T) { pgtest.Each(t, testSettingsRefuseWhatIsNotSaved) }

func testSettingsRefuseWhatIsNotSaved(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := admin.PostForm(e.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, page := post("/admin/settings", url.Values{"sla_hours": {"2"}, "pad": {strings.Repeat("x", 100<<10)}}); status != http.StatusRequestEntityTooLarge || !strings.Contains(page, "nothing was saved") {
		t.Fatalf("oversized form: %d", status)
	}
	if sla, _ := e.store.Setting(t.Context(), "sla", ""); sla != "" {
		t.Fatalf("the oversized form saved the SLA %q", sla)
	}
	for _, form := range []url.Values{{"sla_hours": {"NaN"}}, {"sla_hours": {"+Inf"}}, {"workflow": {"wf_1"}, "below": {"NaN"}}} {
		if status, _ := post("/admin/settings", form); status != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", form, status)
		}
	}
	if rules, _ := e.store.RoutingRules(t.Context()); len(rules) != 0 {
		t.Fatalf("a NaN threshold was stored: %+v", rules)
	}
	for i, r := range invoiceRuns(t) {
		e.post(demo.Event("evt_"+strconv.Itoa(i), review.EventRunNeedsReview, r.Payload), secret, time.Now())
	}
	e.process()
	if status, page := post("/runs/workflow_run_demo_qh_2025/release", url.Values{"to": {"nobody@example.com"}}); status != http.StatusBadRequest || !strings.Contains(page, "Nobody with the email nobody@example.com") {
		t.Fatalf("reassign to nobody: %d %s", status, page)
	}
}
