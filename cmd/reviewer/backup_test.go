package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/s3test"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/rules"
	"github.com/reviewer-app/reviewer/storage"
)

// TestBackupAndRestore: backups taken while the server runs hold every
// run, decision and document; the second shares the documents of the
// first, --keep removes the older; a restore into a new directory gives an
// instance that finds everything, and restoring over a database is refused.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := context.Background()
	backups := t.TempDir()
	backup := func(keep string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, []string{"backup", "--data", s.data, "--keep", keep, backups}, noEnv, nil, &out, io.Discard); err != nil {
			t.Fatalf("reviewer backup: %v", err)
		}
		return out.String()
	}
	reject(t, s.data, 0)
	first := backup("0")
	reject(t, s.data, 1)
	second := backup("1")
	if !strings.Contains(second, "removed the older backup reviewer-") || strings.Contains(second, "(0 shared") {
		t.Fatalf("the second backup: %s (the first: %s)", second, first)
	}
	kept, err := storage.Backups(backups)
	if err != nil || len(kept) != 1 {
		t.Fatalf("backups kept: %v %v", kept, err)
	}
	want := snapshot(t, s.data)
	if want.decided < 2 || len(want.blobs) == 0 {
		t.Fatalf("the installation backed up has %d decisions and %d documents", want.decided, len(want.blobs))
	}

	restored := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--data", restored, filepath.Join(backups, kept[0])}, noEnv, nil, &out, io.Discard); err != nil {
		t.Fatalf("reviewer restore: %v", err)
	}
	if !strings.HasPrefix(out.String(), "restored the backup of ") {
		t.Fatalf("restore said %q", out.String())
	}
	got := snapshot(t, restored)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("restored:\n%+v\nwant:\n%+v", got, want)
	}
	err = run(ctx, []string{"restore", "--data", restored, filepath.Join(backups, kept[0])}, noEnv, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "reviewer.db exists: restore into a new data directory") {
		t.Fatalf("a restore over a database: %v", err)
	}
	// A server on the restored directory serves the runs.
	r := startServer(t, "--data", restored)
	if code, body := probe(t, r.base+"/readyz"); code != 200 {
		t.Fatalf("the restored instance is not ready: %q", body)
	}
}

// reject rejects the i-th run awaiting review in the installation, as a
// reviewer would, from a process beside the server.
func reject(t *testing.T, data string, i int) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, data, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, _, err := store.Runs(ctx, review.RunFilter{Status: review.StatusNeedsReview, Limit: 500})
	if err != nil || len(runs) <= i {
		t.Fatalf("runs to review: %d %v", len(runs), err)
	}
	email := "backup" + string(rune('a'+i)) + "@example.com"
	u, err := store.CreateUser(ctx, email, "", review.RoleReviewer, passwordtest.Hash(t, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(store, nil, rules.New(nil), nil)
	id := runs[0].ID
	rv, err := store.Review(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, id, &u, desk.Verdict{Version: rv.Version, Note: "kept for the backup test"}); err != nil {
		t.Fatalf("reject %s: %v", id, err)
	}
}

// installation is what a backup must keep: every run with its status and
// decision, and every document's bytes.
type installation struct {
	runs    map[string]string // run id: status, decision, by whom
	decided int
	blobs   map[string]string // hash: the SHA-256 of the file's bytes
}

func snapshot(t *testing.T, data string) installation {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, data, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	in := installation{runs: map[string]string{}, blobs: map[string]string{}}
	for cursor := ""; ; {
		runs, next, err := store.Runs(ctx, review.RunFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			rv, err := store.Review(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			in.runs[r.ID] = string(r.Status) + " " + rv.Decision + " " + rv.DecidedBy + " " + rv.Note
			if rv.Decision != "" {
				in.decided++
			}
			run, err := store.Run(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range run.Files {
				if f.Blob == "" {
					continue
				}
				p, err := store.BlobPath(f.Blob)
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("run %s, file %s: %v", r.ID, f.ID, err)
				}
				sum := sha256.Sum256(b)
				in.blobs[f.Blob] = hex.EncodeToString(sum[:])
			}
		}
		if next == "" {
			return in
		}
		cursor = next
	}
}

// TestScheduledBackups: serve --backup-dir makes a backup every interval
// and keeps the newest --backup-keep (for a moment after a new one is
// complete, before the oldest is removed, there is one more).
func TestScheduledBackups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startServer(t, "--backup-dir", dir, "--backup-every", "200ms", "--backup-keep", "2")
	var oldest string
	until(t, "two backups", func() bool {
		kept, err := storage.Backups(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) == 2 {
			oldest = kept[0]
		}
		return len(kept) == 2
	})
	until(t, "the oldest backup removed", func() bool {
		kept, _ := storage.Backups(dir)
		return len(kept) == 2 && kept[0] != oldest
	})
}

// TestBlobsMigrateCommand: `reviewer blobs migrate` reads the blob
// store's endpoint and credentials from the AWS_* variables, the secret
// from a file, and copies the installation's documents into the bucket.
func TestBlobsMigrateCommand(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	data := t.TempDir()
	store, err := storage.Open(context.Background(), data, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hash, _, err := store.Blobs.Put(strings.NewReader("a document"), 1<<20)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "s3-secret")
	os.WriteFile(secret, []byte(srv.Secret+"\n"), 0o600)
	env := srv.Env()
	delete(env, "AWS_SECRET_ACCESS_KEY")
	env["AWS_SECRET_ACCESS_KEY_FILE"] = secret
	env["REVIEWER_DATA"] = data
	var out bytes.Buffer
	if err := run(context.Background(), []string{"blobs", "migrate", "--to", "s3://" + srv.Bucket + "/docs"}, envOf(env), nil, &out, io.Discard); err != nil {
		t.Fatalf("reviewer blobs migrate: %v", err)
	}
	if !strings.HasPrefix(out.String(), "1 documents are in s3://"+srv.Bucket+"/docs/") {
		t.Fatalf("blobs migrate said %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, srv.Bucket, "docs", hash[:2], hash[2:])); err != nil {
		t.Fatalf("the document is not in the bucket: %v", err)
	}
	env["AWS_SECRET_ACCESS_KEY"] = "wrong"
	err = run(context.Background(), []string{"blobs", "migrate", "--to", "s3://" + srv.Bucket + "/docs"}, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "both AWS_SECRET_ACCESS_KEY and AWS_SECRET_ACCESS_KEY_FILE are set") {
		t.Fatalf("a secret given twice: %v", err)
	}
}
