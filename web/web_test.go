package web_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/storage"
	"github.com/reviewer-app/reviewer/web"
)

const secret = "wss_test_secret"

type env struct {
	t        *testing.T
	srv      testServer
	store    *storage.Store
	desk     *desk.Desk
	renderer *pages.Renderer // nil unless envOptions.pdfium
}

// testServer is where a test reaches the running instance.
type testServer struct{ URL string }

// newEnv starts a reviewer through the one wiring, every worker running,
// on a free loopback port, with a fast password hash.
func newEnv(t *testing.T, cfg web.Config) *env {
	t.Helper()
	return newEnvWith(t, cfg, envOptions{})
}

// envOptions are what a test may choose: a fake Extend, the clock, the
// database (instances given the same PostgreSQL URL share it), the undo
// window, and the real renderer instead of blank pages.
type envOptions struct {
	extendURL, extendKey string
	now                  func() time.Time
	db                   string
	undo                 time.Duration
	data                 string     // the data directory; a new one when empty
	blobs                *s3.Client // --blobs
	pdfium               bool       // package pages, for a test that draws or reads pages; blankPages otherwise
}

func newEnvWith(t *testing.T, cfg web.Config, o envOptions) *env {
	t.Helper()
	if o.extendURL == "" {
		o.extendURL = "http://127.0.0.1:1"
	}
	if cfg.WebhookSecrets == nil {
		cfg.WebhookSecrets = []string{secret}
	}
	c := instance.Config{
		Addr: "127.0.0.1:0", Data: cmp.Or(o.data, t.TempDir()), Blobs: o.blobs, DB: cmp.Or(o.db, pgtest.DB(t)), UndoWindow: o.undo, ExtendURL: o.extendURL, ExtendKey: o.extendKey, Web: cfg,
		FastPasswordHash: true, Now: o.now, Documents: blankPages{dir: t.TempDir()},
	}
	if o.pdfium {
		c.CompileCache, c.Documents = pdfiumtest.Cache(t), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	in, err := instance.New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("instance: %v", err)
		}
	})
	return &env{t: t, srv: testServer{URL: in.URL}, store: in.Store, desk: in.Desk, renderer: in.Renderer}
}

// post sends a webhook body signed with secret at time ts.
func (e *env) post(body []byte, secret string, ts time.Time) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/extend", bytes.NewReader(body))
	req.Header.Set("X-Extend-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("x-extend-request-signature", review.Sign(secret, ts.Unix(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// process waits, with a generous ceiling, until the ingest worker has
// applied every stored event.
func (e *env) process() {
	e.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		counts, err := e.store.EventCounts(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if counts["pending"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("events still pending after a minute: %v", counts)
		}
	}
}

// signIn creates a user with role and returns a client holding its session.
func (e *env) signIn(email string, role review.Role) *http.Client {
	e.t.Helper()
	if _, err := e.store.CreateUser(context.Background(), email, "", role, passwordtest.Hash(e.t, "a long enough password")); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"email": {email}, "password": {"a long enough password"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in: %s", resp.Status)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWebhookAnswers(t *testing.T) { pgtest.Each(t, testWebhookAnswers) }

func testWebhookAnswers(t *testing.T) {
	e := newEnv(t, web.Config{MaxBody: 1 << 20})
	now := time.Now()
	good := demo.Event("evt_1", review.EventWorkflowCreated, json.RawMessage(`{"object":"workflow","id":"workflow_1","name":"Invoices"}`))

	resp, body := e.post(good, secret, now)
	if resp.StatusCode != 200 || body["duplicate"] != false {
		t.Fatalf("good: %s %v", resp.Status, body)
	}
	resp, body = e.post(good, secret, now)
	if resp.StatusCode != 200 || body["duplicate"] != true {
		t.Fatalf("duplicate: %s %v", resp.Status, body)
	}
	errCode := func(b map[string]any) string {
		m, _ := b["error"].(map[string]any)
		s, _ := m["code"].(string)
		return s
	}
	tests := []struct {
		name   string
		body   []byte
		secret string
		ts     time.Time
		status int
		code   string
	}{
		{"wrong secret", good, "wss_other", now, 401, "unauthorized"},
		{"replayed old timestamp", good, secret, now.Add(-10 * time.Minute), 401, "unauthorized"},
		{"timestamp in the future", good, secret, now.Add(5 * time.Minute), 401, "unauthorized"},
		{"not JSON", []byte(`{"eventId":`), secret, now, 400, "invalid"},
		{"no eventId", []byte(`{"eventType":"workflow.created","payload":{}}`), secret, now, 400, "invalid"},
		{"eventType a number", []byte(`{"eventId":"e","eventType":3}`), secret, now, 400, "invalid"},
		{"too large", bytes.Repeat([]byte("x"), 2<<20), secret, now, 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.post(tt.body, tt.secret, tt.ts)
			if resp.StatusCode != tt.status || errCode(body) != tt.code {
				t.Fatalf("got %s %v, want %d %s", resp.Status, body, tt.status, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	// Unsigned.
	resp2, err := http.Post(e.srv.URL+"/webhooks/extend", "application/json", bytes.NewReader(good))
	if err != nil || resp2.StatusCode != 401 {
		t.Fatalf("unsigned: %v %v", resp2.Status, err)
	}
	counts, _ := e.store.EventCounts(context.Background())
	if counts["pending"]+counts["done"] != 1 || counts["failed"] != 0 {
		t.Fatalf("stored events = %v; only the one good event may be stored", counts)
	}
}

func TestWebhookDefaultLimitRefuses40MiB(t *testing.T) {
	pgtest.Each(t, testWebhookDefaultLimitRefuses40MiB)
}

func testWebhookDefaultLimitRefuses40MiB(t *testing.T) {
	e := newEnv(t, web.Config{})
	body := append([]byte(`{"eventId":"big","eventType":"x","payload":"`), bytes.Repeat([]byte("a"), 40<<20)...)
	body = append(body, `"}`...)
	resp, _ := e.post(body, secret, time.Now())
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("40 MiB body: %s", resp.Status)
	}
}

func TestWebhookWithoutSecret(t *testing.T) { pgtest.Each(t, testWebhookWithoutSecret) }

func testWebhookWithoutSecret(t *testing.T) {
	e := newEnv(t, web.Config{WebhookSecrets: []string{}})
	resp, body := e.post([]byte(`{}`), secret, time.Now())
	if resp.StatusCode != 503 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "--webhook-secret") {
		t.Fatalf("no secret: %s %v", resp.Status, body)
	}
}

func TestRotatedSecrets(t *testing.T) { pgtest.Each(t, testRotatedSecrets) }

func testRotatedSecrets(t *testing.T) {
	e := newEnv(t, web.Config{WebhookSecrets: []string{"wss_new", "wss_old"}})
	for i, s := range []string{"wss_new", "wss_old"} {
		body := demo.Event("evt_"+s, "workflow.created", json.RawMessage(`{"id":"workflow_`+strconv.Itoa(i)+`"}`))
		if resp, b := e.post(body, s, time.Now()); resp.StatusCode != 200 {
			t.Fatalf("%s: %s %v", s, resp.Status, b)
		}
	}
}

func TestQueuePageAndAPI(t *testing.T) { pgtest.Each(t, testQueuePageAndAPI) }

func testQueuePageAndAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	for i, r := range invoiceRuns(t) {
		if resp, b := e.post(demo.Event("evt_"+strconv.Itoa(i), review.EventRunNeedsReview, r.Payload), secret, time.Now()); resp.StatusCode != 200 {
			t.Fatalf("post: %s %v", resp.Status, b)
		}
	}
	e.process()

	// Pages need a session; the API needs a token.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, _ := get(t, noRedirect, e.srv.URL+"/runs/workflow_run_demo_aws_2026"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous page: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	if resp, body := get(t, http.DefaultClient, e.srv.URL+"/api/v1/runs"); resp.StatusCode != 401 || !strings.Contains(body, `"unauthorized"`) {
		t.Fatalf("anonymous API: %s %s", resp.Status, body)
	}

	c := e.signIn("rev@example.com", review.RoleReviewer)
	resp, page := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(page, `data-run-id="workflow_run_demo_aws_2026"`) || !strings.Contains(page, `data-run-id="workflow_run_demo_qh_2025"`) {
		t.Fatalf("queue page: %s\n%s", resp.Status, page)
	}
	if resp, _ := get(t, c, e.srv.URL+"/runs/workflow_run_nope"); resp.StatusCode != 404 {
		t.Fatalf("missing run: %s", resp.Status)
	}

	tok, _ := e.store.CreateToken(context.Background(), "test", review.RoleReviewer)
	api := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, list := api("/api/v1/runs?limit=1")
	data, _ := list["data"].([]any)
	if status != 200 || list["object"] != "list" || len(data) != 1 || list["nextCursor"] == nil {
		t.Fatalf("list: %d %v", status, list)
	}
	status, list = api("/api/v1/runs?limit=1&cursor=" + list["nextCursor"].(string))
	if data, _ := list["data"].([]any); status != 200 || len(data) != 1 || list["nextCursor"] != nil {
		t.Fatalf("second page: %d %v", status, list)
	}
	if status, _ := api("/api/v1/runs?limit=0"); status != 400 {
		t.Fatalf("bad limit: %d", status)
	}
	status, run := api("/api/v1/runs/workflow_run_demo_qh_2025")
	if status != 200 || run["id"] != "workflow_run_demo_qh_2025" || run["outputs"] == nil {
		t.Fatalf("run: %d %v", status, run)
	}
	if status, body := api("/api/v1/runs/workflow_run_nope"); status != 404 || body["error"] == nil {
		t.Fatalf("missing run: %d %v", status, body)
	}
}

func TestHostileValuesAreEscaped(t *testing.T) { pgtest.Each(t, testHostileValuesAreEscaped) }

func testHostileValuesAreEscaped(t *testing.T) {
	e := newEnv(t, web.Config{})
	xss := `<script>alert(1)</script><img src=x onerror=alert(1)>`
	name, _ := json.Marshal(xss)
	payload := `{"object":"workflow_run","id":"workflow_run_xss","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":` + string(name) + `},
		"files":[{"id":"file_x","name":` + string(name) + `,"type":"PDF"}],
		"outputs":[{"id":"dpr_1","type":"EXTRACT","output":{"f":{"type":"string","value":` + string(name) + `,"confidence":0.5}}}]}`
	e.post(demo.Event("evt_xss", review.EventRunNeedsReview, json.RawMessage(payload)), secret, time.Now())
	e.process()
	c := e.signIn("rev@example.com", review.RoleReviewer)
	for _, path := range []string{"/", "/runs/workflow_run_xss"} {
		_, page := get(t, c, e.srv.URL+path)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Fatalf("%s renders markup from a document:\n%s", path, page)
		}
		if !strings.Contains(page, "&lt;script&gt;") {
			t.Fatalf("%s does not show the value as text", path)
		}
	}
}

func TestLoginLogout(t *testing.T) { pgtest.Each(t, testLoginLogout) }

func testLoginLogout(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("sup@example.com", review.RoleSupervisor)
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.StatusCode != 200 {
		t.Fatalf("signed in: %s", resp.Status)
	}
	u, _ := url.Parse(e.srv.URL)
	cookies := c.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	resp, err := c.Post(e.srv.URL+"/logout", "", nil)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("logout: %v %v", resp.Status, err)
	}
	// The old cookie, replayed, is dead: the session ended server-side.
	replay := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
	req.AddCookie(cookies[0])
	resp, err = replay.Do(req)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("replayed cookie: %v %v", resp.Status, err)
	}
	// Wrong password: a clear message, no session.
	resp, err = replay.PostForm(e.srv.URL+"/login", url.Values{"email": {"sup@example.com"}, "password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "Wrong email or password") || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong password: %s %s", resp.Status, b)
	}
}

func TestCrossOriginPostRefused(t *testing.T) { pgtest.Each(t, testCrossOriginPostRefused) }

func testCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t, web.Config{})
	c := e.signIn("rev@example.com", review.RoleReviewer)
	req, _ := http.NewRequest("POST", e.srv.URL+"/logout", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %v %v", resp.Status, err)
	}
	// The webhook is server to server and stays reachable.
	body := demo.Event("evt_x", "workflow.created", json.RawMessage(`{"id":"workflow_1"}`))
	req, _ = http.NewRequest("POST", e.srv.URL+"/webhooks/extend", bytes.NewReader(body))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	ts := time.Now().Unix()
	req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(review.HeaderSignature, review.Sign(secret, ts, body))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("webhook with cross-site header: %v %v", resp.Status, err)
	}
}

func TestSetupCreatesFirstAdmin(t *testing.T) { pgtest.Each(t, testSetupCreatesFirstAdmin) }

func testSetupCreatesFirstAdmin(t *testing.T) {
	e := newEnv(t, web.Config{SetupToken: "tok123"})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"email": {"admin@example.com"}, "password": {"a long enough password"}, "token": {"wrong"}}
	resp, _ := c.PostForm(e.srv.URL+"/setup", form)
	if resp.StatusCode != 403 {
		t.Fatalf("setup with a wrong token: %s", resp.Status)
	}
	form.Set("token", "tok123")
	resp, _ = c.PostForm(e.srv.URL+"/setup", form)
	if resp.StatusCode != 303 || len(resp.Cookies()) == 0 {
		t.Fatalf("setup: %s", resp.Status)
	}
	form.Set("email", "second@example.com")
	resp, _ = c.PostForm(e.srv.URL+"/setup", form)
	if resp.StatusCode != 403 {
		t.Fatalf("second setup: %s", resp.Status)
	}
}

// TestSetupTokenMakesOneAdmin: many concurrent requests with the one-time
// token make exactly one admin (three did before).
func TestSetupTokenMakesOneAdmin(t *testing.T) { pgtest.Each(t, testSetupTokenMakesOneAdmin) }

func testSetupTokenMakesOneAdmin(t *testing.T) {
	e := newEnv(t, web.Config{SetupToken: "tok123"})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	var made atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			form := url.Values{"email": {"admin" + strconv.Itoa(i) + "@example.com"}, "password": {"a long enough password"}, "token": {"tok123"}}
			resp, err := c.PostForm(e.srv.URL+"/setup", form)
			if err == nil && resp.StatusCode == http.StatusSeeOther {
				made.Add(1)
			}
		})
	}
	wg.Wait()
	users, _ := e.store.Users(t.Context())
	if made.Load() != 1 || len(users) != 1 {
		t.Fatalf("%d setups succeeded, %d users exist; want one", made.Load(), len(users))
	}
}

func TestHealthAndMetrics(t *testing.T) { pgtest.Each(t, testHealthAndMetrics) }

func testHealthAndMetrics(t *testing.T) {
	e := newEnv(t, web.Config{})
	if resp, body := get(t, http.DefaultClient, e.srv.URL+"/healthz"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz: %s %q", resp.Status, body)
	}
	e.post(demo.Event("evt_1", review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run","id":"workflow_run_m","status":"NEEDS_REVIEW"}`)), secret, time.Now())
	e.post([]byte("{}"), "wss_wrong", time.Now())
	e.process()
	// The worker counts an event after its commit, which process waits for.
	var body string
	waitFor(t, func() bool {
		_, body = get(t, http.DefaultClient, e.srv.URL+"/metrics")
		return strings.Contains(body, "reviewer_events_processed_total 1")
	})
	for _, want := range []string{
		`reviewer_webhook_requests_total{result="accepted"} 1`,
		`reviewer_webhook_requests_total{result="unauthorized"} 1`,
		`reviewer_events_processed_total 1`,
		`reviewer_queue_depth 1`,
		`reviewer_events{state="done"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestSecurityHeaders(t *testing.T) { pgtest.Each(t, testSecurityHeaders) }

func testSecurityHeaders(t *testing.T) {
	e := newEnv(t, web.Config{})
	resp, _ := get(t, http.DefaultClient, e.srv.URL+"/login")
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP = %q", csp)
	}
}

// invoiceRuns are the two demo invoices: the 2026 AWS run, then the 2025
// QualityHosting run.
func invoiceRuns(t *testing.T) []demo.Run {
	t.Helper()
	var out []demo.Run
	for _, name := range []string{"aws_2026.json", "qualityhosting_2025.json"} {
		p, err := demo.Payload(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, demo.Run{Name: name, Payload: p})
	}
	return out
}
