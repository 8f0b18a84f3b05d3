package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// backupPrefix names the directories BackupTo makes, so that keeping the
// newest N removes nothing else that lives beside them.
const backupPrefix = "reviewer-"

// backupManifest is the file that marks a backup complete and says what
// it holds.
const backupManifest = "backup.json"

// Manifest is what a backup holds.
type Manifest struct {
	Created time.Time `json:"created"`
	Schema  int       `json:"schema"` // the database's schema version
	Blobs   int       `json:"blobs"`  // documents
}

// Backed is what BackupTo did.
type Backed struct {
	Dir     string
	Blobs   int      // documents in the backup
	Linked  int      // of which shared with the previous backup (hard links: documents never change)
	Removed []string // older backups removed to keep the newest
}

// BackupTo writes a backup of a SQLite installation into a new directory
// under root while the server runs: the database (one consistent
// snapshot, Backup) and then every document, so that every document the
// snapshot names is in it (a document is stored before the rows that name
// it). A document the previous backup holds is hard-linked from it, not
// copied again: documents are named by their content and never change.
// The directory appears under its name only when complete; then all but
// the newest keep backups are removed (keep <= 0 keeps all).
func (s *Store) BackupTo(ctx context.Context, root string, keep int) (Backed, error) {
	if s.pg != nil {
		return Backed{}, review.Errorf(review.EINVALID, "the database is PostgreSQL: back it up with pg_dump, and the documents with it (see the README)")
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return Backed{}, fmt.Errorf("backup: %w", err)
	}
	now := s.now()
	name := backupPrefix + now.Format("20060102T150405.000Z")
	b := Backed{Dir: filepath.Join(root, name)}
	if _, err := os.Stat(b.Dir); err == nil {
		return b, review.Errorf(review.ECONFLICT, "%s exists", b.Dir)
	}
	previous, err := Backups(root)
	if err != nil {
		return b, err
	}
	partial := filepath.Join(root, "."+name+".partial")
	defer os.RemoveAll(partial) // gone once renamed; a failure leaves nothing half-made
	if err := os.MkdirAll(partial, 0o750); err != nil {
		return b, fmt.Errorf("backup: %w", err)
	}
	if err := s.Backup(ctx, filepath.Join(partial, "reviewer.db")); err != nil {
		return b, err
	}
	have, _, err := s.Schema(ctx)
	if err != nil {
		return b, fmt.Errorf("backup: %w", err)
	}
	var prev string
	if len(previous) > 0 {
		prev = filepath.Join(root, previous[len(previous)-1], "blobs")
	}
	err = s.Blobs.each(func(hash, path string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(partial, "blobs", hash[:2], hash[2:])
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		b.Blobs++
		if prev != "" && os.Link(filepath.Join(prev, hash[:2], hash[2:]), dst) == nil {
			b.Linked++
			return nil
		}
		return copyFile(path, dst)
	})
	if err != nil {
		return b, fmt.Errorf("backup: documents: %w", err)
	}
	m, _ := json.MarshalIndent(Manifest{Created: now, Schema: have, Blobs: b.Blobs}, "", "  ")
	if err := writeSynced(filepath.Join(partial, backupManifest), bytes.NewReader(m)); err != nil {
		return b, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, b.Dir); err != nil {
		return b, fmt.Errorf("backup: %w", err)
	}
	if keep > 0 {
		all, err := Backups(root)
		if err != nil {
			return b, err
		}
		for _, old := range all[:max(0, len(all)-keep)] {
			if err := os.RemoveAll(filepath.Join(root, old)); err != nil {
				return b, fmt.Errorf("backup: remove %s: %w", old, err)
			}
			b.Removed = append(b.Removed, old)
		}
	}
	return b, nil
}

// Backups lists the complete backups under root, oldest first.
func Backups(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backups: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), backupPrefix) {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), backupManifest)); err == nil {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out) // the names are times
	return out, nil
}

// Restore makes a new SQLite installation in dataDir (db as --db gives it)
// from a backup made by BackupTo: every document, checked against its
// name, then the database. It refuses to overwrite a database, and a
// directory that is not a complete backup. Opening the store afterwards
// brings an older backup's schema up to date.
func Restore(ctx context.Context, from, dataDir, db string) (Manifest, error) {
	var m Manifest
	if IsPostgres(db) {
		return m, review.Errorf(review.EINVALID, "the database is PostgreSQL: restore it with pg_restore (see the README)")
	}
	raw, err := os.ReadFile(filepath.Join(from, backupManifest))
	if err != nil {
		return m, review.Errorf(review.EINVALID, "%s is not a complete backup made by reviewer backup: %v", from, err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("restore: %s: %w", backupManifest, err)
	}
	target := sqlitePath(dataDir, db)
	if _, err := os.Stat(target); err == nil {
		return m, review.Errorf(review.ECONFLICT, "%s exists: restore into a new data directory, or move it away first", target)
	}
	blobs, err := OpenBlobs(filepath.Join(dataDir, "blobs"), nil)
	if err != nil {
		return m, err
	}
	src := &Blobs{dir: filepath.Join(from, "blobs")}
	n := 0
	err = src.each(func(hash, path string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		got, _, err := blobs.Put(f, math.MaxInt64-1)
		if err != nil {
			return err
		}
		if got != hash {
			return fmt.Errorf("%s holds other bytes (%s): the backup is damaged", path, got)
		}
		n++
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("restore: documents: %w", err)
	}
	if n != m.Blobs {
		return m, fmt.Errorf("restore: the backup names %d documents and holds %d", m.Blobs, n)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	tmp := target + ".restoring"
	if err := copyFile(filepath.Join(from, "reviewer.db"), tmp); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	return m, nil
}

// each calls fn with every blob's hash and file.
func (b *Blobs) each(fn func(hash, path string) error) error {
	return filepath.WalkDir(b.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != b.dir && d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		hash := filepath.Base(filepath.Dir(path)) + d.Name()
		if !validHash(hash) {
			return nil
		}
		return fn(hash, path)
	})
}

// copyFile copies src to a new file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeSynced(dst, in)
}

// writeSynced writes what r yields to a new file, synced.
func writeSynced(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
