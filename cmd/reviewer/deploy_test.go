package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/internal/s3test"
	"github.com/reviewer-app/reviewer/s3"
)

// envOf is a getenv reading a map, as the environment of a container.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startFromEnv starts `reviewer` with no argument at all, configured only
// by its environment, as an image's entrypoint runs it.
func startFromEnv(t *testing.T, env map[string]string) *server {
	t.Helper()
	return launch(t, nil, envOf(env), env["REVIEWER_DATA"])
}

// TestEnvironmentOnlyConfiguration: a server given no flag takes its
// address, data directory and webhook secret from the environment, the
// secret from a file as container secrets are mounted (its trailing
// newline is not part of it): a webhook signed with the secret is taken.
func TestEnvironmentOnlyConfiguration(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secret, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	s := startFromEnv(t, map[string]string{
		"REVIEWER_ADDR":                "127.0.0.1:0",
		"REVIEWER_DATA":                data,
		"REVIEWER_WEBHOOK_SECRET_FILE": secret,
		"REVIEWER_COMPILE_CACHE":       pdfiumtest.Cache(t),
	})
	if _, err := os.Stat(filepath.Join(data, "reviewer.db")); err != nil {
		t.Fatalf("REVIEWER_DATA was not used: %v", err)
	}
	s.send("evt_env_1", "workflow_run.needs_review", map[string]any{"id": "workflow_run_env_1", "object": "workflow_run", "status": "NEEDS_REVIEW"})
}

// TestSecretFiles: a secret given both ways, in a file that cannot be
// read, or in one larger than a secret can be, stops the start with a sentence naming the variables; a variable
// that does not parse is an error, not a silent default.
func TestSecretFiles(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("sk_from_file\r\n"), 0o600)
	// A file mounted by mistake (a log, a disk image) is refused unread,
	// not loaded whole into memory as a secret; sparse, it costs no disk.
	huge := filepath.Join(t.TempDir(), "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil || os.Truncate(huge, maxSecretFile+1) != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"REVIEWER_EXTEND_API_KEY": "sk_a", "REVIEWER_EXTEND_API_KEY_FILE": file}, "both REVIEWER_EXTEND_API_KEY and REVIEWER_EXTEND_API_KEY_FILE are set"},
		{map[string]string{"REVIEWER_WEBHOOK_SECRET_FILE": filepath.Join(t.TempDir(), "missing")}, "REVIEWER_WEBHOOK_SECRET_FILE: open"},
		{map[string]string{"REVIEWER_SLA": "four hours"}, `REVIEWER_SLA: invalid value "four hours" for --sla`},
		{map[string]string{"REVIEWER_DB": "sqlite:", "REVIEWER_DB_FILE": file}, "both REVIEWER_DB and REVIEWER_DB_FILE"},
		{map[string]string{"REVIEWER_WEBHOOK_SECRET_FILE": huge}, "REVIEWER_WEBHOOK_SECRET_FILE: " + huge + " is larger than 64 KiB"},
		{map[string]string{"REVIEWER_WEBHOOK_SECRET_FILE": t.TempDir()}, "is a directory"},
	} {
		err := run(context.Background(), []string{"config"}, envOf(c.env), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
	}
	fs, c := serveFlags(envOf(map[string]string{"REVIEWER_EXTEND_API_KEY_FILE": file}), io.Discard)
	if err := fs.Parse(nil); err != nil || c.extendKey != "sk_from_file" {
		t.Fatalf("the key read from its file: %q %v", c.extendKey, err)
	}
	// The other commands read --data and --db the same way, and only those.
	data := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"token", "create", "--name", "ci"}, envOf(map[string]string{"REVIEWER_DATA": data, "REVIEWER_NAME": "not me"}), nil, &out, io.Discard)
	if err != nil || !strings.HasPrefix(out.String(), "rvw_") {
		t.Fatalf("token create from the environment: %q %v", out.String(), err)
	}
	if _, err := os.Stat(filepath.Join(data, "reviewer.db")); err != nil {
		t.Fatalf("REVIEWER_DATA was not used by token create: %v", err)
	}
}

// TestConfigCommand: `reviewer config` prints every setting with where it
// came from, and no secret.
func TestConfigCommand(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte("wss_very_secret\n"), 0o600)
	var out bytes.Buffer
	env := map[string]string{
		"REVIEWER_WEBHOOK_SECRET_FILE": file,
		"REVIEWER_EXTEND_API_KEY":      "sk_live_also_secret",
		"REVIEWER_DB":                  "postgres://reviewer:pg_password@db:5432/reviewer?sslmode=disable",
		"REVIEWER_SLA":                 "2h",
	}
	if err := run(context.Background(), []string{"config", "--addr", "0.0.0.0:8080"}, envOf(env), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, secret := range []string{"wss_very_secret", "sk_live_also_secret", "pg_password"} {
		if strings.Contains(got, secret) {
			t.Errorf("config shows the secret %q:\n%s", secret, got)
		}
	}
	for _, line := range [][]string{
		{"--addr", "0.0.0.0:8080", "flag --addr"},
		{"--sla", "2h0m0s", "REVIEWER_SLA"},
		{"--webhook-secret", "(set, redacted)", "REVIEWER_WEBHOOK_SECRET_FILE=" + file},
		{"--extend-api-key", "(set, redacted)", "REVIEWER_EXTEND_API_KEY"},
		{"--db", "postgres://reviewer:xxxxx@db:5432/reviewer?sslmode=disable", "REVIEWER_DB"},
		{"--data", "./data", "default"},
	} {
		if !hasLine(got, line) {
			t.Errorf("config lacks %q:\n%s", line, got)
		}
	}
}

func hasLine(out string, fields []string) bool {
	for l := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == fields[0] && strings.Join(f[1:], " ") == strings.Join(fields[1:], " ") {
			return true
		}
	}
	return false
}

// TestREADMEListsEveryFlag: the README's configuration table has a row for
// every flag of serve, with its variable (and _FILE for a secret).
func TestREADMEListsEveryFlag(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := serveFlags(noEnv, io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		row := "| `--" + f.Name + "` | `" + envName(f.Name) + "`"
		if fs.secret[f.Name] {
			row += " or `" + envName(f.Name) + "_FILE`"
		}
		if !bytes.Contains(readme, []byte(row+" |")) {
			t.Errorf("the README's table has no row %q", row)
		}
	})
}

// TestMakeRunHonoursREVIEWER_ADDR: `make run` listens where reviewer would,
// REVIEWER_ADDR from the environment or ADDR given to make.
func TestMakeRunHonoursREVIEWER_ADDR(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env, args []string
		want      string
	}{
		{[]string{"REVIEWER_ADDR=0.0.0.0:9090", "REVIEWER_DATA=/srv/reviewer"}, nil, "--addr 0.0.0.0:9090 --data /srv/reviewer"},
		{[]string{"REVIEWER_ADDR=0.0.0.0:9090"}, []string{"ADDR=127.0.0.1:7070"}, "--addr 127.0.0.1:7070 --data ./data"},
		{nil, nil, "--addr 127.0.0.1:8080 --data ./data"},
	} {
		cmd := exec.Command("make", append([]string{"-s", "-n", "-C", "../..", "run"}, c.args...)...)
		cmd.Env = append(withoutReviewerEnv(os.Environ()), c.env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("make -n run: %v", err)
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%v %v: make run runs\n%s\nwant %q", c.env, c.args, out, c.want)
		}
	}
}

func withoutReviewerEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "REVIEWER_") && !strings.HasPrefix(kv, "ADDR=") && !strings.HasPrefix(kv, "DATA=") {
			out = append(out, kv)
		}
	}
	return out
}

// TestReadinessWhenPostgreSQLStops: an instance whose PostgreSQL stops
// stays live (restarting it would not help) and stops being ready, saying
// why; `reviewer healthcheck` exits accordingly.
func TestReadinessWhenPostgreSQLStops(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs PostgreSQL: make test runs it")
	}
	pg, err := pgtest.Start(false)
	if err != nil {
		t.Fatalf("PostgreSQL for the test: %v", err)
	}
	t.Cleanup(pg.Stop)
	db, err := pg.NewDB()
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--db", db)
	addr := strings.TrimPrefix(s.base, "http://")
	check := func(ready bool) error {
		args := []string{"healthcheck"}
		if ready {
			args = append(args, "--ready")
		}
		return run(context.Background(), args, envOf(map[string]string{"REVIEWER_ADDR": addr}), nil, io.Discard, io.Discard)
	}
	if err := check(false); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	if err := check(true); err != nil {
		t.Fatalf("healthcheck --ready: %v", err)
	}
	pg.Stop()
	var body string
	until(t, "readyz says not ready", func() bool {
		var code int
		code, body = probe(t, s.base+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.HasPrefix(body, "not ready: database: ") {
		t.Fatalf("readyz without PostgreSQL says %q", body)
	}
	if code, body := probe(t, s.base+"/livez"); code != 200 {
		t.Fatalf("livez without PostgreSQL: %d %q", code, body)
	}
	if err := check(true); err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: not ready: database:") {
		t.Fatalf("healthcheck --ready without PostgreSQL: %v", err)
	}
	if err := check(false); err != nil {
		t.Fatalf("healthcheck without PostgreSQL: %v", err)
	}
}

func probe(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// until waits for cond, up to the package's ceiling.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(ceiling); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, ceiling)
		}
	}
}

// TestMigrateCommand: a server told not to migrate refuses a fresh
// database with the command to run; after `reviewer migrate` it starts.
func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	env := envOf(map[string]string{"REVIEWER_DATA": data, "REVIEWER_MIGRATE": "false", "REVIEWER_ADDR": "127.0.0.1:0", "REVIEWER_COMPILE_CACHE": pdfiumtest.Cache(t)})
	err := run(context.Background(), nil, env, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "run `reviewer migrate` first") {
		t.Fatalf("serve --migrate=false on a fresh database: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "the database's schema is at version ") {
		t.Fatalf("reviewer migrate: %q %v", out.String(), err)
	}
	startFromEnv(t, map[string]string{"REVIEWER_DATA": data, "REVIEWER_MIGRATE": "false", "REVIEWER_ADDR": "127.0.0.1:0", "REVIEWER_COMPILE_CACHE": pdfiumtest.Cache(t)})
}

// TestImagesAgree: the image `make image` assembles from the host's binary
// (deploy/Containerfile.scratch) has what the Dockerfile's default image
// has, file for file and setting for setting; the first lacked the CA
// certificates, so every call to Extend's API over https failed in it.
func TestImagesAgree(t *testing.T) {
	t.Parallel()
	instructions := func(file, from string) []string {
		b, err := os.ReadFile(filepath.Join("../..", file))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.Index(s, from)
		if i < 0 {
			t.Fatalf("%s has no %q", file, from)
		}
		var out []string
		for _, line := range strings.Split(s[i:], "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 0:
			case f[0] == "COPY":
				out = append(out, "COPY "+f[len(f)-1]) // where, not from where
			case f[0] == "ENV", f[0] == "USER", f[0] == "VOLUME", f[0] == "EXPOSE", f[0] == "HEALTHCHECK", f[0] == "ENTRYPOINT", f[0] == "CMD":
				out = append(out, line)
			}
		}
		slices.Sort(out)
		return out
	}
	docker := instructions("Dockerfile", "FROM scratch AS reviewer")
	local := instructions("deploy/Containerfile.scratch", "FROM scratch")
	if !slices.Equal(docker, local) {
		t.Errorf("the Dockerfile's image:\n%s\nmake image's:\n%s", strings.Join(docker, "\n"), strings.Join(local, "\n"))
	}
}

// TestComposeObjectStoreStarts: the S3-compatible store of
// compose.postgres.yml, its directories made and its command run as the
// file says (with the same versitygw), starts and serves the bucket the
// reviewers use. versitygw refuses a sidecar directory inside its root,
// which the file had, so the store and with it both reviewers never
// started.
func TestComposeObjectStoreStarts(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../compose.postgres.yml")
	if err != nil {
		t.Fatal(err)
	}
	compose := string(b)
	root := t.TempDir()
	local := func(s string) string { return strings.ReplaceAll(s, "/s3", root) } // the volume's mount point
	dirs := regexp.MustCompile(`entrypoint: \["mkdir", "-p", (.*)\]`).FindStringSubmatch(compose)
	command := regexp.MustCompile(`exec versitygw ([^"]*)"`).FindStringSubmatch(compose)
	if dirs == nil || command == nil {
		t.Fatal("compose.postgres.yml has no s3-init mkdir or versitygw command")
	}
	for _, d := range strings.Split(dirs[1], ",") {
		if err := os.MkdirAll(local(strings.Trim(strings.TrimSpace(d), `"`)), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := strings.Fields(local(strings.Replace(command[1], "--port :7070", "--port "+addr, 1)))
	cmd := exec.Command(s3test.Binary(t), args...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=reviewer", "ROOT_SECRET_ACCESS_KEY=compose-secret")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(ceiling); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("compose.postgres.yml's versitygw %s ended:\n%s", strings.Join(args, " "), log.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer within %v", ceiling)
		}
	}
	blobs := regexp.MustCompile(`REVIEWER_BLOBS: (\S+)`).FindStringSubmatch(compose)
	env := map[string]string{"AWS_ENDPOINT_URL": "http://" + addr, "AWS_ACCESS_KEY_ID": "reviewer", "AWS_SECRET_ACCESS_KEY": "compose-secret"}
	c, err := s3.New(blobs[1], func(k string) (string, error) { return env[k], nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("the reviewers' bucket: %v", err)
	}
}

// TestConfigRefusesWhatServeRefuses: `reviewer config` is the operator's
// check before a start, so a value serve would refuse (a network list, a
// blob store without credentials, a log format) fails it too, where it
// printed the table and exited 0.
func TestConfigRefusesWhatServeRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"REVIEWER_METRICS": "the office"}, "--metrics"},
		{map[string]string{"REVIEWER_TRUSTED_PROXIES": "caddy"}, "--trusted-proxies"},
		{map[string]string{"REVIEWER_BLOBS": "s3://reviewer/documents"}, "needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{map[string]string{"REVIEWER_LOG": "xml"}, `--log: "xml" is neither text nor json`},
	} {
		err := run(context.Background(), []string{"config"}, envOf(c.env), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
	}
}
