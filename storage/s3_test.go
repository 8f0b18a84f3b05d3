package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/internal/s3test"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/storage"
)

func blobStore(t *testing.T, srv *s3test.Server) *s3.Client {
	t.Helper()
	c, err := s3.New("s3://"+srv.Bucket+"/docs", srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openWith(t *testing.T, dir string, blobs *s3.Client) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), dir, storage.Options{DB: pgtest.DB(t), Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func chunks(t *testing.T, dir string) int {
	t.Helper()
	if !pgtest.Postgres(t) {
		return 0
	}
	var n int
	if err := rawDB(t, dir).QueryRow(`SELECT count(*) FROM blob_chunks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func readBlob(t *testing.T, s *storage.Store, hash string) string {
	t.Helper()
	p, err := s.BlobPath(hash)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestS3Blobs: with --blobs, a document one instance stores is kept once,
// in the S3-compatible store (a real one: versitygw), not in the
// database, and every other instance reads it from there.
func TestS3Blobs(t *testing.T) { pgtest.Each(t, testS3Blobs) }

func testS3Blobs(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	a := openWith(t, t.TempDir(), blobStore(t, srv))
	other := t.TempDir()
	b := openWith(t, other, blobStore(t, srv))
	const doc = "%PDF-1.4 a document stored once"
	hash, _, err := a.Blobs.Put(strings.NewReader(doc), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, srv.Bucket, "docs", hash[:2], hash[2:])); err != nil {
		t.Fatalf("the document is not in the bucket: %v", err)
	}
	if n := chunks(t, other); n != 0 {
		t.Fatalf("the document is in the database too: %d chunks", n)
	}
	if got := readBlob(t, b, hash); got != doc {
		t.Fatalf("the other instance reads %q", got)
	}
	if _, _, err := a.Blobs.Put(strings.NewReader(doc), 1<<20); err != nil {
		t.Fatalf("the same document again: %v", err)
	}
	if err := a.Ready(ctx); err != nil {
		t.Fatalf("ready with the blob store up: %v", err)
	}
	missing, err := s3.New("s3://no-such-bucket/docs", srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c := openWith(t, t.TempDir(), missing)
	if err := c.Ready(ctx); err == nil || !strings.Contains(err.Error(), "blob store: s3://no-such-bucket/docs/") {
		t.Fatalf("ready without its bucket: %v", err)
	}
}

// TestS3BlobsUnreachable: a document this instance has not kept a copy
// of, while its bucket is gone, is "unavailable, try again" with the
// store named (503 and Retry-After on the page), not an internal error:
// the page handlers dropped the error and failed on "open : no such file
// or directory".
func TestS3BlobsUnreachable(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	a := openWith(t, t.TempDir(), blobStore(t, srv))
	b := openWith(t, t.TempDir(), blobStore(t, srv))
	hash, _, err := a.Blobs.Put(strings.NewReader("%PDF-1.4 a document b has not seen"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(srv.Dir, srv.Bucket), filepath.Join(srv.Dir, "gone")); err != nil {
		t.Fatal(err)
	}
	_, err = b.BlobPath(hash)
	if review.ErrorCode(err) != review.EUNAVAILABLE || !strings.Contains(err.Error(), "s3://"+srv.Bucket+"/docs/") {
		t.Fatalf("a document while the bucket is gone: %v (%s)", err, review.ErrorCode(err))
	}
	if err := os.Rename(filepath.Join(srv.Dir, "gone"), filepath.Join(srv.Dir, srv.Bucket)); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, b, hash); !strings.HasPrefix(got, "%PDF") {
		t.Fatalf("once the bucket is back: %q", got)
	}
}

// TestMigrateBlobs: `reviewer blobs migrate` copies the documents of an
// installation, from its directory and from PostgreSQL's chunks, into
// the blob store, and empties the chunks; an instance with --blobs and
// an empty directory then reads them all.
func TestMigrateBlobs(t *testing.T) { pgtest.Each(t, testMigrateBlobs) }

func testMigrateBlobs(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	old := openWith(t, dir, nil)
	docs := map[string]string{}
	for _, d := range []string{"first document", "second document"} {
		h, _, err := old.Blobs.Put(strings.NewReader(d), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		docs[h] = d
	}
	if pgtest.Postgres(t) {
		// A document another instance stored is only in the database.
		elsewhere := openWith(t, t.TempDir(), nil)
		h, _, err := elsewhere.Blobs.Put(strings.NewReader("stored elsewhere"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		docs[h] = "stored elsewhere"
	}
	n, err := old.MigrateBlobs(ctx, blobStore(t, srv))
	if err != nil || n < len(docs) {
		t.Fatalf("migrated %d of %d: %v", n, len(docs), err)
	}
	if c := chunks(t, dir); c != 0 {
		t.Fatalf("%d chunks left in the database", c)
	}
	fresh := t.TempDir()
	if !pgtest.Postgres(t) {
		// SQLite has one installation: the same database, a new cache.
		fresh = dir
		os.RemoveAll(filepath.Join(dir, "blobs"))
	}
	now := openWith(t, fresh, blobStore(t, srv))
	for h, d := range docs {
		if got := readBlob(t, now, h); got != d {
			t.Fatalf("%s reads %q after the move", h, got)
		}
	}
}
