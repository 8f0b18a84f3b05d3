package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// refJSON is a re-pointed reference as a draft keeps it.
type refJSON struct {
	FileID string      `json:"fileId"`
	Page   int         `json:"page"`
	Rect   review.Rect `json:"rect"`
	Text   string      `json:"text,omitempty"`
}

// Review returns a run's draft and decision.
func (s *Store) Review(ctx context.Context, runID string) (review.Review, error) {
	var rv review.Review
	var decided, edited sql.NullInt64
	var claimedAt, queued sql.NullInt64
	var expires, holdAt, holdUntil, due int64
	err := s.r.QueryRowContext(ctx, `SELECT version, decision, decided_by, decided_at, rejection_note, last_editor, last_edit_at, claimed_by, claimed_at, claim_expires,
			hold, hold_by, hold_note, hold_at, hold_until, queued_at, due_at FROM runs WHERE id = ?`, runID).
		Scan(&rv.Version, &rv.Decision, &rv.DecidedBy, &decided, &rv.Note, &rv.LastEditor, &edited, &rv.Claim.By, &claimedAt, &expires,
			&rv.Hold.Kind, &rv.Hold.By, &rv.Hold.Note, &holdAt, &holdUntil, &queued, &due)
	rv.Hold.At, rv.Hold.Until = holdTimes(holdAt, holdUntil)
	if queued.Valid && review.HasDue(fromMS(due), fromMS(queued.Int64)) {
		rv.Due = fromMS(due)
	}
	if isNoRows(err) {
		return rv, review.Errorf(review.ENOTFOUND, "no run %q", runID)
	}
	if err != nil {
		return rv, fmt.Errorf("review: %w", err)
	}
	if decided.Valid {
		t := fromMS(decided.Int64)
		rv.DecidedAt = &t
	}
	if edited.Valid {
		t := fromMS(edited.Int64)
		rv.LastEditAt = &t
	}
	if rv.Claim.By != "" {
		rv.Claim.Since, rv.Claim.Expires = fromMS(claimedAt.Int64), fromMS(expires)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT output_id, path, value, refs, how FROM drafts WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return rv, fmt.Errorf("review: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e review.Edit
		var value, refs []byte
		if err := rows.Scan(&e.OutputID, &e.Path, &value, &refs, &e.How); err != nil {
			return rv, fmt.Errorf("review: %w", err)
		}
		e.Value = value
		if refs != nil {
			var rs []refJSON
			if err := json.Unmarshal(refs, &rs); err != nil {
				return rv, fmt.Errorf("review: %w", err)
			}
			e.Refs = []review.Ref{}
			for _, r := range rs {
				e.Refs = append(e.Refs, review.Ref{Kind: review.RefManual, FileID: r.FileID, Page: r.Page, HasBox: r.Rect != (review.Rect{}), Rect: r.Rect, Text: r.Text})
			}
		}
		rv.Edits = append(rv.Edits, e)
	}
	return rv, rows.Err()
}

// SaveEdit saves one change to a run's draft, if the draft is still at the
// version the editor saw, and records it in the audit trail. It returns the
// new version. A change to a list replaces the drafts of its rows, which
// the list's new value already holds. A change without references keeps
// those re-pointed before, except a reset, which goes back to the model's.
func (s *Store) SaveEdit(ctx context.Context, runID string, version int, actor string, e review.Edit, before json.RawMessage) (int, error) {
	var refs []byte
	if e.Refs != nil {
		rs := []refJSON{}
		for _, r := range e.Refs {
			rs = append(rs, refJSON{FileID: r.FileID, Page: r.Page, Rect: r.Rect, Text: r.Text})
		}
		refs, _ = json.Marshal(rs)
	}
	next := version + 1
	err := s.write(ctx, func(tx *txn) error {
		if err := s.advance(ctx, tx, runID, version, actor); err != nil {
			return err
		}
		now := ms(s.now())
		if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE run_id = ? AND output_id = ? AND (path LIKE ? ESCAPE '\' OR path LIKE ? ESCAPE '\')`,
			runID, e.OutputID, likePrefix(e.Path)+"[%", likePrefix(e.Path)+".%"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO drafts (run_id, output_id, path, value, refs, how, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, output_id, path) DO UPDATE SET value = excluded.value,
				refs = CASE WHEN excluded.how = ? THEN NULL ELSE coalesce(excluded.refs, drafts.refs) END, how = excluded.how, seq = excluded.seq`,
			runID, e.OutputID, e.Path, []byte(e.Value), refs, e.How, now, review.HowReset); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, output_id, path, before, after, how) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			runID, now, actor, review.ActionEdit, e.OutputID, e.Path, []byte(before), []byte(e.Value), e.How); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET last_editor = ?, last_edit_at = ? WHERE id = ?`, actor, now, runID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedEdit, runID, actor)
	})
	if err != nil {
		return 0, fmt.Errorf("save edit: %w", err)
	}
	s.notify()
	return next, nil
}

// advance moves a run's draft to its next version for actor, in one
// conditional update: only if the draft is at version, the run undecided
// and nobody else holds a live claim on it. The run is claimed for actor
// (their claim renewed), as a change is made by who holds the run. A write
// the state does not allow is review.ErrRefused; nothing is changed then.
func (s *Store) advance(ctx context.Context, tx *txn, runID string, version int, actor string) error {
	now := s.now()
	since, err := s.setClaim(ctx, tx, runID, `version = version + 1`, `version = ? AND status NOT IN (`+decidedStatuses+`)`,
		[]any{version}, actor, now, review.ClaimLease)
	if err != nil {
		return err
	}
	if since == ms(now) { // a new claim: the handling clock starts, the feed tells
		return s.logChange(ctx, tx, review.FeedClaim, runID, actor)
	}
	return nil
}

// decidedStatuses lists review.DecidedStatuses for SQL.
var decidedStatuses = func() string {
	var q []string
	for _, st := range review.DecidedStatuses() {
		q = append(q, "'"+string(st)+"'")
	}
	return strings.Join(q, ", ")
}()

// Decide records a decision with the reviewed payload, if the draft is at
// the version the reviewer saw. The run leaves the queue.
//
// outcomes tells, for every field path (indexes folded), whether the review
// corrected it: the dashboard's correction rates are made of them.
//
// out is the event the decision sends on; its deliveries are written in the
// same transaction (an outbox), so a decision is never without them.
func (s *Store) Decide(ctx context.Context, runID string, version int, d review.Decision, reviewed json.RawMessage, outcomes map[string]review.Outcome, out review.Outbound) error {
	action, decision, status := d.Records()
	err := s.write(ctx, func(tx *txn) error {
		if err := s.advance(ctx, tx, runID, version, d.By); err != nil {
			return err
		}
		now := ms(d.At)
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET decision = ?, decided_by = ?, decided_at = ?, rejection_note = ?, reviewed_payload = ?, status = ?,
			updated_at = ?, handling_ms = ? - coalesce(claimed_at, ?), claimed_by = '', claim_expires = 0 WHERE id = ?`,
			decision, d.By, now, d.Note, []byte(reviewed), string(status), now, now, now, runID); err != nil {
			return err
		}
		var results []byte
		if len(d.Rules) > 0 {
			results, _ = json.Marshal(d.Rules)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action, note, rules) VALUES (?, ?, ?, ?, ?, ?)`, runID, now, d.By, action, d.Note, string(results)); err != nil {
			return err
		}
		var workflow string
		kept := decided{at: now, by: d.By, decision: decision}
		if err := tx.QueryRowContext(ctx, `SELECT workflow_id, handling_ms FROM runs WHERE id = ?`, runID).Scan(&workflow, &kept.handling); err != nil {
			return err
		}
		if err := keepDecided(ctx, tx, kept, 1); err != nil {
			return err
		}
		for _, r := range review.Failed(d.Rules) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rule_failures (run_id, workflow_id, rule, severity, overridden, decided_at) VALUES (?, ?, ?, ?, ?, ?)`,
				runID, workflow, r.Rule, r.Severity, d.Overrides(r), now); err != nil {
				return err
			}
		}
		for path, o := range outcomes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO field_outcomes (run_id, workflow_id, path, edited, decided_at, confidence, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				runID, workflow, path, o.Edited, now, o.Confidence, d.By); err != nil {
				return err
			}
		}
		if err := rollUp(ctx, tx, workflow, d.By, now, outcomes, 1); err != nil {
			return err
		}
		if d.QA {
			if _, err := tx.ExecContext(ctx, `INSERT INTO qa_samples (run_id, workflow_id, source, first_by, first_at, first, sampled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (run_id) DO NOTHING`, runID, workflow, review.QAFromDecision, d.By, now, []byte(reviewed), now); err != nil {
				return err
			}
		}
		if err := s.enqueue(ctx, tx, runID, out); err != nil {
			return err
		}
		if done, err := review.DecodeRun(reviewed); err == nil { // the corrected values are found too
			if err := index(ctx, tx, runID, done.SearchText(), true); err != nil {
				return err
			}
		}
		return s.logChange(ctx, tx, review.FeedDecision, runID, d.By)
	})
	if err != nil {
		return fmt.Errorf("decide: %w", err)
	}
	s.notify()
	s.outbox.Notify()
	return nil
}

// UndoDecision takes back the decision actor made at decidedAt, if it is
// still that decision and nothing of it has gone out: its outbox items are
// dropped, the run is back in the queue with its draft, held by actor.
func (s *Store) UndoDecision(ctx context.Context, runID, actor string, decidedAt time.Time) error {
	err := s.write(ctx, func(tx *txn) error {
		now := s.now()
		var sent int
		// Due is as good as sent: the worker may be sending it now.
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE run_id = ? AND created_at >= ? AND (attempts > 0 OR state != 'pending' OR next_attempt_at <= ?)`,
			runID, ms(decidedAt), ms(now)).Scan(&sent); err != nil {
			return err
		}
		if sent > 0 {
			return review.Errorf(review.ECONFLICT, "This decision has been sent on already; an admin can reopen the run.")
		}
		kept, err := decidedOf(ctx, tx, runID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET decision = '', decided_by = '', decided_at = NULL, rejection_note = '', reviewed_payload = NULL,
			status = 'NEEDS_REVIEW', version = version + 1, updated_at = ?, claimed_by = ?, claimed_at = ?, claim_expires = ?
			WHERE id = ? AND decision != '' AND decided_by = ? AND decided_at = ?`,
			ms(now), actor, ms(now), ms(now.Add(review.ClaimLease)), runID, actor, ms(decidedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.ErrRefused
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE run_id = ? AND created_at >= ? AND state = 'pending' AND attempts = 0`, runID, ms(decidedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action) VALUES (?, ?, ?, ?)`, runID, ms(now), actor, review.ActionUndo); err != nil {
			return err
		}
		if err := keepDecided(ctx, tx, kept, -1); err != nil {
			return err
		}
		if err := unroll(ctx, tx, runID, kept); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM field_outcomes WHERE run_id = ?`, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM qa_samples WHERE run_id = ? AND qa_at IS NULL`, runID); err != nil { // a check of a decision taken back
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rule_failures WHERE run_id = ?`, runID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedDecision, runID, actor)
	})
	if err != nil {
		return fmt.Errorf("undo: %w", err)
	}
	s.notify()
	return nil
}

// Reopen puts a decided run back in the queue, keeping its draft, waiting
// and due as desk decided (review.Reopening): only while the run's due
// basis is as desk read it (else review.ErrRefused).
func (s *Store) Reopen(ctx context.Context, runID, actor string, ro review.Reopening) error {
	err := s.write(ctx, func(tx *txn) error {
		now := ms(s.now())
		kept, err := decidedOf(ctx, tx, runID)
		if err != nil {
			return err
		}
		meta := int64(-1)
		if ro.Basis.Meta != nil {
			meta = ms(*ro.Basis.Meta)
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET decision = '', decided_by = '', decided_at = NULL, rejection_note = '', reviewed_payload = NULL,
			status = 'NEEDS_REVIEW', queued_at = ?, version = version + 1, updated_at = ?, hold = '', hold_by = '', hold_note = '', hold_at = 0, hold_until = 0, due_at = ?
			WHERE id = ? AND decision != '' AND coalesce(due_meta, -1) = ?
			AND coalesce((SELECT within_ms FROM service_levels l WHERE l.workflow_id = runs.workflow_id), 0) = ?`,
			ms(ro.Queued), now, ms(ro.Due), runID, meta, int64(ro.Basis.Within/time.Millisecond))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var decision string
			err := tx.QueryRowContext(ctx, `SELECT decision FROM runs WHERE id = ?`, runID).Scan(&decision)
			if err != nil && !isNoRows(err) {
				return err
			}
			if decision != "" {
				return fmt.Errorf("run %s's due basis changed since its reopening was decided: %w", runID, review.ErrRefused)
			}
			return review.Errorf(review.ECONFLICT, "run %s was not decided here, so there is nothing to reopen", runID)
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action) VALUES (?, ?, ?, ?)`, runID, now, actor, review.ActionReopen); err != nil {
			return err
		}
		if err = keepDecided(ctx, tx, kept, -1); err != nil {
			return err
		}
		if err = unroll(ctx, tx, runID, kept); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM field_outcomes WHERE run_id = ?`, runID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM qa_samples WHERE run_id = ? AND qa_at IS NULL`, runID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM rule_failures WHERE run_id = ?`, runID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedDecision, runID, actor)
	})
	if err == nil {
		s.notify()
	}
	return err
}

// DiscardDraft drops every saved change of an undecided run, so it reads
// as the model gave it: the way back from a draft that no longer applies.
func (s *Store) DiscardDraft(ctx context.Context, runID, actor string) error {
	err := s.write(ctx, func(tx *txn) error {
		now := ms(s.now())
		res, err := tx.ExecContext(ctx, `UPDATE runs SET version = version + 1, last_editor = ?, last_edit_at = ? WHERE id = ? AND decision = ''`, actor, now, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ECONFLICT, "run %s is decided or does not exist; reopen it first", runID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE run_id = ?`, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (run_id, at, actor, action) VALUES (?, ?, ?, ?)`, runID, now, actor, review.ActionDiscard); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedEdit, runID, actor)
	})
	if err == nil {
		s.notify()
	}
	return err
}

// Audit returns a run's history, oldest first.
func (s *Store) Audit(ctx context.Context, runID string) ([]review.AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor, action, output_id, path, before, after, how, note, rules FROM audit WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []review.AuditEntry
	for rows.Next() {
		var a review.AuditEntry
		var at int64
		var before, after []byte
		var results string
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.OutputID, &a.Path, &before, &after, &a.How, &a.Note, &results); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if results != "" {
			if err := json.Unmarshal([]byte(results), &a.Rules); err != nil {
				return nil, fmt.Errorf("audit: rules of entry %d: %w", a.ID, err)
			}
		}
		a.At, a.Before, a.After = fromMS(at), before, after
		out = append(out, a)
	}
	return out, rows.Err()
}

// ReviewedPayload returns the payload sent on for a decided run.
func (s *Store) ReviewedPayload(ctx context.Context, runID string) (json.RawMessage, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT reviewed_payload FROM runs WHERE id = ?`, runID).Scan(&b)
	if err != nil && !isNoRows(err) {
		return nil, fmt.Errorf("reviewed payload: %w", err)
	}
	return b, nil
}

func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
