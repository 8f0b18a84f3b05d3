package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/wakeup"
)

//go:embed migrations
var migrations embed.FS

// Store is reviewer's database and blob store.
type Store struct {
	w, r  *pool
	ckpt  *sql.DB // SQLite: one connection that checkpoints the WAL
	pg    *postgres
	Blobs *Blobs
	now   func() time.Time
	log   *slog.Logger

	closing sync.RWMutex // held for reading while sending on appends
	closed  bool
	appends chan appendReq
	done    chan struct{} // closed when every group commit has ended
	wake    wakeup.Signal // events committed (the ingest worker)
	changed wakeup.Signal // the change feed grew (the live relay)
	outbox  wakeup.Signal // deliveries or Extend calls are due (the outbound worker)

	stopCk, ckDone chan struct{}

	noMigrate bool // Options.NoMigrate

	stopIndex context.CancelFunc // the search index's catching up (indexUnsearched)
	indexed   chan struct{}
}

// Options tune a Store. The zero value is fine.
type Options struct {
	// DB says which database: "sqlite:PATH" (reviewer.db under the data
	// directory when empty) or a postgres:// URL, which any number of
	// instances may share.
	DB       string
	Now      func() time.Time // the clock; time.Now by default
	MaxBatch int              // events per group commit; 256 by default
	// Log receives what the store's own goroutines meet (the listener, the
	// leaders, the search index catching up); discarded when nil.
	Log *slog.Logger
	// NoMigrate opens a database without bringing its schema up to date
	// (the operator runs `reviewer migrate`); one behind is an error.
	NoMigrate bool
	// Blobs keeps the documents in an S3-compatible store, once for every
	// instance, instead of in PostgreSQL; the data directory then holds a
	// cache of them.
	Blobs *s3.Client
}

// Open opens (creating when needed) the database and the blob store, and
// brings the schema up to date. dir holds what stays on this machine: the
// SQLite database by default, and the documents (with PostgreSQL, a local
// copy of those kept in the database).
func Open(ctx context.Context, dir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		now: func() time.Time { return opt.Now().UTC() }, log: opt.Log, noMigrate: opt.NoMigrate,
		appends: make(chan appendReq, 4*opt.MaxBatch),
		done:    make(chan struct{}),
		stopCk:  make(chan struct{}),
		ckDone:  make(chan struct{}),
	}
	var err error
	if IsPostgres(opt.DB) {
		err = s.openPostgres(ctx, opt.DB)
	} else {
		err = s.openSQLite(ctx, sqlitePath(dir, opt.DB))
	}
	if err != nil {
		return nil, err
	}
	var shared *pool
	if s.pg != nil && opt.Blobs == nil {
		shared = s.w
	}
	s.Blobs, err = OpenBlobs(filepath.Join(dir, "blobs"), shared)
	if err != nil {
		s.closeDB()
		return nil, err
	}
	s.Blobs.remote = opt.Blobs
	commits := 1
	if s.pg != nil {
		commits = pgGroupCommits
	}
	var committing sync.WaitGroup
	for range commits {
		committing.Go(func() { s.groupCommit(opt.MaxBatch) })
	}
	go func() { committing.Wait(); close(s.done) }()
	go s.checkpointLoop()
	ictx, stop := context.WithCancel(context.Background())
	s.stopIndex, s.indexed = stop, make(chan struct{})
	go func() { defer close(s.indexed); s.indexUnsearched(ictx) }()
	if err := s.recountQA(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// IsPostgres tells whether a --db value names a PostgreSQL database.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func sqlitePath(dir, db string) string {
	if p, ok := strings.CutPrefix(db, "sqlite:"); ok && p != "" {
		return p
	}
	return filepath.Join(dir, "reviewer.db")
}

// openSQLite opens one writer, eight query-only readers and the
// checkpointer on the database file.
func (s *Store) openSQLite(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, &pool{DB: w}, "migrations/sqlite", s.noMigrate); err != nil {
		w.Close()
		return err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	ckpt, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("open store: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	s.w, s.r, s.ckpt = &pool{DB: w, gate: &writeGate{patience: ackPatience}}, &pool{DB: r}, ckpt
	return nil
}

// checkpointLoop copies committed WAL frames into the database file every
// half second. PASSIVE never waits for, nor blocks, the writer: commits stay
// short, and the WAL stays small whenever readers let it.
func (s *Store) checkpointLoop() {
	defer close(s.ckDone)
	if s.ckpt == nil {
		<-s.stopCk
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stopCk:
			s.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-t.C:
			s.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// dsn sets every pragma in the connection string, so each pooled connection
// gets them: busy_timeout first, so the others can wait for a lock.
// synchronous(FULL) makes a commit durable against power loss, not only
// against a crashed process: an acknowledged webhook must survive both.
// A worker's writes on the writer commit without it (see pool.syncFor).
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Checkpoints run in the background (checkpointLoop), not inside a
		// commit that webhook senders are waiting for.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close stops the group commits and closes the database. Appends already
// queued are committed first.
func (s *Store) Close() error {
	s.closing.Lock()
	if s.closed {
		s.closing.Unlock()
		return nil
	}
	s.closed = true
	close(s.appends)
	s.closing.Unlock()
	<-s.done
	s.stopIndex()
	<-s.indexed
	close(s.stopCk)
	<-s.ckDone
	return s.closeDB()
}

func (s *Store) closeDB() error {
	if s.pg != nil {
		return s.pg.close()
	}
	return errors.Join(s.r.Close(), s.w.Close(), s.ckpt.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// migrate applies the migrations in dir (each backend has its own) that the
// database has not seen, each in its own transaction. With PostgreSQL the
// caller holds a lock, so instances started together migrate one at a time.
// A database migrated by a newer reviewer is refused: this binary does not
// know what its schema means. With only set (--migrate=false), nothing is
// applied, and a schema behind this binary's is an error that says how to
// bring it up to date.
func migrate(ctx context.Context, db *pool, dir string, only bool) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := migrationFiles(dir)
	if err != nil {
		return err
	}
	have, err := schemaVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := atHead(have, names, only); err != nil {
		return err
	}
	for _, m := range names {
		if err := applyMigration(ctx, db, m.version, m.name); err != nil {
			return fmt.Errorf("migrate %s: %w", filepath.Base(m.name), err)
		}
	}
	return nil
}

// atHead says what is wrong with a schema at version have, given this
// binary's migrations: newer than it knows, or (when it may not migrate)
// behind.
func atHead(have int, names []migration, only bool) error {
	head := names[len(names)-1].version
	switch {
	case have > head:
		return review.Errorf(review.EUNAVAILABLE, "the database's schema is at version %d, newer than this reviewer knows (%d): a newer reviewer has upgraded it; run that version, or restore the backup taken before the upgrade", have, head)
	case only && have < head:
		return review.Errorf(review.EUNAVAILABLE, "the database's schema is at version %d and this reviewer needs %d: run `reviewer migrate` first, or start reviewer with --migrate=true", have, head)
	}
	return nil
}

type migration struct {
	version int
	name    string
}

// migrationFiles are a backend's migrations, in order.
func migrationFiles(dir string) ([]migration, error) {
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	var out []migration
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migrate: %s is not named NNNN_name.sql", base)
		}
		out = append(out, migration{version, name})
	}
	return out, nil
}

// schemaVersion is the newest migration the database has seen.
func schemaVersion(ctx context.Context, db *pool) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// Schema returns the database's schema version and the newest this binary
// knows.
func (s *Store) Schema(ctx context.Context) (have, head int, err error) {
	dir := "migrations/sqlite"
	if s.pg != nil {
		dir = "migrations/postgres"
	}
	names, err := migrationFiles(dir)
	if err != nil {
		return 0, 0, err
	}
	have, err = schemaVersion(ctx, s.r)
	return have, names[len(names)-1].version, err
}

// Ready says why this store cannot serve, or nil: the database answers,
// its schema is the one this binary knows, and the blob store takes
// writes.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	have, head, err := s.Schema(ctx)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if have != head {
		return fmt.Errorf("database: the schema is at version %d, this reviewer's is %d", have, head)
	}
	if err := s.Blobs.ready(ctx); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

func applyMigration(ctx context.Context, db *pool, version int, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
		return err
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// write runs fn in a write transaction. The feed entries fn logged are
// appended last: with PostgreSQL under a lock held to the commit, so the
// feed's sequence numbers become visible in order (a reader that has seen
// entry 2 never misses entry 1), while nothing else waits on that lock.
//
// Within Atomically, fn runs in the transaction Atomically holds (begun
// by its first write), and commits with it.
func (s *Store) write(ctx context.Context, fn func(tx *txn) error) error {
	return s.writeAs(ctx, false, fn)
}

// writeAs is write, with first ahead of the other writers waiting.
func (s *Store) writeAs(ctx context.Context, first bool, fn func(tx *txn) error) error {
	if open, ok := ctx.Value(openTxKey{}).(*openTx); ok && open.s == s {
		if open.tx == nil {
			tx, err := s.w.beginAs(ctx, first)
			if err != nil {
				return err
			}
			open.tx = tx
		}
		return fn(open.tx)
	}
	tx, err := s.w.beginAs(ctx, first)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return s.commit(ctx, tx)
}

// commit appends the feed entries tx logged, commits it and then wakes
// whom it asked to.
func (s *Store) commit(ctx context.Context, tx *txn) error {
	if len(tx.changes) > 0 {
		if err := s.appendChanges(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// exec runs one statement as a write of its own (or of the transaction
// Atomically holds).
func (s *Store) exec(ctx context.Context, q string, args ...any) (res sql.Result, err error) {
	err = s.write(ctx, func(tx *txn) error {
		res, err = tx.ExecContext(ctx, q, args...)
		return err
	})
	return res, err
}

// openTxKey carries, in the context Atomically gives its function, the
// transaction it holds.
type openTxKey struct{}

type openTx struct {
	s  *Store
	tx *txn // nil until the first write
}

// Atomically runs fn so that every write of this store it makes with the
// context it is given is one transaction: all are kept, or none (fn
// returned an error). A use-case and its log entry are written so. Every
// write method goes through write, which joins it. The transaction begins
// at the first write, so what fn works out before (a password's hash)
// does not hold SQLite's one writer; from then to the end of fn, it does.
// fn's writes are made one after another, not at once.
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if open, ok := ctx.Value(openTxKey{}).(*openTx); ok && open.s == s {
		return fn(ctx)
	}
	open := &openTx{s: s}
	err := fn(context.WithValue(ctx, openTxKey{}, open))
	if open.tx == nil {
		return err
	}
	defer open.tx.Rollback()
	if err != nil {
		return err
	}
	return s.commit(ctx, open.tx)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Backup writes a consistent copy of the database to path while the server
// runs (SQLite's VACUUM INTO reads one snapshot; writers are not blocked).
// The document blobs are files under blobs/, content-addressed and never
// changed once written: copy them alongside.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.pg != nil {
		return review.Errorf(review.EINVALID, "the database is PostgreSQL: back it up with pg_dump (see the README)")
	}
	if _, err := os.Stat(path); err == nil {
		return review.Errorf(review.ECONFLICT, "%s exists; choose a new file", path)
	}
	// On the checkpointer's connection: the readers are query-only, and the
	// writer must stay free for webhooks.
	if _, err := s.ckpt.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
