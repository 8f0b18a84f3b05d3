package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// The Extend-compatible API: Extend's own read calls, answered in Extend's
// shapes, version header and error bodies, so that code written against
// Extend's SDKs (`new ExtendClient({token, baseUrl})`) reads reviewed runs
// by changing only its base URL and token. A run reads as its decision sent
// it on (the one builder, review.Run.Reviewed), or as Extend sent it while
// it waits.

// extendVersionHeader names the API version of a call; Extend's SDKs send
// it on every call, and Extend answers a call without it 400.
const extendVersionHeader = "X-Extend-Api-Version"

// Bounds of a list call.
const (
	// extendMaxPage is the most runs a page holds: Extend's own bound.
	extendMaxPage = 1000
	// extendDefaultPage is a page's size when the caller names none.
	extendDefaultPage = 10
	// maxFilter bounds each filter and so a page token, which carries them:
	// ids are at most 128 bytes, a file name's part far less.
	maxFilter = 256
)

// maxUpdateBody bounds a run update's body: a name and at most
// review.MaxMetadata of metadata, with room for escapes.
const maxUpdateBody = 64 << 10

// Rate limits of a token on the Extend-compatible API, per instance. A
// token may make APIBurst calls at once and APIRate a second for as long as
// it likes; beyond, it is answered 429 with Retry-After, which Extend's
// SDKs wait for and retry. An SDK paging to the end of a list sequentially
// stays within them; a loop without a pause does not starve everyone else.
const (
	APIRate  = 50
	APIBurst = 200
)

// fileLinkLifetime is how long a document's signed link works: Extend's
// presigned URLs last 15 minutes.
const fileLinkLifetime = 15 * time.Minute

// extendAPI is the Extend-compatible API's state: each token's rate, and
// the key that signs document links (kept in the database, so every
// instance checks every instance's links).
type extendAPI struct {
	urlKey []byte

	mu      sync.Mutex
	buckets map[int64]*bucket // by token id: only live tokens reach it, so admins bound it
}

type bucket struct {
	calls float64 // calls the token may make now
	at    time.Time
}

func newExtendAPI(ctx context.Context, store Store) (*extendAPI, error) {
	key, err := store.URLKey(ctx)
	if err != nil {
		return nil, err
	}
	return &extendAPI{urlKey: key, buckets: map[int64]*bucket{}}, nil
}

// take spends one of token's calls at now, or says how long until it has
// one.
func (x *extendAPI) take(token int64, now time.Time) (wait time.Duration) {
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.buckets[token]
	if b == nil {
		b = &bucket{calls: APIBurst, at: now}
		x.buckets[token] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.calls = math.Min(APIBurst, b.calls+d.Seconds()*APIRate)
		b.at = now
	}
	if b.calls >= 1 {
		b.calls--
		return 0
	}
	return time.Duration((1 - b.calls) / APIRate * float64(time.Second))
}

// serveExtend runs an Extend-compatible call: a token of the role the
// route needs, within its rate, naming an API version reviewer serves. Its
// errors are answered in Extend's shape.
func (s *Server) serveExtend(w http.ResponseWriter, r *http.Request, need access, next handlerFunc) {
	reqID := "req_" + randomID(15)
	w.Header().Set("X-Request-Id", reqID)
	err := s.withToken(w, r, need, func(w http.ResponseWriter, r *http.Request) error {
		if wait := s.extend.take(userFrom(r.Context()).ID, s.now()); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return review.Errorf(review.ETOOMANY, "This token made more than %d calls at once or %d a second; wait for Retry-After and call again.", APIBurst, APIRate)
		}
		if _, err := extendVersion(r); err != nil {
			return err
		}
		// Every run, file and processor run here came from Extend with an
		// id Extend's alphabet spells: another cannot name one, and is not
		// echoed back.
		if id := r.PathValue("id"); id != "" && !review.ValidID(id) {
			return review.Errorf(review.ENOTFOUND, "Nothing here has that id: Extend's ids are letters, digits, _ and -, at most %d of them.", review.MaxIDLen)
		}
		return next(w, r)
	})
	if err != nil {
		s.extendFail(w, r, reqID, err)
	}
}

// extendVersion is the API version a call names: 2026-02-09, or
// 2025-04-21 for runs that arrived in that version.
func extendVersion(r *http.Request) (string, error) {
	switch v := strings.TrimSpace(r.Header.Get(extendVersionHeader)); v {
	case review.Version2026, review.Version2025:
		return v, nil
	case "":
		return "", review.Errorf(review.EINVALID, "The %s header is required: send %s (Extend's SDKs send it themselves).", strings.ToLower(extendVersionHeader), review.Version2026)
	default:
		return "", review.Errorf(review.EINVALID, "API version %q is not one reviewer serves: send %s, or %s for runs that arrived in that version.", v, review.Version2026, review.Version2025)
	}
}

// extendCodes are Extend's error codes for reviewer's, and whether a call
// failing so may be sent again as it is.
var extendCodes = map[string]struct {
	code      string
	retryable bool
}{
	review.EINVALID:       {"INVALID_REQUEST", false},
	review.EUNAUTHORIZED:  {"UNAUTHORIZED", false},
	review.EFORBIDDEN:     {"FORBIDDEN", false},
	review.ENOTFOUND:      {"NOT_FOUND", false},
	review.ECONFLICT:      {"CONFLICT", true},
	review.ETOOLARGE:      {"PAYLOAD_TOO_LARGE", false},
	review.EUNPROCESSABLE: {"UNPROCESSABLE_ENTITY", false},
	review.ETOOMANY:       {"RATE_LIMIT_EXCEEDED", true},
	review.EUNAVAILABLE:   {"SERVICE_UNAVAILABLE", true},
	review.EINTERNAL:      {"INTERNAL_ERROR", true},
}

// extendFail answers err as Extend does: {code, message, retryable,
// requestId}, with the status Extend's SDKs map to their typed errors, and
// Retry-After when waiting helps.
func (s *Server) extendFail(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	code := review.ErrorCode(err)
	if code == review.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request", reqID, "err", err)
	}
	if (code == review.ETOOMANY || code == review.EUNAVAILABLE) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	c := extendCodes[code]
	writeJSON(w, statusOf[code], map[string]any{"code": c.code, "message": review.ErrorMessage(err), "retryable": c.retryable, "requestId": reqID})
}

// extendRefused answers the calls that would start, stop or delete runs:
// those are Extend's.
func (s *Server) extendRefused(w http.ResponseWriter, r *http.Request) error {
	return review.Errorf(review.EFORBIDDEN, "reviewer reviews the runs Extend made; it does not start, cancel or delete them, so %s %s is refused. Call Extend's own API (https://api.extend.ai) for that.", r.Method, r.URL.Path)
}

// extendNotServed answers a call of Extend's API that reviewer does not
// serve (Extend's SDKs name their version on every call), in Extend's
// shape, so that the SDK's NotFoundError says what to do.
func (s *Server) extendNotServed(w http.ResponseWriter, r *http.Request) {
	reqID := "req_" + randomID(15)
	w.Header().Set("X-Request-Id", reqID)
	s.extendFail(w, r, reqID, review.Errorf(review.ENOTFOUND, "reviewer does not serve this %s call: it answers Extend's workflow run, processor run and file reads, and metadata updates. Call Extend's own API (https://api.extend.ai) for the rest.", r.Method))
}

// pageToken is where a list stopped, and the filters and order it was
// listed by: the next page continues after its last run only for the same
// question. It is opaque to callers (base64 of this JSON).
type pageToken struct {
	Status   string `json:"s,omitempty"`
	Workflow string `json:"w,omitempty"`
	Batch    string `json:"b,omitempty"`
	FileName string `json:"f,omitempty"`
	SortBy   string `json:"o"`
	Asc      bool   `json:"a,omitempty"`
	At       int64  `json:"t"` // the last run's sort key, Unix milliseconds
	ID       string `json:"i"` // empty: a pass begins
	// The pass by updatedAt, newest first, the list is in: the runs last
	// changed in [Since, Until), Unix milliseconds (review.WorkflowRunFilter).
	Since int64 `json:"p,omitempty"`
	Until int64 `json:"u,omitempty"`
}

// listFilter reads a list call's filters, order, page size and token. A
// token carries the filters it was given for: a call may repeat them or
// leave them out, not change them.
func listFilter(q url.Values) (review.WorkflowRunFilter, error) {
	t := pageToken{Status: q.Get("status"), Workflow: q.Get("workflowId"), Batch: q.Get("batchId"), FileName: q.Get("fileNameContains"), SortBy: q.Get("sortBy")}
	asc := q.Get("sortDir")
	if raw := q.Get("nextPageToken"); raw != "" {
		var prev pageToken
		b, err := base64.RawURLEncoding.DecodeString(raw[:min(len(raw), 8*maxFilter)])
		if err != nil || len(raw) > 8*maxFilter || json.Unmarshal(b, &prev) != nil || prev.ID == "" && prev.Until == 0 {
			return review.WorkflowRunFilter{}, review.Errorf(review.EINVALID, "nextPageToken is not one this server gave out; list again from the first page.")
		}
		prevDir := map[bool]string{true: "asc", false: "desc"}[prev.Asc]
		for _, p := range []struct{ name, given, was string }{
			{"status", t.Status, prev.Status}, {"workflowId", t.Workflow, prev.Workflow}, {"batchId", t.Batch, prev.Batch},
			{"fileNameContains", t.FileName, prev.FileName}, {"sortBy", t.SortBy, prev.SortBy}, {"sortDir", asc, prevDir},
		} {
			if p.given != "" && p.given != p.was {
				return review.WorkflowRunFilter{}, review.Errorf(review.EINVALID, "nextPageToken continues a list with %s %q, not %q; list again from the first page to ask another question.", p.name, p.was, p.given)
			}
		}
		t, asc = prev, prevDir
	}
	f := review.WorkflowRunFilter{Status: review.Status(t.Status), WorkflowID: t.Workflow, BatchID: t.Batch, FileNameContains: t.FileName, SortBy: t.SortBy, Limit: extendDefaultPage}
	if t.ID != "" {
		f.After = &review.ListKey{At: time.UnixMilli(t.At), ID: t.ID}
	}
	if t.Until != 0 {
		f.Since, f.Until = time.UnixMilli(t.Since), time.UnixMilli(t.Until)
	}
	for _, v := range []string{t.Status, t.Workflow, t.Batch, t.FileName} {
		if len(v) > maxFilter {
			return f, review.Errorf(review.EINVALID, "A filter is at most %d bytes long.", maxFilter)
		}
	}
	if f.Status != "" && !slices.Contains(extendStatuses, f.Status) {
		return f, review.Errorf(review.EINVALID, "status %q is not a workflow run status: use one of %s.", f.Status, statusList())
	}
	switch f.SortBy {
	case "":
		f.SortBy = "updatedAt"
	case "updatedAt", "createdAt":
	default:
		return f, review.Errorf(review.EINVALID, "sortBy is updatedAt or createdAt, not %q.", f.SortBy)
	}
	switch asc {
	case "", "desc":
	case "asc":
		f.Asc = true
	default:
		return f, review.Errorf(review.EINVALID, "sortDir is asc or desc, not %q.", asc)
	}
	if v := q.Get("maxPageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > extendMaxPage {
			return f, review.Errorf(review.EINVALID, "maxPageSize is a whole number from 1 to %d, not %q.", extendMaxPage, v)
		}
		f.Limit = n
	}
	return f, nil
}

// extendStatuses are Extend's workflow run statuses, the values the status
// filter takes.
var extendStatuses = []review.Status{review.StatusPending, review.StatusProcessing, review.StatusNeedsReview, review.StatusRejected,
	review.StatusProcessed, review.StatusFailed, review.StatusCancelled, review.StatusCancelling}

func statusList() string {
	var b strings.Builder
	for i, s := range extendStatuses {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// maxEmptyPasses bounds the passes one list call goes through to fill a
// page that would be empty (each pass's runs changed again before it was
// read); past it, it answers an empty page with a token, which Extend's
// list allows.
const maxEmptyPasses = 3

// listWorkflowRuns answers GET /workflow_runs: a page of runs in Extend's
// WorkflowRunSummary shape (2025-04-21: its flat summary), and a
// nextPageToken only when more runs follow. Pages are keyed by the last
// run's (sort key, id), so a run that does not change while a caller pages
// appears exactly once, and none is skipped. One changed since the list
// began is met again (or, not yet listed, first) after the runs listed
// before it, with its new state: sorted by updatedAt ascending it moved to
// the end; descending, the list goes in passes, each over the runs changed
// before it began and since the one before, and ends with a pass that
// meets no change.
func (s *Server) listWorkflowRuns(w http.ResponseWriter, r *http.Request) error {
	version, _ := extendVersion(r)
	f, err := listFilter(r.URL.Query())
	if err != nil {
		return err
	}
	passes := f.SortBy == "updatedAt" && !f.Asc
	if passes && f.Until.IsZero() {
		f.Until = time.UnixMilli(s.now().UnixMilli()) // the first pass: what changed before the list began
	}
	runs, more, err := s.store.WorkflowRuns(r.Context(), f)
	if err != nil {
		return err
	}
	token := pageToken{Status: string(f.Status), Workflow: f.WorkflowID, Batch: f.BatchID, FileName: f.FileNameContains, SortBy: f.SortBy, Asc: f.Asc}
	at := func(run review.ListedRun) {
		token.At, token.ID = run.UpdatedAt.UnixMilli(), run.ID
		if f.SortBy == "createdAt" {
			token.At = run.CreatedAt.UnixMilli()
		}
	}
	if more {
		at(runs[len(runs)-1])
	}
	if passes {
		token.Since, token.Until = f.Since.UnixMilli(), f.Until.UnixMilli()
	}
	for i := 0; passes && !more; i++ {
		// The pass is done; another follows if a run changed since it began,
		// over every run changed until now (or the newest change, if a clock
		// is behind).
		changed := f
		changed.Since, changed.Until, changed.After, changed.Limit = f.Until, time.Time{}, nil, 1
		newest, _, err := s.store.WorkflowRuns(r.Context(), changed)
		if err != nil {
			return err
		}
		if len(newest) == 0 {
			break
		}
		f.Since, f.Until, f.After = f.Until, time.UnixMilli(max(s.now().UnixMilli(), newest[0].UpdatedAt.UnixMilli()+1)), nil
		token.Since, token.Until, token.At, token.ID = f.Since.UnixMilli(), f.Until.UnixMilli(), 0, ""
		if len(runs) > 0 || i == maxEmptyPasses {
			more = true
			break
		}
		if runs, more, err = s.store.WorkflowRuns(r.Context(), f); err != nil {
			return err
		}
		if more {
			at(runs[len(runs)-1])
		}
	}
	var next string
	if more {
		b, _ := json.Marshal(token)
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	if version == review.Version2025 {
		data := make([]summary2025, 0, len(runs))
		for _, run := range runs {
			data = append(data, newSummary2025(run))
		}
		writeJSON(w, http.StatusOK, struct {
			Success       bool          `json:"success"`
			WorkflowRuns  []summary2025 `json:"workflowRuns"`
			NextPageToken string        `json:"nextPageToken,omitempty"`
		}{true, data, next})
		return nil
	}
	data := make([]summary2026, 0, len(runs))
	for _, run := range runs {
		data = append(data, s.newSummary2026(run))
	}
	writeJSON(w, http.StatusOK, struct {
		Object        string        `json:"object"`
		Data          []summary2026 `json:"data"`
		NextPageToken string        `json:"nextPageToken,omitempty"`
	}{"list", data, next})
	return nil
}

// summary2026 is Extend's WorkflowRunSummary (2026-02-09). The members
// Extend sent are passed on as they came; the review's are reviewer's.
type summary2026 struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Status          review.Status   `json:"status"`
	Workflow        json.RawMessage `json:"workflow"`
	WorkflowVersion json.RawMessage `json:"workflowVersion"`
	DashboardURL    string          `json:"dashboardUrl"`
	ReviewedByUser  json.RawMessage `json:"reviewedByUser"`
	ReviewedAt      json.RawMessage `json:"reviewedAt"`
	InitialRunAt    json.RawMessage `json:"initialRunAt"`
	StartTime       json.RawMessage `json:"startTime"`
	EndTime         json.RawMessage `json:"endTime"`
	BatchID         json.RawMessage `json:"batchId"`
	RejectionNote   json.RawMessage `json:"rejectionNote"`
	Files           json.RawMessage `json:"files"`
	CreatedAt       string          `json:"createdAt"`
	UpdatedAt       string          `json:"updatedAt"`
	Usage           json.RawMessage `json:"usage"`
}

// summary2025 is Extend's flat WorkflowRunSummary of 2025-04-21.
type summary2025 struct {
	ID                string          `json:"id"`
	Status            review.Status   `json:"status"`
	InitialRunAt      json.RawMessage `json:"initialRunAt"`
	ReviewedByUser    json.RawMessage `json:"reviewedByUser"`
	ReviewedAt        json.RawMessage `json:"reviewedAt"`
	StartTime         json.RawMessage `json:"startTime"`
	EndTime           json.RawMessage `json:"endTime"`
	WorkflowID        string          `json:"workflowId"`
	WorkflowName      string          `json:"workflowName"`
	WorkflowVersionID string          `json:"workflowVersionId"`
	BatchID           json.RawMessage `json:"batchId"`
	RejectionNote     json.RawMessage `json:"rejectionNote"`
	CreatedAt         string          `json:"createdAt"`
	UpdatedAt         string          `json:"updatedAt"`
	Usage             json.RawMessage `json:"usage"`
}

// listed is a listed run's members: the head Extend sent, with the review
// made here over it (who decided, when, why; the run ends then).
type listed map[string]json.RawMessage

func newListed(run review.ListedRun) listed {
	m := listed{}
	json.Unmarshal(run.Head, &m)
	if run.DecidedAt != nil && run.Decision != "" {
		at := jsonString(run.DecidedAt.UTC().Format(time.RFC3339))
		m["reviewedByUser"], m["reviewedAt"], m["endTime"] = jsonString(run.DecidedBy), at, at
		m["rejectionNote"] = json.RawMessage("null")
		if run.Decision == review.DecisionRejected {
			m["rejectionNote"] = jsonString(run.RejectionNote)
		}
	}
	if m["reviewedByUser"] == nil {
		m["reviewedByUser"] = m["reviewedBy"] // 2025-04-21's name
	}
	return m
}

// get returns member k, or null.
func (m listed) get(k string) json.RawMessage {
	if v := m[k]; v != nil {
		return v
	}
	return json.RawMessage("null")
}

// str returns member k of the object member obj, "" when there is none.
func (m listed) str(obj, k string) string {
	var o map[string]any
	json.Unmarshal(m[obj], &o)
	v, _ := o[k].(string)
	return v
}

func (s *Server) newSummary2026(run review.ListedRun) summary2026 {
	m := newListed(run)
	out := summary2026{
		Object: "workflow_run", ID: run.ID, Status: run.Status, Workflow: m.get("workflow"), WorkflowVersion: m.get("workflowVersion"),
		DashboardURL: s.runURL(run.ID), ReviewedByUser: m.get("reviewedByUser"), ReviewedAt: m.get("reviewedAt"), InitialRunAt: m.get("initialRunAt"),
		StartTime: m.get("startTime"), EndTime: m.get("endTime"), BatchID: m.get("batchId"), RejectionNote: m.get("rejectionNote"), Files: m.get("files"),
		CreatedAt: run.CreatedAt.Format(timeFormat), UpdatedAt: run.UpdatedAt.Format(timeFormat), Usage: m.get("usage"),
	}
	if m["workflow"] == nil || m["workflowVersion"] == nil {
		out.Workflow, _ = json.Marshal(map[string]any{"object": "workflow", "id": run.WorkflowID, "name": run.WorkflowName})
	}
	if m["workflowVersion"] == nil {
		// A run that arrived in 2025-04-21 names its version in its
		// workflow; 2026-02-09 apart, as newSummary2025 does the reverse.
		// That version has no version id to give.
		out.WorkflowVersion, _ = json.Marshal(map[string]any{"object": "workflow_version", "id": nil, "version": m.str("workflow", "version"), "name": nil})
	}
	if m["files"] == nil {
		out.Files = json.RawMessage("[]")
	}
	return out
}

func newSummary2025(run review.ListedRun) summary2025 {
	m := newListed(run)
	version := m.str("workflowVersion", "id")
	if version == "" {
		version = m.str("workflow", "versionId")
	}
	return summary2025{
		ID: run.ID, Status: run.Status, InitialRunAt: m.get("initialRunAt"), ReviewedByUser: m.get("reviewedByUser"), ReviewedAt: m.get("reviewedAt"),
		StartTime: m.get("startTime"), EndTime: m.get("endTime"), WorkflowID: run.WorkflowID, WorkflowName: run.WorkflowName, WorkflowVersionID: version,
		BatchID: m.get("batchId"), RejectionNote: m.get("rejectionNote"), CreatedAt: run.CreatedAt.Format(timeFormat), UpdatedAt: run.UpdatedAt.Format(timeFormat),
		Usage: m.get("usage"),
	}
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// runURL is a run's review page: the run's dashboardUrl here.
func (s *Server) runURL(id string) string {
	return s.cfg.BaseURL + "/runs/" + url.PathEscape(id)
}

// getWorkflowRun answers GET /workflow_runs/{id}: the full WorkflowRun,
// with stepRuns[].result and its review (status PROCESSED or REJECTED,
// reviewed, reviewedByUser, reviewedAt, rejectionNote, endTime and each
// output's output, initialOutput, reviewedOutput, edited, edits) once
// decided: the object its decision sent on, with later metadata updates.
func (s *Server) getWorkflowRun(w http.ResponseWriter, r *http.Request) error {
	body, err := s.workflowRun(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeRun(w, r, body)
}

// workflowRun is a run as the Extend-compatible API shows it, in the API
// version the call names, which must be the one it arrived in: reviewer
// keeps Extend's bytes and does not translate between versions.
func (s *Server) workflowRun(r *http.Request, id string) (json.RawMessage, error) {
	version, _ := extendVersion(r)
	body, status, arrived, err := s.store.WorkflowRunBody(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := s.desk.Withheld(r.Context(), id, userFrom(r.Context())); err != nil {
		return nil, err
	}
	if arrived != version {
		return nil, review.Errorf(review.EUNPROCESSABLE, "%s arrived from Extend in API version %s and is served in that version's shape only: send %s: %s.", id, arrived, strings.ToLower(extendVersionHeader), arrived)
	}
	link := "dashboardUrl"
	if version == review.Version2025 {
		link = "url"
	} else if body, err = review.AddMissing(body, runDefaults); err != nil {
		return nil, fmt.Errorf("workflow run %s: %w", id, err)
	}
	for _, m := range []struct{ key, v string }{{"status", string(status)}, {link, s.runURL(id)}} {
		if body, err = review.Splice(body, []string{m.key}, jsonString(m.v)); err != nil {
			return nil, fmt.Errorf("workflow run %s: %w", id, err)
		}
	}
	return body, nil
}

// runDefaults are the members of Extend's WorkflowRun (2026-02-09) that a
// payload may lack (an older run, a test's fixture), with the value that
// says "none", so an SDK reads null or empty, never undefined.
var runDefaults = []review.Member{
	{Key: "metadata", Value: json.RawMessage(`{}`)}, {Key: "batchId", Value: json.RawMessage(`null`)}, {Key: "files", Value: json.RawMessage(`[]`)},
	{Key: "failureReason", Value: json.RawMessage(`null`)}, {Key: "failureMessage", Value: json.RawMessage(`null`)},
	{Key: "initialRunAt", Value: json.RawMessage(`null`)}, {Key: "reviewedByUser", Value: json.RawMessage(`null`)},
	{Key: "reviewed", Value: json.RawMessage(`false`)}, {Key: "rejectionNote", Value: json.RawMessage(`null`)},
	{Key: "reviewedAt", Value: json.RawMessage(`null`)}, {Key: "startTime", Value: json.RawMessage(`null`)},
	{Key: "endTime", Value: json.RawMessage(`null`)}, {Key: "stepRuns", Value: json.RawMessage(`[]`)}, {Key: "usage", Value: json.RawMessage(`null`)},
}

// writeRun answers a run: as it is in 2026-02-09, wrapped as
// {success, workflowRun} in 2025-04-21.
func writeRun(w http.ResponseWriter, r *http.Request, body json.RawMessage) error {
	if v, _ := extendVersion(r); v == review.Version2025 {
		body = append(append([]byte(`{"success":true,"workflowRun":`), body...), '}')
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(body)
	return err
}

// updateWorkflowRun answers POST /workflow_runs/{id}: the name and the
// metadata merged over the run's (a supervisor's token), kept, shown in the
// run's history and sent on with its decision; then the run as GET shows it.
func (s *Server) updateWorkflowRun(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name     *string         `json:"name"`
		Metadata json.RawMessage `json:"metadata"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return review.Errorf(review.ETOOLARGE, "An update is at most %d KiB; nothing was changed.", maxUpdateBody>>10)
	case err != nil:
		return review.Errorf(review.EINVALID, "The update could not be read: %v", err)
	case json.Unmarshal(b, &body) != nil:
		return review.Errorf(review.EINVALID, "An update is a JSON object with name and metadata; nothing was changed.")
	}
	u := review.RunUpdate{Name: body.Name}
	if m := body.Metadata; len(m) > 0 && string(m) != "null" {
		if json.Unmarshal(m, &u.Metadata) != nil {
			return review.Errorf(review.EINVALID, "metadata is a JSON object of keys and values; nothing was changed.")
		}
	}
	id := r.PathValue("id")
	if _, err := s.workflowRun(r, id); err != nil { // the run exists, in the version asked for
		return err
	}
	if err := s.desk.UpdateRun(r.Context(), id, userFrom(r.Context()).Email, u); err != nil {
		return err
	}
	run, err := s.workflowRun(r, id)
	if err != nil {
		return err
	}
	return writeRun(w, r, run)
}

// getProcessorRun answers GET /extract_runs/{id}, /classify_runs/{id} and
// /split_runs/{id} for the outputs runs here carry: the processor run as
// its workflow run shows it (reviewed once decided).
func (s *Server) getProcessorRun(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	object := strings.TrimSuffix(strings.TrimPrefix(r.Pattern, "GET /"), "s/{id}") // extract_run, …
	notFound := review.Errorf(review.ENOTFOUND, "There is no %s %s in a workflow run here.", strings.ReplaceAll(object, "_", " "), id)
	runID, err := s.store.OutputRun(r.Context(), id)
	if err != nil {
		return err
	}
	if runID == "" {
		return notFound
	}
	body, err := s.workflowRun(r, runID)
	if err != nil {
		return err
	}
	run, err := review.DecodeRun(body)
	if err != nil {
		return err
	}
	for _, o := range run.Outputs {
		if o.ID != id || o.Location == nil {
			continue
		}
		out, _ := review.At(body, o.Location)
		var head struct{ Object string }
		json.Unmarshal(out, &head)
		if head.Object != object {
			break
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, err := w.Write(out)
		return err
	}
	return notFound
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
