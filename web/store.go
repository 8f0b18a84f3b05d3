package web

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web/live"
)

// Store is what the web layer reads to show pages, and the writes that are
// its own machinery's, which no use-case decides (every other write goes
// through desk): presence, the sessions' idle clock, the sign-in limiter,
// a token's last use, keys made on first use. storage implements it.
type Store interface {
	live.Feed
	LastChange(ctx context.Context) (int64, error) // where the relay starts, and a page's first sequence number
	Ping(ctx context.Context) error
	Ready(ctx context.Context) error // why this instance cannot serve (/readyz), or nil

	// Runs, as pages and the API show them.
	Run(ctx context.Context, id string) (*review.Run, error)
	Review(ctx context.Context, runID string) (review.Review, error)
	Audit(ctx context.Context, runID string) ([]review.AuditEntry, error)
	Document(ctx context.Context, blob string) (doc review.Document, found bool, err error)
	BlobPath(hash string) (string, error)
	ReviewedPayload(ctx context.Context, runID string) (json.RawMessage, error)
	Queue(ctx context.Context, f review.QueueFilter) ([]review.RunSummary, string, error)
	Decided(ctx context.Context, f review.DecidedFilter) ([]review.RunSummary, string, error)
	QueueDepth(ctx context.Context) (int64, error)
	QueueCount(ctx context.Context, f review.QueueFilter) (n int64, more bool, err error)
	Escalated(ctx context.Context) (int64, error)
	NextReturn(ctx context.Context) (at time.Time, ok bool, err error)
	Runs(ctx context.Context, f review.RunFilter) (runs []review.RunSummary, next string, err error)
	CorrectedRuns(ctx context.Context, workflowID, path string, limit int) ([]review.RunSummary, error)
	EachDecided(ctx context.Context, f review.ExportFilter, fn func(review.ExportedRun) error) error
	Dashboard(ctx context.Context, sla time.Duration) (review.Dashboard, error)
	QAQueue(ctx context.Context, limit int) ([]review.QASample, int, error)
	QASample(ctx context.Context, runID string) (review.QASample, error)
	Accuracy(ctx context.Context, f review.AccuracyFilter) (review.Accuracy, error)
	Scorecards(ctx context.Context, f review.ScorecardFilter) ([]review.Scorecard, error)
	EachQAField(ctx context.Context, f review.ExportFilter, fn func(review.QASample, review.QAField) error) error
	Workflows(ctx context.Context) ([]review.Workflow, error)

	// The Extend-compatible API's reads.
	WorkflowRuns(ctx context.Context, f review.WorkflowRunFilter) (runs []review.ListedRun, more bool, err error)
	WorkflowRunBody(ctx context.Context, id string) (body json.RawMessage, status review.Status, apiVersion string, err error)
	FileRecord(ctx context.Context, id string) (review.File, time.Time, error)
	URLKey(ctx context.Context) ([]byte, error)
	OutputRun(ctx context.Context, outputID string) (string, error)

	// Who has which run open here (live.Feed reads them back, from every
	// instance).
	SetViewers(ctx context.Context, instance, runID string, viewers []string) error
	KeepViewers(ctx context.Context, instance string, gone bool) error

	// Accounts, sessions, sign-in limits and API tokens.
	SignIns
	UserCount(ctx context.Context) (int, error)
	Users(ctx context.Context) ([]review.User, error)
	Session(ctx context.Context, id string) (review.Session, error)
	TouchSession(ctx context.Context, id string) error
	UseToken(ctx context.Context, token string) (review.Token, error)
	Tokens(ctx context.Context) ([]review.Token, error)

	// Settings, deliveries and the admin's log.
	Setting(ctx context.Context, key, def string) (string, error)
	PageTurns(ctx context.Context, blob string) (map[int]int, error)
	RoutingRules(ctx context.Context) (map[string]review.RoutingRule, error)
	Rules(ctx context.Context, workflowID string) ([]review.Rule, error)
	AllRules(ctx context.Context) (map[string][]review.Rule, error)
	DuplicateKeys(ctx context.Context, workflowID string) ([]string, error)
	AllDuplicateKeys(ctx context.Context) (map[string][]string, error)
	ServiceLevels(ctx context.Context) (map[string]time.Duration, error)
	QARules(ctx context.Context) (map[string]review.QARule, error)
	Destinations(ctx context.Context) ([]review.Destination, error)
	RecentDeliveries(ctx context.Context, limit int) ([]review.Delivery, error)
	RecentCalls(ctx context.Context, limit int) ([]review.Delivery, error)
	RunCalls(ctx context.Context, runID string) ([]review.Delivery, error)
	FeedbackRules(ctx context.Context) ([]review.FeedbackRule, error)
	EventCounts(ctx context.Context) (map[string]int64, error)
	FileCounts(ctx context.Context) (map[string]int64, error)
	FailedEvents(ctx context.Context, limit int) ([]review.StoredEvent, error)
	AdminLog(ctx context.Context, limit int) ([]review.AdminEntry, error)
}
