package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/instance"
)

// healthcheckTimeout bounds one probe: an orchestrator's own timeout
// (Docker's is 30 s) should be what declares a hung server unhealthy, not
// a probe that never returns.
const healthcheckTimeout = 10 * time.Second

// healthcheckCmd is "reviewer healthcheck": asks the server on --addr
// (REVIEWER_ADDR, as serve reads it) for /livez, or /readyz with --ready,
// and fails unless it answers 200. Images without curl use it for their
// HEALTHCHECK.
func healthcheckCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("healthcheck", getenv, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "the server's listen address, as given to serve")
	fs.fromEnv()
	ready := fs.Bool("ready", false, "ask /readyz (database, blob store, renderer) instead of /livez (the process answers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := "/livez"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	u := "http://" + instance.BrowserAddr(*addr) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s", body)
	return nil
}

// migrateSchemaCmd is "reviewer migrate": brings the database's schema up
// to date, for servers started with --migrate=false. On PostgreSQL it
// takes the same lock as a starting server, so it may run while older
// instances still serve (they then report not ready, until replaced).
func migrateSchemaCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("migrate", getenv, stderr)
	at := storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := at.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	have, _, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the database's schema is at version %d\n", have)
	return nil
}

// blobsCmd is "reviewer blobs migrate --to s3://…": every document of the
// installation (--data, --db) into the blob store, out of PostgreSQL.
func blobsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: reviewer blobs migrate [--data DIR] [--db URL] --to s3://bucket/prefix"
	if len(args) == 0 || args[0] != "migrate" {
		return errors.New(use)
	}
	fs := newSettings("blobs migrate", getenv, stderr)
	at := storeFlags(fs)
	to := fs.String("to", "", "the blob store, s3://bucket/prefix, as serve's --blobs will name it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *to == "" {
		return errors.New(use)
	}
	dst, err := blobStore(*to, getenv)
	if err != nil {
		return err
	}
	if err := dst.Ping(ctx); err != nil {
		return err
	}
	store, err := at.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.MigrateBlobs(ctx, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d documents are in %s; start every instance with --blobs %s\n", n, dst, *to)
	return nil
}
