// Package instance is the one wiring of reviewer: a running reviewer is
// its store, PDFium, the Extend client, the ingest and outbound workers, the
// live relay and the HTTP server, started and stopped together by Run.
// `reviewer serve`, the tests that need a server and `make bench` all build
// it here, so what they measure and check is what production runs.
package instance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/ingest"
	"github.com/reviewer-app/reviewer/outbound"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/storage"
	"github.com/reviewer-app/reviewer/web"
)

// Config is every setting of a running reviewer.
type Config struct {
	Addr               string // listen address; "127.0.0.1:0" picks a free port
	Data               string // what stays on this machine: the SQLite database, documents, page cache
	DB                 string // "sqlite:PATH" (reviewer.db under Data when empty) or a postgres:// URL
	ExtendURL          string
	ExtendKey          string
	ExtendAllowPrivate bool
	Web                web.Config    // the HTTP side; BaseURL from the listener when empty
	UndoWindow         time.Duration // how long a decision may be taken back; review.UndoWindow when zero
	DecodeMemory       int64         // bytes all decoders may hold at once; pages.DefaultDecodeMemory when zero
	Log                *slog.Logger  // discarded when nil
	Backup             Backup        // scheduled backups; none when Backup.Dir is empty
	Blobs              *s3.Client    // where documents are kept for every instance (--blobs); nil: Data, or PostgreSQL
	NoMigrate          bool          // leave the schema as it is (`reviewer migrate` brings it up to date); one behind is an error

	// For tests: the clock, a low bcrypt cost, where PDFium's compiled
	// code is kept (shared between tests, so it is compiled once), and a
	// stand-in for package pages in tests that draw no page (no PDFium is
	// started then; Instance.Renderer is nil).
	Now              func() time.Time
	FastPasswordHash bool
	CompileCache     string
	Documents        Documents
}

// Backup is when and where a SQLite installation backs itself up
// (storage.Store.BackupTo).
type Backup struct {
	Dir   string        // where backup directories are made
	Every time.Duration // how often; the first one an interval after start
	Keep  int           // how many are kept (0: all)
}

// Instance is one running reviewer.
type Instance struct {
	URL      string // the base URL browsers use
	Store    *storage.Store
	Server   *web.Server
	Ingest   *ingest.Worker
	Outbound *outbound.Worker
	Extend   *extend.Client
	Renderer *pages.Renderer // nil when Config.Documents stands in for it
	Desk     *desk.Desk

	log    *slog.Logger
	backup Backup
	ln     net.Listener
	http   *http.Server
}

// New opens everything a reviewer needs and listens, but starts no work:
// Run does.
func New(ctx context.Context, c Config) (*Instance, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.ExtendURL == "" {
		c.ExtendURL = "https://api.extend.ai"
	}
	if strings.HasPrefix(c.ExtendKey, review.TokenPrefix) {
		return nil, fmt.Errorf("the Extend API key is reviewer's own API token (%s…), which Extend does not know: give Extend's key (%s…)", review.TokenPrefix, review.ExtendKeyPrefix)
	}
	in := &Instance{log: c.Log, backup: c.Backup}
	if c.Backup.Dir != "" && c.Backup.Every <= 0 {
		return nil, fmt.Errorf("backups to %s need an interval", c.Backup.Dir)
	}
	if c.Backup.Dir != "" && storage.IsPostgres(c.DB) {
		return nil, fmt.Errorf("scheduled backups are of SQLite installations: back PostgreSQL up with pg_dump (see the README)")
	}
	var err error
	in.Store, err = storage.Open(ctx, c.Data, storage.Options{DB: c.DB, Log: c.Log, Now: c.Now, NoMigrate: c.NoMigrate, Blobs: c.Blobs})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Instance, error) {
		in.Close()
		return nil, err
	}
	docs := c.Documents
	if docs == nil {
		in.Renderer, err = pages.Open(ctx, c.Data, pages.Options{CompileCache: c.CompileCache, DecodeMemory: c.DecodeMemory})
		if err != nil {
			return fail(err)
		}
		if err := pages.Sandbox(); err != nil {
			c.Log.Warn("no network sandbox: LibreOffice and Tesseract run with this server's network; Word documents still lose their outside references before LibreOffice opens them", "err", err)
		}
		docs = renderer{Renderer: in.Renderer}
	}
	in.ln, err = net.Listen("tcp", c.Addr)
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	in.URL = strings.TrimRight(c.Web.BaseURL, "/")
	if in.URL == "" {
		in.URL = "http://" + BrowserAddr(in.ln.Addr().String())
	}
	in.Extend = extend.New(c.ExtendURL, c.ExtendKey, c.ExtendAllowPrivate)
	in.Desk = desk.New(in.Store, docs, rules.New(c.Now), c.Now)
	in.Desk.Passwords = passwords.New(c.FastPasswordHash)
	if c.UndoWindow > 0 {
		in.Desk.UndoWindow = c.UndoWindow
	}
	in.Ingest = ingest.NewWorker(in.Store, in.Desk, in.Extend, c.Log)
	in.Outbound = outbound.NewWorker(in.Store, in.Extend, c.Log)
	if c.Now != nil {
		in.Ingest.Now, in.Outbound.Now = c.Now, c.Now
	}
	c.Web.BaseURL, c.Web.APIKeySet = in.URL, c.ExtendKey != ""
	in.Server, err = web.NewServer(ctx, c.Web, web.Deps{Store: in.Store, Worker: in.Ingest, Pages: docs, Contents: docs, Desk: in.Desk, Log: c.Log, Now: c.Now})
	if err != nil {
		return fail(err)
	}
	in.http = &http.Server{
		Handler:           in.Server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(c.Log.Handler(), slog.LevelWarn),
	}
	return in, nil
}

// Run serves and works until ctx ends: the HTTP server, the ingest worker,
// the alert watcher (desk.WatchAlerts),
// the outbound worker and the live relay. At the end it finishes in-flight
// requests first (every acknowledged webhook is committed by then), then
// stops the workers (what they had not done stays pending) and closes
// everything.
func (in *Instance) Run(ctx context.Context) error {
	defer in.Close()
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	g, gctx := errgroup.WithContext(work)
	// On PostgreSQL, one instance at a time applies events and sends
	// deliveries (each keeps an order); any instance takes over from one
	// that stops.
	g.Go(func() error { in.Store.Lead(gctx, leadIngest, in.Ingest.Run); return nil })
	g.Go(func() error { in.Store.Lead(gctx, leadOutbound, in.Outbound.Run); return nil })
	g.Go(func() error {
		in.Store.Lead(gctx, leadAlerts, func(ctx context.Context) {
			in.Desk.WatchAlerts(ctx, func(err error) { in.log.Error("alerts", "err", err) })
		})
		return nil
	})
	g.Go(func() error { in.Server.Run(gctx); return nil })
	if in.backup.Dir != "" {
		g.Go(func() error { in.backups(gctx); return nil })
	}

	served := make(chan error, 1)
	go func() { served <- in.http.Serve(in.ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := in.http.Shutdown(shut); serr != nil && err == nil {
		err = serr
	}
	stopWork()
	g.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// backups backs the installation up every interval until ctx ends. A
// failed backup is logged and tried again at the next interval; it stops
// nothing else.
func (in *Instance) backups(ctx context.Context) {
	t := time.NewTicker(in.backup.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := in.Store.BackupTo(ctx, in.backup.Dir, in.backup.Keep)
		if err != nil {
			in.log.Error("scheduled backup", "dir", in.backup.Dir, "err", err)
			continue
		}
		in.log.Info("backed up", "dir", b.Dir, "documents", b.Blobs, "removed", len(b.Removed))
	}
}

// The works instances take turns to lead (storage.Store.Lead).
const (
	leadIngest = iota + 1
	leadOutbound
	leadAlerts
)

// Close releases what New opened; Run calls it on the way out.
func (in *Instance) Close() error {
	if in.ln != nil {
		in.ln.Close()
	}
	if in.Renderer != nil {
		in.Renderer.Close()
		in.Renderer = nil
	}
	if in.Store != nil {
		err := in.Store.Close()
		in.Store = nil
		return err
	}
	return nil
}

// BrowserAddr turns a listen address into one a browser, or a process on
// the same machine (reviewer healthcheck), can open: a wildcard host by
// loopback.
func BrowserAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
