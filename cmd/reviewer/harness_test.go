package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
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

// compileCache keeps PDFium's machine code for every server the tests
// start: compiling it anew takes half a minute under the race detector.
var compileCache = filepath.Join(os.TempDir(), "reviewer-test-wazero")

// server is a reviewer started by run on a free loopback port.
type server struct {
	t     *testing.T
	base  string
	data  string
	token string
}

func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--webhook-secret", testSecret, "--compile-cache", compileCache}, extra...)
	go func() { done <- run(ctx, args, noEnv, nil, pw, io.Discard); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	// With the demo, the server is ready once the demo's day is loaded:
	// its decided runs are decided by then.
	ready := "reviewer listening on "
	if slices.Contains(extra, "--demo") {
		ready = "Loaded "
	}
	var s *server
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "reviewer listening on "); ok {
			s = &server{t: t, base: u, data: data}
		}
		if why, ok := strings.CutPrefix(sc.Text(), "The demo could not be loaded: "); ok {
			t.Fatal(why)
		}
		if strings.HasPrefix(sc.Text(), ready) {
			go io.Copy(io.Discard, pr)
			return s
		}
	}
	t.Fatal("the server did not start")
	return nil
}

// user creates a user through the command line, as an operator would.
func (s *server) user(email string, role review.Role) {
	s.t.Helper()
	var out bytes.Buffer
	args := []string{"user", "add", "--data", s.data, "--email", email, "--role", string(role)}
	if err := run(context.Background(), args, noEnv, strings.NewReader(testPassword+"\n"), &out, io.Discard); err != nil {
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

// browser starts Debian's Chromium, headless. A missing browser fails the
// test: `make test` installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (make test installs Debian's chromium): ", err)
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
	ctx, cancelT := context.WithTimeout(ctx, 10*time.Minute) // the whole test's ceiling
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	// Headless, the window never has focus, so focus events would not
	// fire; emulate a focused window as a person's browser has.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("start chromium: %v", err)
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
