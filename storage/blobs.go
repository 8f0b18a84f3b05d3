package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Blobs is a content-addressed store of document bytes: each blob is named by
// the hex SHA-256 of its content, so the same document fetched twice is kept
// once and a name can never point at other bytes.
type Blobs struct {
	dir string
}

// OpenBlobs opens (creating) the blob store in dir.
func OpenBlobs(dir string) (*Blobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("open blobs: %w", err)
	}
	return &Blobs{dir: dir}, nil
}

// Put stores everything r yields, at most limit bytes, and returns its hash.
// The blob appears under its name only once fully written and synced.
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
	dst := b.path(hash)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	return hash, size, nil
}

// Open opens the blob with the given hash.
func (b *Blobs) Open(hash string) (*os.File, error) {
	if !validHash(hash) {
		return nil, fmt.Errorf("open blob: bad hash %q", hash)
	}
	return os.Open(b.path(hash))
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
