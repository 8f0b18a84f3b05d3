package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/reviewer-app/reviewer/review"
)

// rekeyBatch is how many runs a change of a workflow's key fields keys
// again per read and write: each is decoded, and the one writer must not
// be held while thousands are.
const rekeyBatch = 200

// SetDuplicateKeys sets the fields whose values make a workflow's runs
// duplicates of each other (none: the document's checksum), in the admin's
// log, and keys its runs again, a batch at a time. Each field must be one
// the workflow's runs have had (KnownFields), so a misspelt name is caught
// here rather than flagging nothing. A run arriving meanwhile is
// keyed by the new fields as it arrives.
func (d *Desk) SetDuplicateKeys(ctx context.Context, workflowID string, fields []string, actor string) error {
	if err := review.CheckDuplicateFields(fields); err != nil {
		return err
	}
	if len(fields) > 0 {
		if err := d.knownFields(ctx, workflowID, fields); err != nil {
			return err
		}
	}
	err := d.logged(ctx, actor, "set the duplicate key to "+keyWords(fields), workflowID, func(ctx context.Context) error {
		return d.store.SetKeyFields(ctx, workflowID, fields, actor)
	})
	if err != nil {
		return err
	}
	read := func(after string) ([]review.KeyedRun, error) {
		return d.store.KeyedRuns(ctx, workflowID, after, rekeyBatch)
	}
	return eachBatch(read,
		func(k review.KeyedRun) string { return k.ID },
		func(runs []review.KeyedRun) error {
			if keys := rekeys(runs, fields); len(keys) > 0 {
				return d.store.KeyRuns(ctx, workflowID, fields, keys)
			}
			return nil
		})
}

func keyWords(fields []string) string {
	if len(fields) == 0 {
		return "the file's checksum"
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

// rekeys are the keys of runs by fields that differ from those they hold.
func rekeys(runs []review.KeyedRun, fields []string) []review.Rekey {
	var out []review.Rekey
	for _, k := range runs {
		if key := k.KeyBy(fields); key != k.Key {
			out = append(out, review.Rekey{Read: k, Key: key})
		}
	}
	return out
}

// StoreFile keeps the document fetched (or uploaded) for a file, at most
// limit bytes, and keys by it the runs that show it whose workflows key
// runs by their documents: the document comes after its run, so this is
// when such a run becomes a duplicate. It answers the document's hash.
func (d *Desk) StoreFile(ctx context.Context, fileID string, r io.Reader, limit int64) (string, error) {
	hash, size, err := d.store.PutBlob(r, limit)
	if err != nil {
		return "", err
	}
	return hash, d.KeepFetched(ctx, []review.Fetched{{FileID: fileID, Blob: hash, Size: size}})
}

// Fetch stores the bytes of a document fetched for a file (at most limit)
// and measures them, holding no writer: KeepFetched keeps what it answers,
// with other documents', in one write. A document that cannot be shown is
// measured so (Doc.Error); one whose measuring failed for now is measured
// later.
func (d *Desk) Fetch(ctx context.Context, fileID string, r io.Reader, limit int64) (review.Fetched, error) {
	hash, size, err := d.store.PutBlob(r, limit)
	if err != nil {
		return review.Fetched{}, err
	}
	f := review.Fetched{FileID: fileID, Blob: hash, Size: size}
	if d.measure == nil {
		return f, nil
	}
	doc, found, err := d.store.Document(ctx, hash)
	if err == nil && !found {
		doc, err = d.inspect(ctx, hash)
	}
	if err == nil && !found {
		f.Doc, f.Measured = doc, true
	}
	return f, nil
}

// KeepFetched keeps documents Fetch stored, in one write: each file is
// marked fetched, each measure kept, and the runs that show them keyed by
// them where their workflows key runs by their documents (see StoreFile).
// The keys are worked out before the write, from the runs as they will
// show the documents, so the writer is held only to write. An error keeps
// none of them.
func (d *Desk) KeepFetched(ctx context.Context, docs []review.Fetched) error {
	var runIDs []string
	fetched := make(map[string]string, len(docs))
	for _, f := range docs {
		ids, err := d.store.FileRuns(ctx, f.FileID)
		if err != nil {
			return err
		}
		runIDs = append(runIDs, ids...)
		fetched[f.FileID] = f.Blob
	}
	keys, err := d.documentKeys(ctx, runIDs, fetched)
	if err != nil {
		return fmt.Errorf("key the runs of the documents fetched: %w", err)
	}
	return d.store.Atomically(ctx, func(ctx context.Context) error {
		for _, f := range docs {
			if err := d.store.KeepFile(ctx, f.FileID, f.Blob, f.Size); err != nil {
				return err
			}
			if f.Measured {
				if err := d.store.PutDocument(ctx, f.Blob, f.Doc); err != nil {
					return err
				}
			}
		}
		if err := d.keyRuns(ctx, keys); err != nil {
			return fmt.Errorf("key the runs of the documents fetched: %w", err)
		}
		return nil
	})
}

// keyByDocuments keys the runs of ids whose workflows key runs by their
// documents, as their documents are stored now. A run changed meanwhile
// keeps the key whatever changed it gave it; a workflow given key fields
// meanwhile is keyed by them.
func (d *Desk) keyByDocuments(ctx context.Context, runIDs []string) error {
	keys, err := d.documentKeys(ctx, runIDs, nil)
	if err != nil {
		return err
	}
	return d.keyRuns(ctx, keys)
}

// documentKeys are the keys, by workflow in the order first read, of the
// runs of ids whose workflows key runs by their documents, as their
// documents are stored now, or will be once the files of fetched (by file
// id) are kept.
func (d *Desk) documentKeys(ctx context.Context, runIDs []string, fetched map[string]string) ([]workflowKeys, error) {
	if len(runIDs) == 0 {
		return nil, nil
	}
	runs, err := d.store.KeyedRunsOf(ctx, runIDs)
	if err != nil {
		return nil, err
	}
	byWorkflow := map[string][]review.KeyedRun{}
	var order []string
	for _, k := range runs {
		if _, ok := byWorkflow[k.WorkflowID]; !ok {
			order = append(order, k.WorkflowID)
		}
		for i, doc := range k.Documents {
			if blob, ok := fetched[doc.FileID]; ok {
				k.Documents[i].Fetched = blob
			}
		}
		byWorkflow[k.WorkflowID] = append(byWorkflow[k.WorkflowID], k)
	}
	var out []workflowKeys
	for _, wf := range order {
		fields, err := d.store.DuplicateKeys(ctx, wf)
		if err != nil {
			return nil, err
		}
		if len(fields) > 0 {
			continue
		}
		if keys := rekeys(byWorkflow[wf], nil); len(keys) > 0 {
			out = append(out, workflowKeys{wf, keys})
		}
	}
	return out, nil
}

// workflowKeys are new keys of a workflow's runs keyed by their documents.
type workflowKeys struct {
	workflowID string
	keys       []review.Rekey
}

// keyRuns writes keys; a workflow given key fields since they were worked
// out is keyed by them.
func (d *Desk) keyRuns(ctx context.Context, keys []workflowKeys) error {
	for _, k := range keys {
		if err := d.store.KeyRuns(ctx, k.workflowID, nil, k.keys); err != nil && !errors.Is(err, review.ErrRefused) {
			return err
		}
	}
	return nil
}

// eachBatch reads runs a batch at a time, each after the last one read
// (last names it), and writes what is decided on each, until none is left
// or a write is refused (review.ErrRefused): the setting the batches
// follow changed again, and that change decides the runs anew.
func eachBatch[T any](read func(after string) ([]T, error), last func(T) string, write func([]T) error) error {
	for after := ""; ; {
		batch, err := read(after)
		if err != nil || len(batch) == 0 {
			return err
		}
		if err := write(batch); errors.Is(err, review.ErrRefused) {
			return nil
		} else if err != nil {
			return err
		}
		after = last(batch[len(batch)-1])
	}
}
