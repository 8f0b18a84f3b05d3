package review

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDuplicateFields bounds a workflow's duplicate key: a vendor and an
// invoice number are two; more fields make a key that never matches.
const MaxDuplicateFields = 5

// maxKeyValue bounds each field's text in a stored key: an invoice number
// is short, and the key is indexed.
const maxKeyValue = 200

// Duplicate is another run of the same workflow whose key (its key fields'
// values, or its file's checksum) is the same as a run's: the earliest such
// run, with how it was decided.
type Duplicate struct {
	RunID     string     `json:"runId"`
	FileName  string     `json:"fileName,omitempty"`
	Earlier   bool       `json:"earlier"` // it arrived before the run: the run is the duplicate
	Status    Status     `json:"status"`
	Decision  string     `json:"decision,omitempty"` // approved, rejected, or empty while undecided
	DecidedBy string     `json:"decidedBy,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	// Fields are the workflow's key fields the two runs share; none when
	// they share the file (its checksum).
	Fields []string `json:"fields"`
	Key    string   `json:"key"` // the shared values, as compared
}

// Matched says in words what the two runs share: "invoice_number 562044387"
// or "the same file".
func (d Duplicate) Matched() string {
	if len(d.Fields) == 0 {
		sum := strings.TrimPrefix(d.Key, ChecksumKeyPrefix)
		return "the same file (sha256 " + sum[:min(12, len(sum))] + "…)"
	}
	values := strings.Split(strings.TrimPrefix(d.Key, fieldKeyPrefix), keySeparator)
	var b strings.Builder
	for i, f := range d.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f)
		if i < len(values) {
			b.WriteString(" " + values[i])
		}
	}
	return b.String()
}

// Decided says how the other run was decided, for a sentence.
func (d Duplicate) Decided() string {
	switch {
	case d.Decision != "" && d.DecidedBy != "" && d.DecidedAt != nil:
		return d.Decision + " by " + d.DecidedBy + " at " + d.DecidedAt.UTC().Format("2006-01-02 15:04") + " UTC"
	case d.Decision != "":
		return d.Decision
	case d.Status == StatusNeedsReview:
		return "waiting for review"
	}
	return strings.ToLower(string(d.Status))
}

// Key prefixes tell a key of fields from a file's checksum, so the two
// never match each other.
const (
	ChecksumKeyPrefix = "sha256:"
	fieldKeyPrefix    = "fields:"
	keySeparator      = "\x1f"
)

// CheckDuplicateFields says whether fields can be a workflow's duplicate
// key; none means the file's checksum.
func CheckDuplicateFields(fields []string) error {
	if len(fields) > MaxDuplicateFields {
		return Errorf(EINVALID, "A duplicate key has at most %d fields.", MaxDuplicateFields)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		switch {
		case strings.TrimSpace(f) == "" || utf8.RuneCountInString(f) > 200:
			return Errorf(EINVALID, "A duplicate key's field needs a name of at most 200 characters.")
		case seen[f]:
			return Errorf(EINVALID, "The duplicate key names %q twice.", f)
		}
		seen[f] = true
	}
	return nil
}

// DuplicateKey is the key of a run as its workflow's key fields read on it
// (top-level fields, compared as text with case and spacing folded), or
// empty: a run missing one of the fields, or holding it empty, is nobody's
// duplicate. With no fields the key is the file's checksum, which storage
// knows once the document is fetched (DocumentKey).
func DuplicateKey(run *Run, fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	top := TopFields(run)
	values := make([]string, len(fields))
	for i, name := range fields {
		f, ok := top[name]
		if !ok || len(f.Value) == 0 || string(f.Value) == "null" {
			return ""
		}
		v := strings.ToLower(strings.Join(strings.Fields(Text(f.Value)), " "))
		if v == "" || v == `""` {
			return ""
		}
		if len(v) > maxKeyValue {
			v = strings.ToValidUTF8(v[:maxKeyValue], "")
		}
		values[i] = strings.ReplaceAll(v, keySeparator, " ")
	}
	return fieldKeyPrefix + strings.Join(values, keySeparator)
}

// StoredDocument is one of a run's documents as stored, what its key by
// its first document is decided on: the file, its place among the run's,
// the document a supervisor uploaded for the run ("" none) and the one
// fetched for the file ("" not yet).
type StoredDocument struct {
	FileID   string
	Position int
	Uploaded string
	Fetched  string
}

// DocumentKey is the key of a run that its workflow keys by its document:
// the checksum of the first of docs that is stored (in their order; for
// each the one uploaded for the run before the one fetched), or empty
// until one is: a run without a document is nobody's duplicate.
func DocumentKey(docs []StoredDocument) string {
	for _, d := range sortDocuments(docs) {
		if blob := cmp.Or(d.Uploaded, d.Fetched); blob != "" {
			return ChecksumKeyPrefix + blob
		}
	}
	return ""
}

// ArrivingDocuments are the documents a run shows once an event naming
// files arrives: those it shows already (kept), then each file the event
// names that it does not, at the file's place in the event, as fetched
// (fetched, by file id): a run keeps the documents it was first given a
// place for.
func ArrivingDocuments(kept []StoredDocument, files []File, fetched map[string]string) []StoredDocument {
	out := slices.Clone(kept)
	for i, f := range files {
		if f.ID == "" || slices.ContainsFunc(out, func(d StoredDocument) bool { return d.FileID == f.ID }) {
			continue
		}
		out = append(out, StoredDocument{FileID: f.ID, Position: i, Fetched: fetched[f.ID]})
	}
	return sortDocuments(out)
}

// sortDocuments orders docs by their place, then by file: the order the
// store reads them in.
func sortDocuments(docs []StoredDocument) []StoredDocument {
	slices.SortStableFunc(docs, func(a, b StoredDocument) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.FileID, b.FileID))
	})
	return docs
}

// KeyedRun is a run as read where its duplicate key is decided again: its
// workflow, the key it holds, the run as kept (Payload) and its documents
// as stored.
type KeyedRun struct {
	ID         string
	WorkflowID string
	Key        string
	Payload    json.RawMessage
	Documents  []StoredDocument
}

// KeyBy is the key of the run by a workflow's key fields, or by its
// document with none. A payload that no longer decodes keys nothing.
func (k KeyedRun) KeyBy(fields []string) string {
	if len(fields) == 0 {
		return DocumentKey(k.Documents)
	}
	run, err := DecodeRun(k.Payload)
	if err != nil {
		return ""
	}
	return DuplicateKey(run, fields)
}

// Rekey is a run's new duplicate key (Key), and the run as it was read
// when the key was decided: the store writes it only while the run holds
// the key it held then and what the key was decided on (its payload when
// keyed by fields, else its documents).
type Rekey struct {
	Read KeyedRun
	Key  string
}
