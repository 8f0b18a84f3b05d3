package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/pages"
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

// env returns the environment value of key, or def.
func env(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func serveFlags(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *config) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env(getenv, "REVIEWER_ADDR", "127.0.0.1:8080"), "listen address (REVIEWER_ADDR)")
	fs.StringVar(&c.data, "data", env(getenv, "REVIEWER_DATA", "./data"), "data directory: SQLite database, documents, page cache (REVIEWER_DATA)")
	fs.StringVar(&c.db, "db", env(getenv, "REVIEWER_DB", "sqlite:"), dbUsage)
	fs.StringVar(&c.webhookSecret, "webhook-secret", env(getenv, "REVIEWER_WEBHOOK_SECRET", ""), "Extend webhook signing secret(s), comma-separated (REVIEWER_WEBHOOK_SECRET)")
	fs.StringVar(&c.extendURL, "extend-api-url", env(getenv, "REVIEWER_EXTEND_API_URL", "https://api.extend.ai"), "Extend API base URL (REVIEWER_EXTEND_API_URL)")
	fs.StringVar(&c.extendKey, "extend-api-key", env(getenv, "REVIEWER_EXTEND_API_KEY", ""), "Extend API key, to fetch documents (REVIEWER_EXTEND_API_KEY)")
	fs.StringVar(&c.baseURL, "base-url", env(getenv, "REVIEWER_BASE_URL", ""), "URL browsers use to reach reviewer; derived from --addr by default (REVIEWER_BASE_URL)")
	maxBody, _ := strconv.ParseInt(env(getenv, "REVIEWER_MAX_BODY", "33554432"), 10, 64)
	fs.Int64Var(&c.maxBody, "max-body", maxBody, "largest webhook body accepted, in bytes (REVIEWER_MAX_BODY)")
	decodeMemory, _ := strconv.ParseInt(env(getenv, "REVIEWER_DECODE_MEMORY", strconv.Itoa(pages.DefaultDecodeMemory)), 10, 64)
	fs.Int64Var(&c.decodeMemory, "decode-memory", decodeMemory, "bytes every page image, thumbnail, sheet and text being decoded may hold together; a request that finds no room is asked to come back (REVIEWER_DECODE_MEMORY)")
	fs.BoolVar(&c.demo, "demo", false, "load the bundled demo documents")
	fs.StringVar(&c.logFormat, "log", env(getenv, "REVIEWER_LOG", "text"), "log format: text or json (REVIEWER_LOG)")
	sla, _ := time.ParseDuration(env(getenv, "REVIEWER_SLA", "4h"))
	fs.DurationVar(&c.sla, "sla", sla, "how long a run may wait before the dashboard flags it (REVIEWER_SLA)")
	undo, _ := time.ParseDuration(env(getenv, "REVIEWER_UNDO_WINDOW", "10s"))
	fs.DurationVar(&c.undoWindow, "undo-window", undo, "how long a reviewer may take back a decision; nothing is sent on before (REVIEWER_UNDO_WINDOW)")
	poll, _ := time.ParseDuration(env(getenv, "REVIEWER_FEED_POLL", "2s"))
	fs.DurationVar(&c.feedPoll, "feed-poll", poll, "how often open pages are told of changes another process made, such as the command line; this server's own changes reach them at once (REVIEWER_FEED_POLL)")
	fs.BoolVar(&c.extendPrivate, "extend-allow-private", env(getenv, "REVIEWER_EXTEND_ALLOW_PRIVATE", "") == "1", "let document and payload links reach private addresses, for an on-premise setup (REVIEWER_EXTEND_ALLOW_PRIVATE=1)")
	fs.StringVar(&c.compileCache, "compile-cache", env(getenv, "REVIEWER_COMPILE_CACHE", ""), "where PDFium's machine code is kept between starts; DATA/wazero-cache by default (REVIEWER_COMPILE_CACHE)")
	fs.StringVar(&c.proxies, "trusted-proxies", env(getenv, "REVIEWER_TRUSTED_PROXIES", ""), "reverse proxies whose X-Forwarded-For names the client: addresses or CIDR ranges, comma-separated (REVIEWER_TRUSTED_PROXIES)")
	return fs, c
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, demo bool) error {
	fs, c := serveFlags(getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.demo = c.demo || demo
	proxies, err := web.ParseProxies(c.proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
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
		Addr: c.addr, Data: c.data, DB: c.db, ExtendURL: c.extendURL, ExtendKey: c.extendKey, ExtendAllowPrivate: c.extendPrivate, Log: log, UndoWindow: c.undoWindow, CompileCache: c.compileCache, DecodeMemory: c.decodeMemory,
		Web: web.Config{BaseURL: c.baseURL, WebhookSecrets: secrets, MaxBody: c.maxBody, SLA: c.sla, FeedPoll: c.feedPoll, TrustedProxies: proxies, SetupToken: setupToken},
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
	if c.demo {
		if n, err := loadDemo(ctx, in, demoSecret, c.data, c.db); err != nil {
			fmt.Fprintf(stdout, "The demo could not be loaded: %v\n", err)
		} else {
			fmt.Fprintf(stdout, "Loaded %d demo runs through the signed webhook: open %s\n", n, in.URL)
		}
	}
	err = <-running
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
