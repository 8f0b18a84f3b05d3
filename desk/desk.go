package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Store is what the desk needs persisted and read.
type Store interface {
	Admin
	Run(ctx context.Context, id string) (*review.Run, error)
	Review(ctx context.Context, runID string) (review.Review, error)
	Document(ctx context.Context, blob string) (doc review.Document, found bool, err error)
	Audit(ctx context.Context, runID string) ([]review.AuditEntry, error)
	FeedbackRuleFor(ctx context.Context, workflowID string) (review.FeedbackRule, error)
	RunCalls(ctx context.Context, runID string) ([]review.Delivery, error)
	SaveEdit(ctx context.Context, runID string, version int, actor string, e review.Edit, before json.RawMessage) (int, error)
	Decide(ctx context.Context, runID string, version int, d review.Decision, reviewed json.RawMessage, outcomes map[string]review.Outcome, out review.Outbound) error
	BlobPath(hash string) (string, error)
	PutDocument(ctx context.Context, blob string, doc review.Document) error
	TurnPage(ctx context.Context, runID, blob string, page, quarters int, actor string) (int, error)
	PutRunFile(ctx context.Context, runID, fileID, actor string, r io.Reader, limit int64) (string, error)

	ClaimRun(ctx context.Context, runID, actor string, lease time.Duration) (review.Claim, error)
	Next(ctx context.Context, actor string, f review.QueueFilter, lease time.Duration) (string, error)
	Release(ctx context.Context, runID, actor string, force bool) error
	Reassign(ctx context.Context, runID string, to review.User, actor string, lease time.Duration) error
	Reopen(ctx context.Context, runID, actor string, r review.Reopening) error
	DueBasis(ctx context.Context, runID string) (review.DueBasis, error)
	WaitingRuns(ctx context.Context, workflowID, after string, limit int) ([]review.Waiting, error)
	MoveDue(ctx context.Context, workflowID string, within time.Duration, moves []review.DueMove) error
	UndoDecision(ctx context.Context, runID, actor string, decidedAt time.Time) error
	DiscardDraft(ctx context.Context, runID, actor string) error
	Hold(ctx context.Context, runID string, h review.Hold) error
	Resume(ctx context.Context, runID, actor string) error
	Alerts(ctx context.Context, idleAfter time.Duration, limit int) ([]review.Alert, error)
	TellAlert(ctx context.Context, a review.Alert, out review.Outbound) (bool, error)
	Destinations(ctx context.Context) ([]review.Destination, error)

	Rules(ctx context.Context, workflowID string) ([]review.Rule, error)
	KeptRuns(ctx context.Context, runIDs []string) (map[string]review.Kept, error)
	ArrivalRules(ctx context.Context, workflowIDs []string) (map[string]review.ArrivalRules, error)
	FirstWithKey(ctx context.Context, workflowID, key, runID string) (string, error)
	OutputHolders(ctx context.Context, outputIDs []string) (map[string]review.Holder, error)
	ApplyEvents(ctx context.Context, outs []review.EventOutcome) (review.Applied, error)
	SetRules(ctx context.Context, workflowID string, rules []review.Rule, actor string) error
	SetKeyFields(ctx context.Context, workflowID string, fields []string, actor string) error
	DuplicateKeys(ctx context.Context, workflowID string) ([]string, error)
	KeyedRuns(ctx context.Context, workflowID, after string, limit int) ([]review.KeyedRun, error)
	KeyedRunsOf(ctx context.Context, runIDs []string) ([]review.KeyedRun, error)
	FileRuns(ctx context.Context, fileID string) ([]string, error)
	FetchedFiles(ctx context.Context, fileIDs []string) (map[string]string, error)
	KeyRuns(ctx context.Context, workflowID string, fields []string, keys []review.Rekey) error
	PutBlob(r io.Reader, limit int64) (hash string, size int64, err error)
	KeepFile(ctx context.Context, id, hash string, size int64) error
	Runs(ctx context.Context, f review.RunFilter) ([]review.RunSummary, string, error)
	Users(ctx context.Context) ([]review.User, error)

	UpdateRun(ctx context.Context, runID, actor string, change review.RunUpdate, next func(prev review.RunUpdate, payload json.RawMessage) (review.RunUpdate, error)) error

	QAStore
}

// Checker evaluates a workflow's validation rules on a run, checks rules
// before they are kept, on a sample of recent runs of the workflow (the
// newest first), and says where a rule was too costly (package rules, in
// CEL).
type Checker interface {
	Evaluate(ctx context.Context, run *review.Run, rules []review.Rule) []review.RuleResult
	Check(ctx context.Context, rules []review.Rule, samples []*review.Run) error
	Fits(ctx context.Context, r review.Rule, sample *review.Run) error
	TooCostly(workflowID string, r review.Rule) string
}

// Measurer reads what a stored document is and the size of each of its
// pages as displayed (PDFium for PDFs, the header for images).
type Measurer interface {
	Inspect(ctx context.Context, hash, file string) (kind string, pages []review.PageSize, err error)
	// DrawFirst draws page one as the viewer first asks for it, so the
	// first view of a document that just arrived is already drawn.
	DrawFirst(ctx context.Context, hash, file, kind string) error
}

// Desk runs the review desk's use-cases.
type Desk struct {
	store   Store
	measure Measurer
	checker Checker
	now     func() time.Time

	// Passwords hashes the passwords the desk keeps and checks a sign-in's;
	// the wiring sets it (package passwords). Signing in and keeping a
	// password fail without it.
	Passwords Passwords
	// unknownHash is the hash an unknown email's password is compared
	// against, made once, with Passwords.
	unknownHash func() ([]byte, error)

	// UndoWindow is how long a decision's maker may take it back; nothing
	// of it is sent on before. review.UndoWindow unless set.
	UndoWindow time.Duration

	// counted is, per person, the moment their focused time is counted up
	// to: one window is focused at a time, so no report may reach back
	// before it (kept by this process; a restart forgets it).
	countedMu sync.Mutex
	counted   map[string]time.Time
}

// New returns a desk over store, measuring documents with measure,
// checking runs with checker and telling time by now.
func New(store Store, measure Measurer, checker Checker, now func() time.Time) *Desk {
	if now == nil {
		now = time.Now
	}
	d := &Desk{store: store, measure: measure, checker: checker, now: now, UndoWindow: review.UndoWindow, counted: map[string]time.Time{}}
	d.unknownHash = sync.OnceValues(func() ([]byte, error) { return d.Passwords.Hash(unknownEmail) })
	return d
}

// whyRefused turns a write the store refused (review.ErrRefused: its
// conditions no longer held when it was made) into the sentence that says
// why, from the run's state as it is now.
func (d *Desk) whyRefused(ctx context.Context, run *review.Run, version int, actor string, err error) error {
	if !errors.Is(err, review.ErrRefused) {
		return err
	}
	rv, rerr := d.store.Review(ctx, run.ID)
	if rerr != nil {
		return err
	}
	if why := review.WhyRefused(run.Status, rv, version, actor, d.now(), d.namer(ctx)); why != nil {
		return why
	}
	return err
}

// namer names people in the desk's sentences as the pages do: by their
// name, else their email.
func (d *Desk) namer(ctx context.Context) func(email string) string {
	return func(email string) string {
		users, err := d.store.Users(ctx)
		if err != nil {
			return email
		}
		for _, u := range users {
			if strings.EqualFold(u.Email, email) {
				return u.DisplayName()
			}
		}
		return email
	}
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
