package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// pool is a database handle whose queries are written once, in SQLite's
// spelling with ? placeholders, and bound for the backend underneath:
// PostgreSQL gets $1, $2… and integers for booleans (its columns keep
// SQLite's 0/1 flags).
type pool struct {
	*sql.DB
	pg   bool
	gate *writeGate // SQLite's writer: who writes next (nil elsewhere)
	// lazy: the writer commits a worker's writes without an fsync (see
	// syncFor). Changed only by the holder of gate.
	lazy bool
}

// txn is a transaction of a pool. Feed entries written in it are appended
// last, just before the commit (see Store.write).
type txn struct {
	*sql.Tx
	pg      bool
	changes []change
	after   []func() // run once it is committed: wake-ups of workers
	release func()   // hands the writer on (see writeGate)
}

type change struct {
	kind, runID, actor string
}

func (p *pool) isPG() bool { return p.pg }

func (t *txn) isPG() bool { return t.pg }

func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if p.gate != nil {
		if err := p.gate.lock(ctx, false); err != nil {
			return nil, err
		}
		defer p.gate.unlock()
		if err := p.syncFor(ctx, false); err != nil {
			return nil, err
		}
	}
	return p.DB.ExecContext(ctx, bind(p.pg, q), pgArgs(p.pg, args)...)
}

func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(ctx, bind(p.pg, q), pgArgs(p.pg, args)...)
}

func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, bind(p.pg, q), pgArgs(p.pg, args)...)
}

func (p *pool) begin(ctx context.Context) (*txn, error) { return p.beginAs(ctx, false) }

// beginAs begins a transaction; with first, ahead of the other writers
// waiting (the group commit of acknowledgements).
func (p *pool) beginAs(ctx context.Context, first bool) (*txn, error) {
	release := func() {}
	if p.gate != nil {
		if err := p.gate.lock(ctx, first); err != nil {
			return nil, err
		}
		release = p.gate.unlock
		if err := p.syncFor(ctx, first); err != nil {
			release()
			return nil, err
		}
	}
	tx, err := p.DB.BeginTx(ctx, nil)
	if err != nil {
		release()
		return nil, err
	}
	return &txn{Tx: tx, pg: p.pg, release: release}, nil
}

// syncFor sets how the next write on SQLite's writer commits, its holder:
// a worker's write (see Store.Lead) without an fsync, every other write
// with one. A worker's write lost to a power loss is redone from what is
// durable (its events are still pending, its documents due, its
// deliveries sent again, as after a crash between sending and marking),
// and in WAL mode a later write's fsync makes every write before it
// durable too, so no durable write ever depends on one that was lost.
// Each fsync a worker skips is time the writer is not held while
// acknowledgements wait for it (synchronous FULL per write was most of
// a worker's hold on a busy disk).
func (p *pool) syncFor(ctx context.Context, first bool) error {
	lazy := !first && background(ctx)
	if lazy == p.lazy {
		return nil
	}
	level := "FULL"
	if lazy {
		level = "NORMAL"
	}
	if _, err := p.DB.ExecContext(ctx, `PRAGMA synchronous = `+level); err != nil {
		return err
	}
	p.lazy = lazy
	return nil
}

// Commit commits and hands the writer on.
func (t *txn) Commit() error {
	defer t.done()
	return t.Tx.Commit()
}

// Rollback rolls back (if not committed) and hands the writer on.
func (t *txn) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}

func (t *txn) done() {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, bind(t.pg, q), pgArgs(t.pg, args)...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, bind(t.pg, q), pgArgs(t.pg, args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, bind(t.pg, q), pgArgs(t.pg, args)...)
}

// stmt is a prepared statement of a txn.
type stmt struct {
	*sql.Stmt
	pg bool
}

func (t *txn) prepare(ctx context.Context, q string) (*stmt, error) {
	s, err := t.Tx.PrepareContext(ctx, bind(t.pg, q))
	return &stmt{s, t.pg}, err
}

func (s *stmt) exec(ctx context.Context, args ...any) (sql.Result, error) {
	return s.Stmt.ExecContext(ctx, pgArgs(s.pg, args)...)
}

var bound sync.Map // SQLite spelling → PostgreSQL spelling

// bind rewrites ? placeholders as $n for PostgreSQL. Queries are constants
// of this package (with values always passed as arguments), so a ? inside a
// quoted literal is skipped and nothing else needs parsing.
func bind(pg bool, q string) string {
	if !pg || !strings.Contains(q, "?") {
		return q
	}
	if b, ok := bound.Load(q); ok {
		return b.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	bound.Store(q, b.String())
	return b.String()
}

// pgArgs turns booleans into the 0/1 integers both schemas store, and
// makes text storable: PostgreSQL refuses a NUL or invalid UTF-8 in TEXT
// (SQLite keeps them), so those become U+FFFD. A hostile id then finds
// nothing, as on SQLite, instead of failing the request.
func pgArgs(pg bool, args []any) []any {
	if !pg {
		return args
	}
	var out []any
	set := func(i int, v any) {
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	for i, a := range args {
		switch v := a.(type) {
		case bool:
			set(i, b2i(v))
		case string:
			if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				set(i, strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", "\uFFFD"), "\uFFFD"))
			}
		}
	}
	if out == nil {
		return args
	}
	return out
}

func b2i(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
