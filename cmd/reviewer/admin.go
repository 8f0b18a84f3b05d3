package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// userCmd is "reviewer user add": the password comes as one line on
// standard input, so it never shows in the process list or shell history.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`usage: reviewer user add --email E --role reviewer|supervisor|admin [--name N]`)
	}
	fs := newSettings("user add", getenv, stderr)
	at := storeFlags(fs)
	email := fs.String("email", "", "the user's email address")
	role := fs.String("role", "", "reviewer, supervisor or admin")
	name := fs.String("name", "", "the user's name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	r, err := review.ParseRole(*role)
	if err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := d.CreateUser(ctx, cli, *email, *name, r, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s\n", u.Role, u.Email)
	return nil
}

// tokenCmd is "reviewer token create": the token is printed once.
func tokenCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`usage: reviewer token create --name N --role R`)
	}
	fs := newSettings("token create", getenv, stderr)
	at := storeFlags(fs)
	name := fs.String("name", "", "what the token is for")
	role := fs.String("role", "reviewer", "reviewer, supervisor or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	r, err := review.ParseRole(*role)
	if err != nil {
		return err
	}
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	tok, err := d.CreateToken(ctx, cli, *name, r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// destinationCmd is "reviewer destination add".
func destinationCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`usage: reviewer destination add --url U --secret S [--events E,E] [--workflows W,W] [--allow-private]`)
	}
	fs := newSettings("destination add", getenv, stderr)
	at := storeFlags(fs)
	u := fs.String("url", "", "where to POST decided runs")
	secret := fs.String("secret", "", "the signing secret the receiver verifies with")
	events := fs.String("events", "", "event types to send (default: workflow_run.completed and workflow_run.rejected)")
	workflows := fs.String("workflows", "", "workflow ids to send (default: all)")
	private := fs.Bool("allow-private", false, "allow private and loopback addresses (refused by default)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	id, err := d.AddDestination(ctx, cli, review.Destination{URL: *u, Secret: *secret, Events: review.SplitList(*events), Workflows: review.SplitList(*workflows), AllowPrivate: *private})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "destination %d: %s\n", id, *u)
	return nil
}

// backupCmd is "reviewer backup DIR": a new backup directory under DIR,
// while the server runs.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("backup", getenv, stderr)
	at := storeFlags(fs)
	keep := fs.Int("keep", 0, "then remove all but the newest N backups under DIR (0 keeps all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: reviewer backup [--data DIR] [--keep N] BACKUPS")
	}
	store, err := at.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	b, err := store.BackupTo(ctx, fs.Arg(0), *keep)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up the database and %d documents (%d shared with the previous backup) to %s\n", b.Blobs, b.Linked, b.Dir)
	for _, old := range b.Removed {
		fmt.Fprintf(stdout, "removed the older backup %s\n", old)
	}
	return nil
}

// restoreCmd is "reviewer restore BACKUP": a new installation in --data
// from one backup directory.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("restore", getenv, stderr)
	at := storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: reviewer restore [--data NEWDIR] BACKUPS/reviewer-…")
	}
	m, err := storage.Restore(ctx, fs.Arg(0), at.data, at.db)
	if err != nil {
		return err
	}
	store, err := at.open(ctx) // brings an older backup's schema up to date
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.UserCount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup of %s (%d documents, %d users) into %s; start reviewer with --data %s\n", m.Created.Format(time.RFC3339), m.Blobs, n, at.data, at.data)
	return nil
}

// migrateCmd is "reviewer migrate-to-postgres": stop the server first.
func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("migrate-to-postgres", getenv, stderr)
	at := storeFlags(fs)
	to := fs.String("to", "", "the empty PostgreSQL database to copy into, a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !storage.IsPostgres(*to) || storage.IsPostgres(at.db) {
		return errors.New("usage: reviewer migrate-to-postgres [--data DIR] [--db sqlite:PATH] --to postgres://…")
	}
	src, err := at.open(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := storage.Open(ctx, at.data, storage.Options{DB: *to})
	if err != nil {
		return err
	}
	defer dst.Close()
	c, err := src.CopyTo(ctx, dst)
	if err != nil {
		return err
	}
	var total int64
	for _, n := range c.Rows {
		total += n
	}
	fmt.Fprintf(stdout, "copied %d rows (%d runs, %d users, %d events) and %d documents; PostgreSQL has the same count in every table.\nStart reviewer with --db %s\n",
		total, c.Rows["runs"], c.Rows["users"], c.Rows["events"], c.Blobs, *to)
	return nil
}

// routeCmd is "reviewer route": a workflow's quality-check rule for runs that
// arrive as workflow_run.completed without a human review step in Extend.
func routeCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("route", getenv, stderr)
	at := storeFlags(fs)
	workflow := fs.String("workflow", "", "the workflow id")
	below := fs.Float64("below", -1, "send a run to review when any confidence is below this (0..1)")
	sample := fs.Int("sample", 0, "and send this percentage of the rest (0..100)")
	failing := fs.Bool("failing-rules", false, "and every run that fails a blocking validation rule")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workflow == "" {
		return errors.New("usage: reviewer route --workflow W [--below 0.9] [--sample 5] [--failing-rules]")
	}
	rule := review.RoutingRule{WorkflowID: *workflow, SamplePercent: *sample, FailingRules: *failing}
	if *below >= 0 {
		rule.Below = below
	}
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := d.SetRoutingRule(ctx, cli, rule); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "workflow %s: completed runs go to review when a confidence is below %v or in a %d%% sample", *workflow, *below, *sample)
	if *failing {
		fmt.Fprint(stdout, ", or when a blocking rule fails")
	}
	fmt.Fprintln(stdout)
	return nil
}

// rotateCmd is "reviewer rotate-session-keys".
func rotateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("rotate-session-keys", getenv, stderr)
	at := storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := d.RotateSessionKeys(ctx, cli); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "new session keys made; restart reviewer to sign new sessions with them (current sessions stay valid)")
	return nil
}

// feedbackCmd is "reviewer feedback": what a workflow's decisions feed back
// to Extend (needs --extend-api-key on the server).
func feedbackCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSettings("feedback", getenv, stderr)
	at := storeFlags(fs)
	workflow := fs.String("workflow", "", "the workflow id")
	set := fs.String("evaluation-set", "", "add approved runs' reviewed outputs to this Extend evaluation set")
	runs := fs.String("runs", review.EvalApproved, "which go in: approved (every output of every approved run) or corrected (the outputs a reviewer changed)")
	apiURL := fs.String("extend-api-url", "", "the workflow's own Extend API URL (default: the server's)")
	apiKey := fs.String("extend-api-key", "", "the workflow's own Extend API key (default: the one set before, else the server's; the deliveries page takes it without showing it in a process list)")
	mirror := fs.Bool("mirror-metadata", false, "merge the review state into the run's metadata in Extend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workflow == "" {
		return errors.New("usage: reviewer feedback --workflow W [--evaluation-set ES] [--mirror-metadata]")
	}
	d, store, err := at.desk(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := d.SetFeedbackRule(ctx, cli, review.FeedbackRule{WorkflowID: *workflow, EvaluationSetID: *set, Runs: *runs, MirrorMetadata: *mirror,
		APIURL: *apiURL, APIKey: *apiKey}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "workflow %s: evaluation set %q (%s runs), mirror metadata %v\n", *workflow, *set, *runs, *mirror)
	return nil
}

// where says which store a command opens: --data and --db, as serve takes
// them.
type where struct{ data, db string }

func storeFlags(fs *settings) *where {
	w := &where{}
	fs.StringVar(&w.data, "data", "./data", "data directory")
	fs.StringVar(&w.db, "db", "sqlite:", dbUsage)
	fs.fromEnv()
	return w
}

const dbUsage = "database: sqlite: (reviewer.db under --data) or a postgres:// URL that several instances share"

func (w *where) open(ctx context.Context) (*storage.Store, error) {
	return storage.Open(ctx, w.data, storage.Options{DB: w.db})
}

// cli is who the admin's log says made a change from the command line.
const cli = "cli"

// desk opens the store and the desk over it: a command's writes are the
// desk's use-cases, checked as the admin pages check them.
func (w *where) desk(ctx context.Context) (*desk.Desk, *storage.Store, error) {
	store, err := w.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	d := desk.New(store, nil, rules.New(nil), nil)
	d.Passwords = passwords.New(false)
	return d, store, nil
}

// rulesCmd is "reviewer rules export|import": a workflow's validation
// rules as a JSON file, {"workflow id": [rules…]}, for scripted setup and
// review. An import checks every rule against the fields of its
// workflow's newest run, as the settings page does, and changes nothing
// when one is wrong.
func rulesCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	const use = "usage: reviewer rules export [--workflow W] > rules.json | reviewer rules import rules.json (- for standard input)"
	if len(args) == 0 || args[0] != "export" && args[0] != "import" {
		return errors.New(use)
	}
	verb := args[0]
	fs := newSettings("rules "+verb, getenv, stderr)
	at := storeFlags(fs)
	workflow := fs.String("workflow", "", "export: only this workflow's rules")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store, err := at.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if verb == "export" {
		all, err := store.AllRules(ctx)
		if err != nil {
			return err
		}
		if *workflow != "" {
			all = map[string][]review.Rule{*workflow: all[*workflow]}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if fs.NArg() != 1 {
		return errors.New(use)
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var file map[string][]review.Rule
	dec := json.NewDecoder(io.LimitReader(in, 10<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("the rules file: %w", err)
	}
	d := desk.New(store, nil, rules.New(nil), nil)
	for _, wf := range slices.Sorted(maps.Keys(file)) { // all checked before any is kept
		if err := d.CheckRules(ctx, wf, file[wf]); err != nil {
			return fmt.Errorf("workflow %s: %s", wf, review.ErrorMessage(err))
		}
	}
	for _, wf := range slices.Sorted(maps.Keys(file)) {
		if err := d.SetRules(ctx, wf, file[wf], cli); err != nil {
			return fmt.Errorf("workflow %s: %s", wf, review.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "workflow %s: %s\n", wf, review.Count(len(file[wf]), "rule", "rules"))
	}
	return nil
}
