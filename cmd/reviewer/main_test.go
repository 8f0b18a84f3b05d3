package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/internal/scale"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

func noEnv(string) string { return "" }

func TestUserAdd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	var out, errOut bytes.Buffer
	args := []string{"user", "add", "--data", dir, "--email", "ana@example.com", "--role", "admin", "--name", "Ana"}
	if err := run(ctx, args, noEnv, strings.NewReader("a long password\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created admin ana@example.com") {
		t.Fatalf("output %q", out.String())
	}
	store, err := storage.Open(ctx, dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.Account(ctx, "ana@example.com")
	store.Close()
	if cost, _ := bcrypt.Cost(a.PasswordHash); err != nil || cost != passwords.Cost || !passwords.New(false).Matches(a.PasswordHash, "a long password") {
		t.Fatalf("the account made does not take its password at the real cost (%d): %v", cost, err)
	}
	if err := run(ctx, args, noEnv, strings.NewReader("another password\n"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("duplicate email: %v", err)
	}
	bad := []string{"user", "add", "--data", dir, "--email", "b@example.com", "--role", "boss"}
	if err := run(ctx, bad, noEnv, strings.NewReader("a long password\n"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("unknown role: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "create", "--data", dir, "--name", "erp", "--role", "reviewer"}, noEnv, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "rvw_") {
		t.Fatalf("token create: %q %v", out.String(), err)
	}
}

// TestRulesFile: validation rules are imported from a file (checked
// against the workflow's newest run first: a wrong one changes nothing)
// and exported as they were kept.
func TestRulesFile(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "rules.json")
	write := func(expr string) {
		body := `{"workflow_demo_legacy": [{"name": "lines add up", "expr": ` + strconv.Quote(expr) + `, "message": "The lines must add up to the total.", "severity": "block", "fields": ["total"]}],
			"workflow_demo_invoices": [{"name": "has a number", "expr": "invoice_number != null", "message": "No invoice number.", "severity": "warn"}]}`
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	write("total.amount == sum(line_items.map(i, i.amout))")
	err := run(ctx, []string{"rules", "import", "--data", s.data, file}, noEnv, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `workflow workflow_demo_legacy: Rule "lines add up": line 1, column 41: amout is not a field`) {
		t.Fatalf("a misspelt rule: %v", err)
	}
	write("total.amount == sum(line_items.map(i, i.amount))")
	if err := run(ctx, []string{"rules", "import", "--data", s.data, file}, noEnv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "workflow workflow_demo_invoices: 1 rule\nworkflow workflow_demo_legacy: 1 rule\n" {
		t.Fatalf("import said %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"rules", "export", "--data", s.data, "--workflow", "workflow_demo_legacy"}, noEnv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got map[string][]review.Rule
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if rs := got["workflow_demo_legacy"]; len(got) != 1 || len(rs) != 1 || rs[0].Expr != "total.amount == sum(line_items.map(i, i.amount))" {
		t.Fatalf("exported %s", out.String())
	}
}

func TestEnvFallbackAndFlagWins(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"REVIEWER_ADDR": "127.0.0.1:9999", "REVIEWER_WEBHOOK_SECRET": "wss_a, wss_b"}[k]
	}
	fs, c := serveFlags(getenv, io.Discard)
	if err := fs.Parse(nil); err != nil || c.addr != "127.0.0.1:9999" || len(c.secrets()) != 2 || c.data != "./data" {
		t.Fatalf("env: %+v %v", c, err)
	}
	fs, c = serveFlags(getenv, io.Discard)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:1234"}); err != nil || c.addr != "127.0.0.1:1234" {
		t.Fatalf("flag: %+v", c)
	}
}

// TestKilledServerLosesNothing sends signed events from 20 senders, kills
// the server with SIGKILL in the middle of the burst, restarts it, and
// checks that every event that was acknowledged is stored and processed
// exactly once. make test sends 2,000 and kills after 500 acknowledged (many
// group commits in, more in flight); make test-long 20,000 and 8,000.
func TestKilledServerLosesNothing(t *testing.T) {
	t.Parallel()
	killMidBurst(t, "")
}

// TestKilledInstanceLosesNothing: the same burst to one of two instances
// on one PostgreSQL database; that instance is killed, and the other, never
// restarted, applies every event the killed one acknowledged, once.
func TestKilledInstanceLosesNothing(t *testing.T) {
	t.Parallel()
	killMidBurst(t, pgtest.URL(t))
}

// reviewerBin is the reviewer binary, built once for the tests that kill
// it.
var reviewerBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func built(t *testing.T) string {
	t.Helper()
	reviewerBin.once.Do(func() {
		if reviewerBin.dir, reviewerBin.err = os.MkdirTemp("", "reviewer-test-bin-"); reviewerBin.err != nil {
			return
		}
		reviewerBin.path = filepath.Join(reviewerBin.dir, "reviewer")
		if out, err := exec.Command("go", "build", "-o", reviewerBin.path, ".").CombinedOutput(); err != nil {
			reviewerBin.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if reviewerBin.err != nil {
		t.Fatalf("build: %v", reviewerBin.err)
	}
	return reviewerBin.path
}

func killMidBurst(t *testing.T, db string) {
	bin := built(t)
	perSender, killAt := scale.Pick(100, 1000), scale.Pick(500, 8000)
	data := t.TempDir()
	const secret = "wss_crash"

	// Started first, the instance killed leads the workers: the other must
	// take over.
	cmd, base := start(t, bin, data, secret, db)
	var other *exec.Cmd
	var otherURL string
	if db != "" {
		other, otherURL = start(t, bin, t.TempDir(), secret, db)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// A generous timeout: a busy machine makes an answer slow, and a
	// sender stops at its first failure.
	client := &http.Client{Timeout: time.Minute}
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perSender; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("evt_%d_%d", g, i)
				payload := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%d_%d","status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"Crash"}}`, g, i)
				if demo.Send(context.Background(), client, base+"/webhooks/extend", secret, demo.Event(id, review.EventRunNeedsReview, json.RawMessage(payload))) != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
	}
	senders := make(chan struct{})
	go func() { wg.Wait(); close(senders) }()
	for n := 0; n < killAt; {
		select {
		case <-senders:
			t.Fatalf("the senders stopped after %d acknowledged events, before the kill", n)
		case <-time.After(20 * time.Millisecond):
		}
		mu.Lock()
		n = len(acked)
		mu.Unlock()
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()

	// Restart (or, on PostgreSQL, the other instance): the worker
	// processes whatever was pending, then shut down cleanly.
	if db == "" {
		cmd, base = start(t, bin, data, secret, db)
	} else {
		cmd, base = other, otherURL
	}
	deadline := time.Now().Add(5 * time.Minute) // a ceiling: 20,000 events under a busy machine
	for {
		resp, err := client.Get(base + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `reviewer_events{state="pending"}`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("events still pending five minutes after the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	store, err := storage.Open(context.Background(), data, storage.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for id := range acked {
		ev, err := store.Event(context.Background(), id)
		if err != nil {
			t.Fatalf("acknowledged event %s lost: %v", id, err)
		}
		if ev.State != "done" || ev.Attempts != 1 {
			t.Fatalf("event %s: state %s after %d attempts, want done once", id, ev.State, ev.Attempts)
		}
	}
	depth, _ := store.QueueDepth(context.Background())
	if depth < int64(len(acked)) {
		t.Fatalf("queue holds %d runs for %d acknowledged events", depth, len(acked))
	}
	t.Logf("%d events acknowledged before the kill, all stored and processed once", len(acked))
}

// start runs the binary on a free port and returns it with its base URL.
func start(t *testing.T, bin, data, secret, db string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--webhook-secret", secret, "--compile-cache", pdfiumtest.Cache(t))
	cmd.Env = append(os.Environ(), "REVIEWER_LOG=json", "REVIEWER_DB="+db)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "reviewer listening on "); ok {
			go io.Copy(io.Discard, stdout)
			return cmd, u
		}
	}
	t.Fatal("server did not say where it listens")
	return nil, ""
}

// TestRotateSessionKeys: the command line rotates the session keys through
// the desk, which keeps the pair before and notes the rotation, by "cli"
// and without the keys, in the admin's log.
func TestRotateSessionKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	for range 2 {
		if err := run(ctx, []string{"rotate-session-keys", "--data", dir}, noEnv, nil, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	s, err := storage.Open(ctx, dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err := s.SessionKeys(ctx)
	if err != nil || len(keys) != 2*review.KeptSessionKeyPairs {
		t.Fatalf("keys after two rotations: %d, %v", len(keys), err)
	}
	log, err := s.AdminLog(ctx, 10)
	if err != nil || len(log) != 2 || log[0].Actor != "cli" || log[0].Action != "session keys rotated" || log[0].Target != "" {
		t.Fatalf("the admin's log: %+v %v", log, err)
	}
}
