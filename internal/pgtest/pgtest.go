// Package pgtest runs a throwaway PostgreSQL server for tests, from Debian's
// package (the Makefile installs it where missing): one server per test
// binary, in a temporary directory, reached by its Unix socket only, and
// one fresh database per test.
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

var (
	once    sync.Once
	server  string // the socket directory; "" until started
	dataDir string
	binDir  string
	asUser  string
	startEr error
	n       atomic.Int64
)

// Main runs the tests and stops the server, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if server != "" {
		run("pg_ctl", "-D", dataDir, "-m", "immediate", "-w", "stop")
		os.RemoveAll(server)
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

// URL returns the URL of a fresh, empty database on the test server,
// starting the server the first time. A missing PostgreSQL is an error.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { startEr = start() })
	if startEr != nil {
		t.Fatalf("PostgreSQL for the tests: %v", startEr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), n.Add(1))
	db, err := sql.Open("pgx", url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		t.Fatalf("create a test database: %v", err)
	}
	return url(name)
}

func url(db string) string {
	return "postgres://postgres@/" + db + "?host=" + server + "&sslmode=disable"
}

func start() error {
	inits, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(inits) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			inits = []string{p}
		}
	}
	if len(inits) == 0 {
		return fmt.Errorf("initdb not found: install Debian's postgresql package (make test does)")
	}
	sort.Slice(inits, func(i, j int) bool { return version(inits[i]) < version(inits[j]) })
	binDir = filepath.Dir(inits[len(inits)-1])
	dir, err := os.MkdirTemp("", "reviewer-pg-")
	if err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		asUser = "postgres"
		u, err := user.Lookup(asUser)
		if err != nil {
			return fmt.Errorf("PostgreSQL cannot run as root, and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	dataDir = filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Durability is PostgreSQL's to test, not ours: the tests run without
	// fsync. Connections: every store opens a pool, a listener and leaders.
	opts := "-k " + dir + " -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000"
	if out, err := run("pg_ctl", "-D", dataDir, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	server = dir
	return nil
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// run runs one of PostgreSQL's programs, as the postgres user when root.
func run(prog string, args ...string) ([]byte, error) {
	name := filepath.Join(binDir, prog)
	if asUser != "" {
		args = append([]string{"-u", asUser, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = os.TempDir()
	return cmd.CombinedOutput()
}
