// Package s3test runs a real S3-compatible server for tests: versitygw
// with its POSIX backend, built from its Go module (pinned by the module
// in ./versitygw, kept apart so that reviewer's own go.mod does not carry
// its dependencies), on a free loopback port, in a directory of its own.
package s3test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startCeiling is how long building and starting the server may take: the
// first build on a busy machine takes minutes, a cached one seconds.
const startCeiling = 10 * time.Minute

// Server is one running versitygw with one bucket.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	Bucket   string
	Access   string
	Secret   string
	Dir      string // the POSIX backend's root: each bucket a directory
}

// Env is the environment that points reviewer at the server, as an
// operator sets it.
func (s *Server) Env() map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL": s.Endpoint, "AWS_ACCESS_KEY_ID": s.Access, "AWS_SECRET_ACCESS_KEY": s.Secret, "AWS_REGION": "us-east-1"}
}

// Getenv reads Env.
func (s *Server) Getenv(key string) (string, error) { return s.Env()[key], nil }

var built struct {
	once sync.Once
	path string
	err  error
}

// binary builds versitygw once per test binary, into a file named by the
// pinned module's hash, so that test binaries share it.
func binary() (string, error) {
	built.once.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		mod := filepath.Join(filepath.Dir(self), "versitygw")
		sum, err := os.ReadFile(filepath.Join(mod, "go.sum"))
		if err != nil {
			built.err = err
			return
		}
		h := sha256.Sum256(sum)
		built.path = filepath.Join(os.TempDir(), "reviewer-versitygw-"+hex.EncodeToString(h[:6]))
		built.err = buildOnce(built.path, func(tmp string) error {
			cmd := exec.Command("go", "build", "-o", tmp, "github.com/versity/versitygw/cmd/versitygw")
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("build versitygw: %v\n%s", err, out)
			}
			return nil
		}, nil)
	})
	return built.path, built.err
}

// buildOnce makes path with build (given a temporary name beside it, then
// renamed, so nobody runs a half-written file) unless it exists. Test
// binaries of several packages start at once under make test; the first
// builds and the others wait for it (waiting, when not nil, is told they
// do), rather than each building versitygw, minutes of both cores.
func buildOnce(path string, build func(tmp string) error, waiting func()) error {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close() // and with it the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if waiting != nil {
			waiting()
		}
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			return fmt.Errorf("lock %s: %w", lock.Name(), err)
		}
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".building"
	if err := build(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// Binary is the path of versitygw, built the first time it is asked for
// (as Start does), for a test that starts it its own way.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs versitygw: make test runs it")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Start starts a server with one empty bucket; it stops with the test.
// -short (make check) skips a test that needs one, as it does one that
// needs PostgreSQL; make test runs it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{Bucket: "reviewer-test", Access: "reviewer-access", Secret: "reviewer-secret-key", Dir: filepath.Join(dir, "root")}
	if err := os.MkdirAll(filepath.Join(s.Dir, s.Bucket), 0o750); err != nil {
		t.Fatal(err)
	}
	sidecar := filepath.Join(dir, "meta")
	if err := os.MkdirAll(sidecar, 0o750); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	s.Endpoint = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--access", s.Access, "--secret", s.Secret, "--port", addr, "--quiet", "posix", "--sidecar", sidecar, s.Dir)
	log, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited; log.Close() })
	for deadline := time.Now().Add(startCeiling); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("versitygw ended at start:\n%s", out)
		default:
		}
		if resp, err := http.Get(s.Endpoint); err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer on %s within %v", addr, startCeiling)
		}
	}
}

// freePort asks the kernel for a loopback port that is free now. Another
// process may take it before versitygw binds it; then versitygw ends, and
// Start says so.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}
