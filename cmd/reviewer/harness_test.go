package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

const (
	testSecret   = "wss_browser_test"
	testPassword = "a long enough password"
	// ceiling is how long a condition may take to hold before a test
	// fails: generous, so a busy machine slows the tests without failing
	// them; a condition that holds ends the wait at once.
	ceiling = 2 * time.Minute
)

// settled waits until the page's scripts have run (its load event), so its
// keys are bound before a test presses them, as a person sees a page before
// typing on it. On a busy machine modules can run well after the markup shows.
func settled() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingTimeout(ceiling), chromedp.WithPollingInterval(20*time.Millisecond))
}

// TestMain runs the tests, then stops and removes what they shared: the
// browser, the PostgreSQL server, the demo's data and the built binary.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if chromium.stop != nil {
		chromium.stop()
	}
	os.RemoveAll(demoData.dir)
	os.RemoveAll(reviewerBin.dir)
	os.Exit(code)
}

// server is a reviewer started by run on a free loopback port.
type server struct {
	t     *testing.T
	base  string
	data  string
	token string
}

// startServer starts a reviewer on a fresh data directory. With --demo,
// the directory is a copy of the demo's day, loaded once for all the tests.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	data := t.TempDir()
	if i := slices.Index(extra, "--demo"); i >= 0 {
		if err := os.CopyFS(data, os.DirFS(demoDir(t))); err != nil {
			t.Fatal(err)
		}
		extra = slices.Delete(slices.Clone(extra), i, i+1)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--webhook-secret", testSecret, "--compile-cache", pdfiumtest.Cache(t)}, extra...)
	return launch(t, args, noEnv, data)
}

// launch runs reviewer with args and getenv until the test ends, and
// returns once it listens.
func launch(t *testing.T, args []string, getenv func(string) string, data string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenv, nil, pw, io.Discard); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "reviewer listening on "); ok {
			go io.Copy(io.Discard, pr)
			return &server{t: t, base: u, data: data}
		}
	}
	t.Fatal("the server did not start")
	return nil
}

// demoData is a data directory holding the demo's day, made by the first
// test that needs it and copied by every test that does.
var demoData struct {
	once sync.Once
	dir  string
	err  error
}

func demoDir(t *testing.T) string {
	t.Helper()
	cache := pdfiumtest.Cache(t)
	demoData.once.Do(func() { demoData.dir, demoData.err = loadDemoData(cache) })
	if demoData.err != nil {
		t.Fatalf("the demo's day: %v", demoData.err)
	}
	return demoData.dir
}

// loadDemoData runs `serve --demo` until the demo's day and its measured
// weeks are loaded, their decided runs decided, every event applied and every document measured;
// then stops it, so the directory is at rest for copying.
func loadDemoData(compileCache string) (string, error) {
	dir, err := os.MkdirTemp("", "reviewer-test-demo-")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir, "--compile-cache", compileCache}, noEnv, nil, pw, io.Discard)
		pw.Close()
	}()
	stop := func(err error) (string, error) {
		cancel()
		go io.Copy(io.Discard, pr)
		if rerr := <-done; err == nil {
			err = rerr
		}
		return dir, err
	}
	sc := bufio.NewScanner(pr)
	loaded := false // the day, then its measured weeks
	for !loaded && sc.Scan() {
		if why, ok := strings.CutPrefix(sc.Text(), "The demo"); ok && strings.Contains(why, " could not be loaded: ") {
			return stop(errors.New(sc.Text()))
		}
		loaded = strings.HasPrefix(sc.Text(), historyLoaded)
	}
	if !loaded {
		return stop(errors.New("the server ended before the demo was loaded"))
	}
	store, err := storage.Open(ctx, dir, storage.Options{})
	if err != nil {
		return stop(err)
	}
	defer store.Close()
	for deadline := time.Now().Add(ceiling); ; time.Sleep(20 * time.Millisecond) {
		events, err := store.EventCounts(ctx)
		if err != nil {
			return stop(err)
		}
		unmeasured, err := store.Unmeasured(ctx, 1)
		if err != nil {
			return stop(err)
		}
		if events["pending"] == 0 && len(unmeasured) == 0 {
			return stop(nil)
		}
		if time.Now().After(deadline) {
			return stop(fmt.Errorf("after %s, events %v and documents %v still to do", ceiling, events, unmeasured))
		}
	}
}

// user creates a user through the store, with the cheapest password hash:
// at bcrypt's real cost, making and checking a user's password took about
// half of every browser test under the race detector. TestUserAdd makes
// users through the command line, at the real cost.
func (s *server) user(email string, role review.Role) { s.named(email, "", role) }

// named adds a person with a name (none: known by their email).
func (s *server) named(email, name string, role review.Role) {
	s.t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, s.data, storage.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.CreateUser(ctx, email, name, role, passwordtest.Hash(s.t, testPassword)); err != nil {
		s.t.Fatal(err)
	}
}

// client returns an HTTP client signed in as email.
func (s *server) client(email string) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(s.base+"/login", url.Values{"email": {email}, "password": {testPassword}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: %s", email, resp.Status)
	}
	return c
}

// send delivers an event to the webhook, signed.
func (s *server) send(id, typ string, payload any) {
	s.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := demo.Send(context.Background(), http.DefaultClient, s.base+"/webhooks/extend", testSecret, demo.Event(id, typ, raw)); err != nil {
		s.t.Fatal(err)
	}
}

// upload gives a run's file its bytes through the upload form.
func (s *server) upload(c *http.Client, runID, fileID, name string, data []byte) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("document", name)
	fw.Write(data)
	mw.Close()
	resp, err := c.Post(s.base+"/runs/"+runID+"/files/"+fileID, mw.FormDataContentType(), &body)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("upload %s: %s", name, resp.Status)
	}
}

// waitRun waits until the run has been applied (the webhook only stores it).
func (s *server) waitRun(c *http.Client, runID string) {
	s.t.Helper()
	deadline := time.Now().Add(ceiling)
	for time.Now().Before(deadline) {
		resp, err := c.Get(s.base + "/runs/" + runID)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("run %s never appeared", runID)
}

// chromium is the package's one browser, started by the first test that
// needs it; each test has a browser context of its own in it (browser), so
// their cookies and storage stay apart.
var chromium struct {
	once sync.Once
	ctx  context.Context
	stop func()
	err  error
}

func startChromium() {
	path, err := exec.LookPath("chromium")
	if err != nil {
		chromium.err = fmt.Errorf("chromium is not installed (make test installs Debian's chromium): %w", err)
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// Closed gracefully, Chromium removes what it made in TMPDIR.
	chromium.ctx, chromium.stop = ctx, func() { chromedp.Cancel(ctx); cancelC(); cancelA() }
	chromium.err = chromedp.Do(ctx) // starts the browser
}

// browser gives the test a fresh browser context (as a new incognito
// window has: no cookies, no storage) in the package's Chromium, headless.
// A missing browser fails the test: `make test` installs it; -short (make
// check) skips the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chromium: make test runs it")
	}
	chromium.once.Do(startChromium)
	if chromium.err != nil {
		t.Fatalf("start chromium: %v", chromium.err)
	}
	ctx, cancelC := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 10*time.Minute) // the whole test's ceiling
	t.Cleanup(func() { cancelT(); cancelC() })
	// A script that throws leaves a page half working, which a test then
	// sees only as a key doing nothing: say what threw.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok {
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Logf("the page threw (%s:%d): %s", d.URL, d.LineNumber, msg)
		}
	}); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	// Headless, the window never has focus, so focus events would not
	// fire; emulate a focused window as a person's browser has.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	return ctx
}

// signIn signs the browser in through the sign-in form.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".topbar nav")),
	)
	if err != nil {
		t.Fatalf("browser sign-in: %v", err)
	}
}
