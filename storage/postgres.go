package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Advisory lock keys, one per thing that must happen one at a time across
// every instance on a PostgreSQL database.
const (
	lockFeed         int64 = 0x7265766965770001 // appending to the change feed
	lockMigrate      int64 = 0x7265766965770002 // bringing the schema up to date
	lockFirstAdmin   int64 = 0x7265766965770003 // making the first account
	lockDestinations int64 = 0x7265766965770004 // adding a destination (exclusive), writing deliveries to them (shared)
	lockLead         int64 = 0x7265766965770100 // + a worker's number: its leader
)

// postgres is what a Store on PostgreSQL has beyond its pool: the URL, for
// connections of their own, and the listener that turns other instances'
// commits into this one's wake-ups.
type postgres struct {
	url    string
	db     *sql.DB
	ctx    context.Context // ends at close
	cancel context.CancelFunc
	done   chan struct{}

	stats            sync.Mutex // guards what follows: wroteRuns
	written, waiting int        // runs written since the last ANALYZE, and waiting at it
	analyzing        bool
	analyzed         sync.WaitGroup // the ANALYZE under way
}

// openPostgres opens a pool on the database at url, migrates it (one
// instance at a time) and starts listening for other instances' commits.
func (s *Store) openPostgres(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(24)
	db.SetMaxIdleConns(24)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := migratePostgres(ctx, db, s.noMigrate); err != nil {
		db.Close()
		return err
	}
	p := &pool{DB: db, pg: true}
	s.w, s.r = p, p
	lctx, cancel := context.WithCancel(context.Background())
	s.pg = &postgres{url: url, db: db, ctx: lctx, cancel: cancel, done: make(chan struct{})}
	go s.listen(lctx)
	return nil
}

// migratePostgres migrates under a session lock: an instance started while
// another migrates waits for it, then finds nothing left to do.
func migratePostgres(ctx context.Context, db *sql.DB, only bool) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockMigrate); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockMigrate)
	return migrate(ctx, &pool{DB: db, pg: true}, "migrations/postgres", only)
}

func (p *postgres) close() error {
	p.stats.Lock()
	p.cancel() // under the lock: no ANALYZE starts after
	p.stats.Unlock()
	<-p.done
	p.analyzed.Wait()
	return p.db.Close()
}

// listen keeps a connection LISTENing on the channel every commit of
// interest notifies ("events", "changes", "outbox"), and wakes this
// instance's waiters. After a lost connection it wakes them all: each
// catches up from what it has seen (the feed by sequence, the workers by
// state), so nothing committed meanwhile is missed.
func (s *Store) listen(ctx context.Context) {
	defer close(s.pg.done)
	for backoff := 50 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, 5*time.Second) {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("listening for other instances' changes", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.pg.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN reviewer`); err != nil {
		return err
	}
	s.wakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Payload {
		case "events":
			s.wake.Notify()
		case "changes":
			s.changed.Notify()
		case "outbox":
			s.outbox.Notify()
		}
	}
}

func (s *Store) wakeAll() {
	s.wake.Notify()
	s.changed.Notify()
	s.outbox.Notify()
}

// Lead runs work while this instance leads it, and returns when ctx ends.
// With SQLite there is one instance, which always leads. With PostgreSQL
// the leader of each work (numbered by the caller) holds an advisory lock
// on a connection of its own; the others wait, and one takes over within
// a second of the leader's connection ending (a stopped or killed process
// included), its work's context cancelled then. Work that must keep an
// order (events in the order they came, a run's deliveries in the order of
// its decisions) thus has one worker at a time across instances.
func (s *Store) Lead(ctx context.Context, work int64, run func(context.Context)) {
	if s.pg == nil {
		run(context.WithValue(ctx, backgroundKey{}, true)) // its writes yield to acknowledgements
		return
	}
	for ctx.Err() == nil {
		if err := s.leadOnce(ctx, lockLead+work, run); err != nil && ctx.Err() == nil {
			s.log.Warn("leading a worker", "work", work, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) leadOnce(ctx context.Context, key int64, run func(context.Context)) error {
	conn, err := pgx.Connect(ctx, s.pg.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return err
	}
	if !got {
		return nil
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() { defer close(done); run(wctx) }()
	// The lock lasts as long as the connection: check it is alive, and
	// stop the work as soon as it is not.
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-t.C:
			if err := conn.Ping(wctx); err != nil {
				stop()
				<-done
				return err
			}
		}
	}
}

// replanFloor is the fewest runs written by events that have an instance
// gather PostgreSQL's statistics of runs again (ANALYZE, beside), and only
// once they are also as many as were waiting at the last gathering: a
// queue that has at least doubled. The queue's page is read from its index
// (101 rows) only while the planner knows how many runs wait; with the
// statistics from before a burst (none yet, or a table of decided runs and
// few waiting) it reads every waiting run and sorts them, 25 ms a page at
// 20,000 waiting. Autovacuum gathers them only once a tenth of the whole
// table changed, at most once a minute. Each gathering reads a sample of
// 30,000 rows whatever the table's size, so a growing queue costs a few.
// The word index's statistics are gathered with them: a search asks
// whether its words are common (commonWords), which PostgreSQL answers in
// a thousand rows only when it knows the word to be common.
const replanFloor = 1000

// wroteRuns counts n runs written by events, and gathers the statistics of
// runs and of their words beside when they are due (replanFloor).
func (s *Store) wroteRuns(n int) {
	p := s.pg
	if p == nil || n == 0 {
		return
	}
	p.stats.Lock()
	defer p.stats.Unlock()
	p.written += n
	if p.analyzing || p.written < max(replanFloor, p.waiting) || p.ctx.Err() != nil {
		return
	}
	p.analyzing, p.written = true, 0
	p.analyzed.Add(1)
	go func() {
		defer p.analyzed.Done()
		var waiting int
		_, err := p.db.ExecContext(p.ctx, `ANALYZE runs, run_text`)
		if err == nil {
			err = p.db.QueryRowContext(p.ctx, `SELECT n FROM queue_depth`).Scan(&waiting)
		}
		if err != nil && p.ctx.Err() == nil {
			s.log.Warn("gathering the statistics of runs", "err", err)
		}
		p.stats.Lock()
		defer p.stats.Unlock()
		p.analyzing = false
		if err == nil {
			p.waiting = waiting
		}
	}()
}
