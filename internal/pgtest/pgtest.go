// Package pgtest runs a throwaway PostgreSQL server for tests and
// benchmarks, from Debian's package (the Makefile installs it where
// missing): one server per test binary, in a temporary directory, reached
// by its Unix socket only, and one fresh database per test.
//
// PostgreSQL refuses to run as root, and tests run as root in CI: the
// server then runs as the postgres user, in a directory made for it.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Backend is the environment variable that runs the storage and
// application tests on PostgreSQL ("postgres") instead of SQLite.
const Backend = "REVIEWER_TEST_DB"

// Server is a throwaway PostgreSQL server, reached by its Unix socket.
type Server struct {
	dir, data string
	bin, user string // where PostgreSQL's programs are; who runs them
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

// Postgres tells whether the storage and application tests run on
// PostgreSQL.
func Postgres() bool { return os.Getenv(Backend) == "postgres" }

var perTest sync.Map // testing.TB → its database's URL

// DB returns the --db value the storage and application tests use: "" (the
// SQLite default) unless REVIEWER_TEST_DB=postgres, then a fresh database,
// the same one each time within a test (a store reopened finds its data).
func DB(t testing.TB) string {
	if !Postgres() {
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
// starting the server the first time. A missing PostgreSQL is an error.
func URL(t testing.TB) string {
	t.Helper()
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

// Start starts a server in a new temporary directory. durable keeps
// PostgreSQL's fsync (for benchmarks); tests go without.
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
	s := &Server{bin: filepath.Dir(inits[len(inits)-1])}
	dir, err := os.MkdirTemp("", "reviewer-pg-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		s.user = "postgres"
		u, err := user.Lookup(s.user)
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL cannot run as root, and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	s.dir, s.data = dir, filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Connections: every store opens a pool, a listener and leaders.
	opts := "-k " + dir + " -c listen_addresses='' -c max_connections=1000"
	if !durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := s.run("pg_ctl", "-D", s.data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return s, nil
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() {
	s.run("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// run runs one of PostgreSQL's programs, as the postgres user when root.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	name := filepath.Join(s.bin, prog)
	if s.user != "" {
		args = append([]string{"-u", s.user, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = os.TempDir()
	return cmd.CombinedOutput()
}
