package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// editRequest is one change from the review page. The reviewer's text is
// sent as typed and parsed here by the field's type, so numbers never pass
// through a float and dates are read one way for everyone.
type editRequest struct {
	Version  int             `json:"version"`
	OutputID string          `json:"outputId"`
	Path     string          `json:"path"`
	Text     *string         `json:"text"`  // what was typed (string, number, date, boolean, enum, currency amount)
	Code     string          `json:"code"`  // currency code, with Text as the amount
	Value    json.RawMessage `json:"value"` // a JSON value (signature, null, a split list, a class)
	Reset    bool            `json:"reset"` // back to the model's value
	Keep     bool            `json:"keep"`  // value unchanged: only the reference is re-pointed
	Row      *rowOp          `json:"row"`   // add, remove or move a row of a list
	How      string          `json:"how"`
	Ref      *struct {
		FileID string      `json:"fileId"`
		Page   int         `json:"page"`
		Rect   review.Rect `json:"rect"`
	} `json:"ref"`
}

type rowOp struct {
	Op    string `json:"op"` // add, remove, up, down
	Index int    `json:"index"`
}

// editResponse tells the page what was saved.
type editResponse struct {
	Version     int             `json:"version"`
	Value       json.RawMessage `json:"value"`
	Text        string          `json:"text"`
	Edited      bool            `json:"edited"`
	Original    string          `json:"original"`
	Alternative string          `json:"alternative,omitempty"` // another reading of a typed date
	Reload      bool            `json:"reload,omitempty"`      // rows changed: the page must be redrawn
}

// Bounds on one change from the review page.
const (
	maxEdit       = 1 << 20 // bytes
	maxEditValues = 10_000  // JSON values in a change's value
)

func (s *Server) saveEdit(w http.ResponseWriter, r *http.Request) error {
	var req editRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEdit)).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return review.Errorf(review.ETOOLARGE, "A change may be at most %d KiB.", maxEdit>>10)
		}
		return review.Errorf(review.EINVALID, "the change is not JSON: %v", err)
	}
	if n := review.CountValues(req.Value, maxEditValues+1); n > maxEditValues {
		return review.Errorf(review.ETOOLARGE, "A change may hold at most %d values; this one holds more.", maxEditValues)
	}
	ctx := r.Context()
	run, rv, current, err := s.loadReview(ctx, r.PathValue("runID"))
	if err != nil {
		return err
	}
	out, field, err := findField(current, req.OutputID, req.Path)
	if err != nil {
		return err
	}
	orig, _, _ := findField(run, req.OutputID, req.Path)
	model := json.RawMessage("null")
	if orig != nil {
		if f, ok := orig.Field(req.Path); ok {
			model = f.Value
		}
	}
	resp := editResponse{}
	value, err := editValue(req, out, field, model, &resp)
	if err != nil {
		return err
	}
	switch out.Type {
	case review.OutputClassify:
		if value, err = review.ChooseClass(out, value); err != nil {
			return err
		}
	case review.OutputSplitter:
		if err := review.CheckSplits(value, pageCount(s.documents(ctx, run))); err != nil {
			return err
		}
	}
	if field != nil {
		if value, err = review.CheckValue(*field, value); err != nil {
			return err
		}
	}
	edit := review.Edit{OutputID: req.OutputID, Path: req.Path, Value: value, How: firstNonEmpty(req.How, review.HowTyped)}
	if req.Reset {
		edit.How = review.HowReset
	}
	if req.Ref != nil {
		text := ""
		if req.Text != nil {
			text = *req.Text
		}
		edit.Refs = []review.Ref{{Kind: review.RefManual, FileID: req.Ref.FileID, Page: req.Ref.Page, HasBox: true, Rect: req.Ref.Rect, Text: text}}
	}
	// Applied to a copy first: a change that does not apply to the run is
	// refused rather than stored where it would break the run for everyone.
	if _, err := run.WithEdits(append(slices.Clone(rv.Edits), edit), s.sizer(ctx, run)); err != nil {
		return review.Errorf(review.EINVALID, "This change cannot be applied to the run: %s", review.ErrorMessage(err))
	}
	before := json.RawMessage("null")
	if field != nil {
		before = field.Value
	}
	version, err := s.store.SaveEdit(ctx, run.ID, req.Version, userFrom(ctx).Email, edit, before)
	if err != nil {
		return err
	}
	resp.Version, resp.Value, resp.Text = version, value, review.Text(value)
	if orig != nil && out.Type != review.OutputExtract {
		model, _ = orig.Model(req.Path)
	}
	resp.Original = review.Text(model)
	resp.Edited = !review.SameValue(value, model)
	resp.Reload = resp.Reload || req.Row != nil || edit.Refs != nil
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// loadReview reads a run as Extend sent it, its draft, and the run as the
// draft's edits make it read.
func (s *Server) loadReview(ctx context.Context, id string) (*review.Run, review.Review, *review.Run, error) {
	run, err := s.store.Run(ctx, id)
	if err != nil {
		return nil, review.Review{}, nil, err
	}
	rv, err := s.store.Review(ctx, run.ID)
	if err != nil {
		return nil, review.Review{}, nil, err
	}
	current, err := run.WithEdits(rv.Edits, s.sizer(ctx, run))
	if err != nil {
		return run, rv, nil, fmt.Errorf("%w: %w", errBrokenDraft, err)
	}
	return run, rv, current, nil
}

// errBrokenDraft marks a draft that no longer applies to its run.
var errBrokenDraft = errors.New("the saved changes do not apply")

// findField finds an output and, for extractions, the field at path.
func findField(run *review.Run, outputID, path string) (*review.Output, *review.Field, error) {
	for i := range run.Outputs {
		o := &run.Outputs[i]
		if o.ID != outputID {
			continue
		}
		if o.Location == nil {
			return nil, nil, review.Errorf(review.EINVALID, "output %s came as a separate step and cannot be edited here", o.ID)
		}
		if o.Type != review.OutputExtract {
			return o, nil, nil
		}
		f, ok := o.Field(path)
		if !ok {
			return nil, nil, review.Errorf(review.ENOTFOUND, "output %s has no field %q", outputID, path)
		}
		return o, f, nil
	}
	return nil, nil, review.Errorf(review.ENOTFOUND, "run %s has no output %q", run.ID, outputID)
}

// editValue turns a request into the field's new JSON value.
func editValue(req editRequest, o *review.Output, f *review.Field, model json.RawMessage, resp *editResponse) (json.RawMessage, error) {
	switch {
	case req.Reset:
		return model, nil
	case req.Keep && f != nil:
		return f.Value, nil
	case req.Row != nil:
		return review.EditRows(f, req.Row.Op, req.Row.Index)
	case req.Value != nil:
		if f != nil && f.Type == review.TypeSignature {
			return review.NormaliseSignature(req.Value)
		}
		return req.Value, nil
	case req.Text == nil:
		return nil, review.Errorf(review.EINVALID, "the change carries no value")
	case f == nil:
		return nil, review.Errorf(review.EINVALID, "%s takes a value, not text", o.Type)
	}
	value, alternative, err := review.ParseText(f, *req.Text, req.Code)
	resp.Alternative = alternative
	return value, err
}

func compact(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// sizer tells the displayed size of a page of a run's file, from what was
// learnt of the document.
func (s *Server) sizer(ctx context.Context, run *review.Run) review.PageSizer {
	blobs := map[string]string{}
	for _, f := range run.Files {
		blobs[f.ID] = f.Blob
	}
	return func(fileID string, page int) review.PageSize {
		doc, found, err := s.store.Document(ctx, blobs[fileID])
		if err != nil || !found || page < 1 || page > len(doc.Pages) {
			return review.PageSize{}
		}
		return doc.Pages[page-1]
	}
}

// decide approves or rejects a run: the reviewed payload, in Extend's shape,
// is written with the decision in one transaction.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, approve bool) error {
	ctx := r.Context()
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		return review.Errorf(review.EINVALID, "the form has no version")
	}
	note := strings.TrimSpace(r.PostFormValue("rejectionNote"))
	if !approve && note == "" {
		return review.Errorf(review.EINVALID, "A rejection needs a note saying why.")
	}
	run, rv, current, err := s.loadReview(ctx, r.PathValue("runID"))
	if err != nil {
		return err
	}
	d := review.Decision{Approved: approve, Note: note, By: userFrom(ctx).Email, At: s.now()}
	reviewed, err := run.Reviewed(rv.Edits, d, s.sizer(ctx, run))
	if err != nil {
		return err
	}
	out, err := s.outbound(ctx, run.ID, d, reviewed)
	if err != nil {
		return err
	}
	if out.Calls, err = s.feedback(ctx, run, d, reviewed); err != nil {
		return err
	}
	if err := s.store.Decide(ctx, run.ID, version, d, reviewed, review.Outcomes(run, current), out); err != nil {
		return err
	}
	next := "/runs/" + url.PathEscape(run.ID)
	if r.PostFormValue("next") == "1" {
		// Approve and open the next: claim the next run of the queue.
		next = "/"
		if id, err := s.store.Next(ctx, d.By, storage.QueueFilter{}, storage.ClaimLease); err == nil {
			next = "/runs/" + url.PathEscape(id)
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, true) }
func (s *Server) reject(w http.ResponseWriter, r *http.Request) error  { return s.decide(w, r, false) }

func (s *Server) reopen(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if err := s.store.Reopen(r.Context(), id, userFrom(r.Context()).Email); err != nil {
		return err
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("runID")
	if _, err := s.store.Review(r.Context(), id); err != nil {
		return err
	}
	entries, err := s.store.Audit(r.Context(), id)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []review.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": entries})
	return nil
}

func pageCount(docs []fileDoc) int {
	n := 0
	for _, d := range docs {
		if d.sizes != nil {
			n += len(d.sizes)
		} else {
			n += d.file.PageCount
		}
	}
	return n
}

// outbound builds the event a decision sends on, in Extend's envelope:
// workflow_run.completed for an approval, workflow_run.rejected for a
// rejection, the payload the run in the shape and version it arrived in. The
// audit trail travels beside it as reviewerAudit, a member Extend's readers
// ignore.
func (s *Server) outbound(ctx context.Context, runID string, d review.Decision, reviewed json.RawMessage) (storage.Outbound, error) {
	audit, err := s.store.Audit(ctx, runID)
	if err != nil {
		return storage.Outbound{}, err
	}
	action := review.ActionApprove
	eventType := review.EventRunCompleted
	if !d.Approved {
		action, eventType = review.ActionReject, review.EventRunRejected
	}
	audit = append(audit, review.AuditEntry{At: d.At, Actor: d.By, Action: action, Note: d.Note})
	id := "evt_rvw_" + randomID()
	body, err := json.Marshal(struct {
		EventID   string              `json:"eventId"`
		EventType string              `json:"eventType"`
		Payload   json.RawMessage     `json:"payload"`
		Audit     []review.AuditEntry `json:"reviewerAudit"`
	}{id, eventType, reviewed, audit})
	if err != nil {
		return storage.Outbound{}, err
	}
	return storage.Outbound{EventID: id, EventType: eventType, Body: body}, nil
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// feedback builds the calls a decision makes to Extend under its workflow's
// rule: each approved output as an evaluation-set item (the reviewed value
// as expectedOutput), and the review state merged into the run's metadata.
func (s *Server) feedback(ctx context.Context, run *review.Run, d review.Decision, reviewed json.RawMessage) ([]storage.ExtendCall, error) {
	rule, err := s.store.FeedbackRuleFor(ctx, run.Workflow.ID)
	if err != nil || (rule.EvaluationSetID == "" && !rule.MirrorMetadata) {
		return nil, err
	}
	var calls []storage.ExtendCall
	add := func(path string, body any) {
		b, _ := json.Marshal(body)
		calls = append(calls, storage.ExtendCall{APIVersion: review.Version2026, Path: path, Body: b})
	}
	if rule.EvaluationSetID != "" && d.Approved {
		done, err := review.DecodeRun(reviewed)
		if err != nil {
			return nil, err
		}
		for _, o := range done.Outputs {
			expected := review.ExpectedOutput(o)
			file := firstNonEmpty(append(o.FileIDs, runFileID(run))...)
			if expected == nil || file == "" {
				continue
			}
			add("/evaluation_sets/"+url.PathEscape(rule.EvaluationSetID)+"/items",
				map[string]any{"items": []any{map[string]any{"fileId": file, "expectedOutput": expected}}})
		}
	}
	if rule.MirrorMetadata {
		meta := map[string]any{"reviewer:decision": map[bool]string{true: review.DecisionApproved, false: review.DecisionRejected}[d.Approved],
			"reviewer:reviewedBy": d.By, "reviewer:reviewedAt": d.At.UTC().Format(time.RFC3339)}
		if !d.Approved {
			meta["reviewer:rejectionNote"] = d.Note
		}
		add("/workflow_runs/"+url.PathEscape(run.ID), map[string]any{"metadata": meta})
	}
	return calls, nil
}

func runFileID(run *review.Run) string {
	if len(run.Files) > 0 {
		return run.Files[0].ID
	}
	return ""
}
