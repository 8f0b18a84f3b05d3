package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/storage"
	"github.com/reviewer-app/reviewer/web"
)

// config is every setting of the server, from flags with environment fallback.
type config struct {
	addr          string
	data          string
	db            string
	webhookSecret string
	extendURL     string
	extendKey     string
	baseURL       string
	maxBody       int64
	decodeMemory  int64
	demo          bool
	logFormat     string
	sla           time.Duration
	feedPoll      time.Duration
	undoWindow    time.Duration
	proxies       string
	extendPrivate bool
	compileCache  string
	migrate       bool
	metrics       string
	metricsToken  string
	backup        instance.Backup
	blobs         string
}

func (c *config) secrets() []string {
	var out []string
	for _, s := range strings.Split(c.webhookSecret, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func serveFlags(getenv func(string) string, stderr io.Writer) (*settings, *config) {
	c := &config{}
	fs := newSettings("serve", getenv, stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.data, "data", "./data", "data directory: SQLite database, documents, page cache")
	fs.StringVar(&c.db, "db", "sqlite:", dbUsage)
	fs.StringVar(&c.webhookSecret, "webhook-secret", "", "Extend webhook signing secret(s), comma-separated")
	fs.StringVar(&c.extendURL, "extend-api-url", "https://api.extend.ai", "Extend API base URL")
	fs.StringVar(&c.extendKey, "extend-api-key", "", "Extend API key, to fetch documents")
	fs.StringVar(&c.baseURL, "base-url", "", "URL browsers use to reach reviewer; derived from --addr by default")
	fs.Int64Var(&c.maxBody, "max-body", 32<<20, "largest webhook body accepted, in bytes")
	fs.Int64Var(&c.decodeMemory, "decode-memory", pages.DefaultDecodeMemory, "bytes every page image, thumbnail, sheet and text being decoded may hold together; a request that finds no room is asked to come back")
	fs.BoolVar(&c.demo, "demo", false, "load the bundled demo documents")
	fs.StringVar(&c.logFormat, "log", "text", "log format: text or json")
	fs.DurationVar(&c.sla, "sla", 4*time.Hour, "how long a run may wait before the dashboard flags it")
	fs.DurationVar(&c.undoWindow, "undo-window", 10*time.Second, "how long a reviewer may take back a decision; nothing is sent on before")
	fs.DurationVar(&c.feedPoll, "feed-poll", 2*time.Second, "how often open pages are told of changes another process made, such as the command line; this server's own changes reach them at once")
	fs.BoolVar(&c.extendPrivate, "extend-allow-private", false, "let document and payload links reach private addresses, for an on-premise setup")
	fs.StringVar(&c.compileCache, "compile-cache", "", "where PDFium's machine code is kept between starts; DATA/wazero-cache by default")
	fs.StringVar(&c.proxies, "trusted-proxies", "", "reverse proxies whose X-Forwarded-For names the client: addresses or CIDR ranges, comma-separated")
	fs.BoolVar(&c.migrate, "migrate", true, "bring the database's schema up to date at start (several instances take turns); with false, run `reviewer migrate` first")
	fs.StringVar(&c.metrics, "metrics", "127.0.0.0/8,::1/128", "networks (addresses or CIDR ranges, comma-separated) that may read /metrics, or off; others get 404")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "a token /metrics also requires, as Authorization: Bearer <token>")
	fs.StringVar(&c.backup.Dir, "backup-dir", "", "back the SQLite installation up into a new directory here every --backup-every (reviewer backup does it by hand); off when empty")
	fs.DurationVar(&c.backup.Every, "backup-every", 24*time.Hour, "how often --backup-dir gets a backup")
	fs.IntVar(&c.backup.Keep, "backup-keep", 7, "how many backups --backup-dir keeps (0: all)")
	fs.StringVar(&c.blobs, "blobs", "", "keep documents in an S3-compatible store, s3://bucket/prefix (path-style; endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), once for every instance; empty: under --data, and with PostgreSQL in the database")
	fs.fromEnv()
	return fs, c
}

// configCmd is "reviewer config": what serve would run with, given the
// same flags and environment.
func configCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := serveFlags(getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := c.check(getenv); err != nil {
		return err
	}
	return fs.print(stdout)
}

// checked is what serve makes of the settings that are more than a value.
type checked struct {
	proxies []netip.Prefix
	metrics web.MetricsAccess
	blobs   *s3.Client
}

// check parses the settings serve would otherwise refuse only at start,
// for serve and for `reviewer config`, the operator's check before one.
func (c *config) check(getenv func(string) string) (checked, error) {
	var k checked
	var err error
	if c.logFormat != "text" && c.logFormat != "json" {
		return k, fmt.Errorf("--log: %q is neither text nor json", c.logFormat)
	}
	if k.proxies, err = web.ParseProxies(c.proxies); err != nil {
		return k, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if k.metrics, err = web.ParseMetrics(c.metrics); err != nil {
		return k, fmt.Errorf("--metrics: %w", err)
	}
	k.metrics.Token = c.metricsToken
	k.blobs, err = blobStore(c.blobs, getenv)
	return k, err
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, demo bool) error {
	fs, c := serveFlags(getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.demo = c.demo || demo
	k, err := c.check(getenv)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	secrets := c.secrets()
	demoSecret := ""
	if c.demo {
		// The demo signs its events like Extend does, with a secret of its own.
		demoSecret = "wss_demo_" + randomHex(16)
		secrets = append(secrets, demoSecret)
	}
	setupToken := randomHex(16)
	in, err := instance.New(ctx, instance.Config{
		Addr: c.addr, Data: c.data, DB: c.db, ExtendURL: c.extendURL, ExtendKey: c.extendKey, ExtendAllowPrivate: c.extendPrivate, Log: log, UndoWindow: c.undoWindow, CompileCache: c.compileCache, DecodeMemory: c.decodeMemory, NoMigrate: !c.migrate, Backup: c.backup, Blobs: k.blobs,
		Web: web.Config{BaseURL: c.baseURL, WebhookSecrets: secrets, MaxBody: c.maxBody, SLA: c.sla, FeedPoll: c.feedPoll, TrustedProxies: k.proxies, SetupToken: setupToken, Metrics: k.metrics},
	})
	if err != nil {
		return err
	}
	c.baseURL = in.URL
	running := make(chan error, 1)
	go func() { running <- in.Run(ctx) }()
	fmt.Fprintf(stdout, "reviewer listening on %s\n", in.URL)
	if err := greet(ctx, in.Store, c, setupToken, stdout); err != nil {
		log.Error("start-up", "err", err)
	}
	history := make(chan struct{}) // closed when the demo's measured weeks are loaded, or not to be
	if !c.demo {
		close(history)
	} else if n, load, err := loadDemo(ctx, in, demoSecret, c.data, c.db); err != nil {
		fmt.Fprintf(stdout, "The demo could not be loaded: %v\n", err)
		close(history)
	} else {
		fmt.Fprintf(stdout, "Loaded %d demo runs through the signed webhook: open %s\n", n, in.URL)
		// The measured weeks take longer than the day: the first screen
		// does not wait for them, and the Accuracy page fills in as they
		// are decided.
		go func() {
			defer close(history)
			if n, err := load(); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stdout, "The demo's measured weeks could not be loaded: %v\n", err)
			} else if err == nil {
				fmt.Fprintln(stdout, historySaid(n))
			}
		}()
	}
	err = <-running
	<-history
	fmt.Fprintln(stdout, "reviewer stopped")
	return err
}

// greet tells the newcomer what to do next: how to create the first
// account, and whether Extend can reach the webhook.
func greet(ctx context.Context, store *storage.Store, c *config, setupToken string, stdout io.Writer) error {
	n, err := store.UserCount(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(stdout, "\nNo account exists yet. Create the first administrator in the browser:\n  %s/setup?token=%s\nor on the command line:\n  reviewer user add --data %s --email you@example.com --role admin\n\n", c.baseURL, setupToken, c.data)
	}
	if len(c.secrets()) == 0 && !c.demo {
		fmt.Fprintf(stdout, "No webhook secret is set: %s/webhooks/extend answers 503 until reviewer runs with --webhook-secret.\n", c.baseURL)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
