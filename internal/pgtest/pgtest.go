// Package pgtest runs a throwaway PostgreSQL server for tests and
// benchmarks, from Debian's package (the Makefile installs it where
// missing): one server per test binary, in a directory of its own, reached
// by its Unix socket only, and one fresh database per test.
//
// The database is a dimension of the storage and application tests: Each
// runs a test on SQLite and on PostgreSQL as two subtests of one binary.
//
// PostgreSQL refuses to run as root, and tests run as root in CI: the
// server then runs as the postgres user, in a directory made for it where
// that user can reach it.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Backend is the environment variable that narrows the storage and
// application tests to one database: "sqlite" or "postgres". Unset, Each
// runs every test on both.
const Backend = "REVIEWER_TEST_DB"

// startCeiling is how long the server may take to accept connections: a
// busy machine slows it, a server that is up ends the wait at once.
const startCeiling = 2 * time.Minute

// maxSocketPath is the longest path of a Unix socket (sun_path holds 108
// bytes with its terminating zero); PostgreSQL's is its directory plus
// "/.s.PGSQL.5432".
const maxSocketPath = 107

// Server is a throwaway PostgreSQL server, reached by its Unix socket.
type Server struct {
	dir, data string
	bin       string              // where PostgreSQL's programs are
	cred      *syscall.Credential // who runs them: the postgres user when root, else nil
	postgres  *exec.Cmd
	exited    chan struct{} // closed when the server process has ended
	n         atomic.Int64
}

var (
	once    sync.Once
	shared  *Server
	startEr error
)

// Main runs the tests and stops the server, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Each runs f as two parallel subtests, "sqlite" and "postgres", each on a
// database of its own (DB), and lets the test run beside the package's
// other parallel tests. -short runs SQLite only; REVIEWER_TEST_DB narrows
// the run to one backend.
func Each(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Parallel()
	each(t, f, true)
}

// EachInTurn runs f on each backend one after the other, and not beside
// other tests: for a test that measures the whole process (its memory), so
// nothing else may run while it does.
func EachInTurn(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	each(t, f, false)
}

// onPostgres holds the names of the subtests Each runs on PostgreSQL.
var onPostgres sync.Map

func each(t *testing.T, f func(t *testing.T), parallel bool) {
	for _, b := range []string{"sqlite", "postgres"} {
		if only := os.Getenv(Backend); (only != "" && only != b) || (b == "postgres" && testing.Short()) {
			continue
		}
		t.Run(b, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			if b == "postgres" {
				onPostgres.Store(t.Name(), true)
			}
			f(t)
		})
	}
}

// Postgres tells whether t runs on PostgreSQL: under Each's "postgres"
// subtest, or anywhere with REVIEWER_TEST_DB=postgres.
func Postgres(t testing.TB) bool {
	if os.Getenv(Backend) == "postgres" {
		return true
	}
	for name := t.Name(); ; {
		if _, ok := onPostgres.Load(name); ok {
			return true
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return false
		}
		name = name[:i]
	}
}

var perTest sync.Map // testing.TB → its database's URL

// DB returns the --db value the storage and application tests use: "" (the
// SQLite default) unless t runs on PostgreSQL, then a fresh database, the
// same one each time within a test (a store reopened finds its data).
func DB(t testing.TB) string {
	if !Postgres(t) {
		return ""
	}
	if u, ok := perTest.Load(t); ok {
		return u.(string)
	}
	u := URL(t)
	perTest.Store(t, u)
	t.Cleanup(func() { perTest.Delete(t) })
	return u
}

// URL returns the URL of a fresh, empty database on the tests' server,
// starting the server the first time. A missing PostgreSQL is an error;
// -short (make check) skips a test that needs one.
func URL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL: make test runs it")
	}
	// Durability is PostgreSQL's to test, not ours: the tests run without
	// fsync.
	once.Do(func() { shared, startEr = Start(false) })
	if startEr != nil {
		t.Fatalf("PostgreSQL for the tests: %v", startEr)
	}
	u, err := shared.NewDB()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// NewDB creates a fresh, empty database and returns its URL.
func (s *Server) NewDB() (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n.Add(1))
	db, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		return "", fmt.Errorf("create a database: %w", err)
	}
	return s.url(name), nil
}

func (s *Server) url(db string) string {
	return "postgres://postgres@/" + db + "?host=" + s.dir + "&sslmode=disable"
}

// Start starts a server in a new directory of its own. durable keeps
// PostgreSQL's fsync (for benchmarks); tests go without. The server runs as
// a child of this process that the kernel stops when the process ends, so a
// test binary that dies (a timeout's panic) leaves no server behind.
func Start(durable bool) (*Server, error) {
	inits, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(inits) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			inits = []string{p}
		}
	}
	if len(inits) == 0 {
		return nil, fmt.Errorf("initdb not found: install Debian's postgresql package (make test does)")
	}
	sort.Slice(inits, func(i, j int) bool { return version(inits[i]) < version(inits[j]) })
	s := &Server{bin: filepath.Dir(inits[len(inits)-1]), exited: make(chan struct{})}
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL cannot run as root, and there is no postgres user: %w", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	dir, err := serverDir(uid, gid)
	if err != nil {
		return nil, err
	}
	s.dir, s.data = dir, filepath.Join(dir, "data")
	if out, err := s.command("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Connections: every store opens a pool, a listener and leaders.
	args := []string{"-D", s.data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=1000"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if err := s.start(args); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// serverDir makes the server's directory where its user (uid, gid) can
// reach it. TMPDIR is tried first, but a private one (mode 0700, as a
// per-user temporary directory often is) cannot be traversed by the
// postgres user, and a long one leaves no room for the socket's name: then
// /tmp or /var/tmp.
func serverDir(uid, gid int) (string, error) {
	var tried []string
	for _, parent := range []string{os.TempDir(), "/tmp", "/var/tmp"} {
		if !reachable(parent, uid, gid) {
			tried = append(tried, parent+" (not reachable by uid "+strconv.Itoa(uid)+")")
			continue
		}
		dir, err := os.MkdirTemp(parent, "reviewer-pg-")
		if err != nil {
			tried = append(tried, parent+" ("+err.Error()+")")
			continue
		}
		if len(dir)+len("/.s.PGSQL.5432") > maxSocketPath {
			os.Remove(dir)
			tried = append(tried, parent+" (too long a path for a socket)")
			continue
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.Remove(dir)
			return "", err
		}
		return dir, nil
	}
	return "", fmt.Errorf("no directory for PostgreSQL: %s", strings.Join(tried, ", "))
}

// reachable tells whether uid (of group gid) may traverse dir and every
// directory above it, by their permission bits.
func reachable(dir string, uid, gid int) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		var x fs.FileMode = 0o001
		switch {
		case uid == 0:
			x = 0
		case int(st.Uid) == uid:
			x = 0o100
		case int(st.Gid) == gid:
			x = 0o010
		}
		if fi.Mode().Perm()&x != x {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// start runs the server and waits until it accepts connections. It starts
// the server from a thread kept for it, because the kernel's parent-death
// signal follows the thread that started the child, not the process.
func (s *Server) start(args []string) error {
	log, err := os.Create(filepath.Join(s.dir, "log"))
	if err != nil {
		return err
	}
	s.postgres = s.command("postgres", args...)
	s.postgres.Stdout, s.postgres.Stderr = log, log
	s.postgres.SysProcAttr.Pdeathsig = syscall.SIGKILL
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		defer close(s.exited)
		defer log.Close()
		if err := s.postgres.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.postgres.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	db, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(startCeiling)
	for {
		err := db.PingContext(context.Background())
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			out, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("postgres ended at start: %s", out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("postgres did not accept connections within %s: %w", startCeiling, err)
		}
	}
}

// Stop stops the server (an immediate shutdown: nothing of it is kept)
// and removes its directory.
func (s *Server) Stop() {
	if s.postgres != nil && s.postgres.Process != nil {
		s.postgres.Process.Signal(syscall.SIGQUIT)
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// command is one of PostgreSQL's programs, run as the postgres user when
// root, in the server's directory (the postgres user may not enter the
// caller's).
func (s *Server) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}
