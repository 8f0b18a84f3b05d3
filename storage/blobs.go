package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/s3"
)

// Blobs is a content-addressed store of document bytes: each blob is named by
// the hex SHA-256 of its content, so the same document fetched twice is kept
// once and a name can never point at other bytes.
//
// The bytes are files under dir. With an S3-compatible store (--blobs)
// they are also there, once, where every instance reaches them; else, with
// PostgreSQL, in the database (blob_chunks). A blob put by one instance is
// copied into another's dir the first time it is opened there, so dir is
// then a cache.
type Blobs struct {
	dir    string
	shared *pool      // PostgreSQL without --blobs, or nil
	remote *s3.Client // --blobs, or nil
}

// remoteTimeout bounds one blob's transfer to or from the blob store: a
// document is at most tens of megabytes, and a store that takes longer is
// failing.
const remoteTimeout = 5 * time.Minute

// chunkSize is the size of a blob's rows in PostgreSQL.
const chunkSize = 1 << 20

// OpenBlobs opens (creating) the blob store in dir, shared through the
// database when it is PostgreSQL.
func OpenBlobs(dir string, shared *pool) (*Blobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("open blobs: %w", err)
	}
	return &Blobs{dir: dir, shared: shared}, nil
}

// MigrateBlobs copies every document this store holds, in its directory
// and (with PostgreSQL) in the database, into the blob store to, and then
// removes the database's copy, which every instance stops reading once
// started with --blobs. Documents already there are not sent again. It
// may run while instances serve; run it again after switching them, for
// what they stored meanwhile.
func (s *Store) MigrateBlobs(ctx context.Context, to *s3.Client) (copied int, err error) {
	if s.Blobs.remote != nil {
		return 0, review.Errorf(review.EINVALID, "this store keeps its documents in %s already", s.Blobs.remote)
	}
	dst := &Blobs{dir: s.Blobs.dir, remote: to}
	put := func(hash, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := dst.upload(f, hash, st.Size()); err != nil {
			return err
		}
		copied++
		return nil
	}
	if err := s.Blobs.each(put); err != nil {
		return copied, fmt.Errorf("migrate blobs: %w", err)
	}
	if s.pg == nil {
		return copied, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT hash FROM blob_chunks`)
	if err != nil {
		return copied, fmt.Errorf("migrate blobs: %w", err)
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return copied, fmt.Errorf("migrate blobs: %w", err)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return copied, fmt.Errorf("migrate blobs: %w", err)
	}
	for _, h := range hashes {
		p, err := s.Blobs.local(h) // from the database, when only there
		if err != nil {
			return copied, fmt.Errorf("migrate blobs: %w", err)
		}
		if err := put(h, p); err != nil {
			return copied, fmt.Errorf("migrate blobs: %w", err)
		}
		if _, err := s.w.ExecContext(ctx, `DELETE FROM blob_chunks WHERE hash = ?`, h); err != nil {
			return copied, fmt.Errorf("migrate blobs: %w", err)
		}
	}
	return copied, nil
}

// Put stores everything r yields, at most limit bytes, and returns its hash.
// The blob appears under its name only once fully written and synced (and,
// with PostgreSQL, committed there).
func (b *Blobs) Put(r io.Reader, limit int64) (hash string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	if size > limit {
		return "", 0, fmt.Errorf("put blob: larger than %d bytes", limit)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	hash = hex.EncodeToString(h.Sum(nil))
	if b.remote != nil {
		if err := b.upload(tmp, hash, size); err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
	} else if b.shared != nil {
		if err := b.share(tmp, hash); err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
	}
	if err := b.keep(tmp.Name(), hash); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	return hash, size, nil
}

// keep moves a complete temporary file to the blob's name.
func (b *Blobs) keep(tmp, hash string) error {
	dst := b.path(hash)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// share writes the file's chunks to the database in one transaction.
func (b *Blobs) share(f *os.File, hash string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tx, err := b.shared.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blob_chunks WHERE hash = ?`, hash).Scan(&n); err != nil || n > 0 {
		return err // kept already
	}
	buf := make([]byte, chunkSize)
	for i := 0; ; i++ {
		k, err := f.ReadAt(buf, int64(i)*chunkSize)
		if k > 0 || i == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (hash, n, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, hash, i, buf[:k]); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// upload puts the file's bytes into the blob store, unless there already.
func (b *Blobs) upload(f *os.File, hash string, size int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	if ok, err := b.remote.Exists(ctx, blobKey(hash)); err != nil || ok {
		return err
	}
	return b.remote.Put(ctx, blobKey(hash), io.NewSectionReader(f, 0, size), size, hash)
}

// blobKey is a blob's key in the blob store, spread as the directory is.
func blobKey(hash string) string { return hash[:2] + "/" + hash[2:] }

// Open opens the blob with the given hash.
func (b *Blobs) Open(hash string) (*os.File, error) {
	p, err := b.local(hash)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// local returns the blob's file, copied from the database first if it was
// put by another instance.
func (b *Blobs) local(hash string) (string, error) {
	if !validHash(hash) {
		return "", fmt.Errorf("open blob: bad hash %q", hash)
	}
	p := b.path(hash)
	if _, err := os.Stat(p); err == nil || (b.shared == nil && b.remote == nil) || !errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if b.remote != nil {
		if err := b.download(hash); err != nil {
			return "", b.unreachable(hash, err)
		}
		return p, nil
	}
	if err := b.fetch(hash); err != nil {
		return "", fmt.Errorf("open blob: %w", err)
	}
	return p, nil
}

// unreachable says why a document could not be had from the blob store:
// the store not answering, or its bucket gone, is passing (unavailable,
// try again), where a bucket that answers without the document is not.
func (b *Blobs) unreachable(hash string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		defer cancel()
		perr := b.remote.Ping(ctx)
		if perr == nil {
			return fmt.Errorf("the document %s is not in %s", hash, b.remote)
		}
		err = perr
	}
	return review.Errorf(review.EUNAVAILABLE, "the document store does not answer now, try again: %v", err)
}

// fetch copies a blob from the database's chunks into dir.
func (b *Blobs) fetch(hash string) error {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	return b.receive(hash, func(w io.Writer) error {
		found := false
		// A chunk at a time, so a large document never sits whole in memory.
		for i := 0; ; i++ {
			var data []byte
			err := b.shared.QueryRowContext(ctx, `SELECT data FROM blob_chunks WHERE hash = ? AND n = ?`, hash, i).Scan(&data)
			if isNoRows(err) {
				break
			}
			if err != nil {
				return err
			}
			found = true
			if _, err := w.Write(data); err != nil {
				return err
			}
		}
		if !found {
			return fs.ErrNotExist
		}
		return nil
	})
}

// receive keeps the bytes fill writes as the blob hash, once they are
// complete, synced and found to be what the name says.
func (b *Blobs) receive(hash string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "get-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if err := fill(io.MultiWriter(tmp, h)); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return fmt.Errorf("blob %s reads back as %s", hash, got)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	return b.keep(tmp.Name(), hash)
}

// ready checks that blobs can be written: the directory takes a file (a
// full disk or a read-only mount fails here, not on the next document).
// With PostgreSQL the database holds them, and Ready pings it; a blob
// store must answer for its bucket.
func (b *Blobs) ready(ctx context.Context) error {
	if b.remote != nil {
		if err := b.remote.Ping(ctx); err != nil {
			return err
		}
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "ready-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// download copies a blob from the blob store into dir.
func (b *Blobs) download(hash string) error {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	body, err := b.remote.Get(ctx, blobKey(hash))
	if err != nil {
		return err
	}
	defer body.Close()
	return b.receive(hash, func(w io.Writer) error {
		_, err := io.Copy(w, body)
		return err
	})
}

// Path returns where the blob with the given hash lives.
func (b *Blobs) path(hash string) string {
	return filepath.Join(b.dir, hash[:2], hash[2:])
}

// validHash keeps paths built from hashes inside the store.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
