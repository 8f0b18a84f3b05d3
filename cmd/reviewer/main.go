// Command reviewer is a self-hosted review web UI for Extend's document
// processing results. See the README for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reviewer:", err)
		os.Exit(1)
	}
}

// usage is printed for -h and unknown commands.
const usage = `reviewer: review Extend workflow runs in the browser.

Commands:
  reviewer serve [flags]        run the web server (the default)
  reviewer demo [flags]         serve with the bundled demo documents loaded
  reviewer user add --email E --role reviewer|supervisor|admin [--name N]
                                create a user; the password is read from standard input
  reviewer token create --name N --role R
                                print a new API token
  reviewer route --workflow W [--below 0.9] [--sample 5] [--failing-rules]
                                quality-check runs that arrive already completed
  reviewer rules export [--workflow W] > rules.json
  reviewer rules import rules.json
                                the workflows' validation rules as a file; an import checks
                                each rule against its workflow's newest run first
  reviewer feedback --workflow W [--evaluation-set ES] [--mirror-metadata]
                                feed approved corrections back to Extend
  reviewer rotate-session-keys  new cookie keys; sessions signed with the previous keys stay valid
                                until the next rotation (restart the server to use them)
  reviewer backup [--keep N] BACKUPS
                                a new backup (SQLite database and documents) under BACKUPS, while
                                the server runs; --keep removes all but the newest N (PostgreSQL:
                                pg_dump, see the README)
  reviewer restore --data NEWDIR BACKUPS/reviewer-…
                                a new installation from one backup
  reviewer migrate-to-postgres --to postgres://…
                                copy a SQLite installation (--data, --db) into an empty PostgreSQL
                                database, documents included, and verify it by counts
  reviewer destination add --url U --secret S [--events E,E] [--workflows W,W] [--allow-private]
                                send decisions to U, signed with S as Extend signs
  reviewer healthcheck [--ready] [--addr A]
                                exit 0 when the server on A answers /livez (or /readyz)
  reviewer migrate              bring the database's schema up to date (for serve --migrate=false)
  reviewer blobs migrate --to s3://bucket/prefix
                                copy every document into an S3-compatible store (for serve
                                --blobs), out of PostgreSQL
  reviewer config [serve flags]  the server's effective configuration, secrets redacted, and
                                where each value came from (a flag, a variable, a file, the default)
Run "reviewer serve -h" for the server's flags; each has a REVIEWER_* variable (see the README).
`

// run is the whole program; tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr, false)
	case "demo":
		return serve(ctx, args, getenv, stdout, stderr, true)
	case "user":
		return userCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "token":
		return tokenCmd(ctx, args, getenv, stdout, stderr)
	case "route":
		return routeCmd(ctx, args, getenv, stdout, stderr)
	case "rules":
		return rulesCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "feedback":
		return feedbackCmd(ctx, args, getenv, stdout, stderr)
	case "rotate-session-keys":
		return rotateCmd(ctx, args, getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args, getenv, stdout, stderr)
	case "migrate-to-postgres":
		return migrateCmd(ctx, args, getenv, stdout, stderr)
	case "destination":
		return destinationCmd(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheckCmd(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrateSchemaCmd(ctx, args, getenv, stdout, stderr)
	case "blobs":
		return blobsCmd(ctx, args, getenv, stdout, stderr)
	case "config":
		return configCmd(args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
