package storage

import (
	"context"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// ClaimRun gives actor the run for lease, or renews actor's claim. A run
// that is not waiting for review, or that someone else holds, is
// review.ErrRefused.
func (s *Store) ClaimRun(ctx context.Context, runID, actor string, lease time.Duration) (review.Claim, error) {
	// A claim with more than half its lease left needs no write: reloading
	// a page or a heartbeat then costs a read, not a durable commit.
	var since, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(claimed_at, 0), claim_expires FROM runs WHERE id = ? AND claimed_by = ? AND status = 'NEEDS_REVIEW' AND decision = ''`, runID, actor).Scan(&since, &expires)
	if err == nil && fromMS(expires).Sub(s.now()) > lease/2 {
		return review.Claim{By: actor, Since: fromMS(since), Expires: fromMS(expires)}, nil
	}
	var c review.Claim
	fresh := false
	err = s.write(ctx, func(tx *txn) error {
		now := s.now()
		since, err := s.setClaim(ctx, tx, runID, "", `status = 'NEEDS_REVIEW'`, nil, actor, now, lease)
		if err != nil {
			return err
		}
		c = review.Claim{By: actor, Since: fromMS(since), Expires: now.Add(lease)}
		if fresh = since == ms(now); fresh { // the feed tells a new claim
			return s.logChange(ctx, tx, review.FeedClaim, runID, actor)
		}
		return nil
	})
	if err != nil {
		return review.Claim{}, err
	}
	if fresh {
		s.notify()
	}
	return c, nil
}

// setClaim claims a run for actor for lease in one conditional update, or
// renews actor's claim: only if the run is undecided, where holds (with
// args) and nobody else holds a live claim on it; set (if any) is written
// with it. It returns when actor's claim began (now, for a new claim), or
// review.ErrRefused if the run did not qualify; nothing is changed then.
func (s *Store) setClaim(ctx context.Context, tx *txn, runID, set, where string, args []any, actor string, now time.Time, lease time.Duration) (since int64, err error) {
	if set != "" {
		set += ", "
	}
	q := `UPDATE runs SET ` + set + `claimed_at = CASE WHEN claimed_by = ? AND claim_expires > ? THEN claimed_at ELSE ? END, claimed_by = ?, claim_expires = ?
		WHERE id = ? AND decision = '' AND ` + where + ` AND (claimed_by IN ('', ?) OR claim_expires <= ?) RETURNING claimed_at`
	all := append([]any{actor, ms(now), ms(now), actor, ms(now.Add(lease)), runID}, args...)
	err = tx.QueryRowContext(ctx, q, append(all, actor, ms(now))...).Scan(&since)
	if isNoRows(err) {
		return 0, review.ErrRefused
	}
	return since, err
}

// Next claims, for actor, the first run of the filter that nobody else
// holds. Two reviewers asking at once never get the same run: the choice
// and the claim are one write transaction, with SQLite's one writer or
// PostgreSQL's row lock on the run chosen, and the claim is conditional.
func (s *Store) Next(ctx context.Context, actor string, f review.QueueFilter, lease time.Duration) (string, error) {
	var runID string
	err := s.write(ctx, func(tx *txn) error {
		now := s.now()
		where, args, err := queueWhere(ctx, tx, f, now)
		if err != nil {
			return err
		}
		where += " AND (claimed_by = '' OR claimed_by = ? OR claim_expires <= ?)"
		args = append(args, actor, ms(now))
		q := `SELECT id FROM runs WHERE ` + where + ` ORDER BY ` + queueOrder(f.Sort) + ` LIMIT 1`
		if tx.pg {
			// Instances choose at once: each skips the runs another is
			// claiming this moment, instead of refusing on the same one.
			q += ` FOR UPDATE SKIP LOCKED`
		}
		err = tx.QueryRowContext(ctx, q, args...).Scan(&runID)
		if isNoRows(err) {
			return review.Errorf(review.ENOTFOUND, "Nothing is waiting for review in this view.")
		}
		if err != nil {
			return err
		}
		if _, err := s.setClaim(ctx, tx, runID, "", `status = 'NEEDS_REVIEW'`, nil, actor, now, lease); err != nil {
			return err
		}
		return s.logChange(ctx, tx, review.FeedClaim, runID, actor)
	})
	if err != nil {
		return "", err
	}
	s.notify()
	return runID, nil
}

// Release gives a run back. Only its holder releases it, unless force (a
// supervisor).
func (s *Store) Release(ctx context.Context, runID, actor string, force bool) error {
	err := s.write(ctx, func(tx *txn) error {
		q := `UPDATE runs SET claimed_by = '', claimed_at = NULL, claim_expires = 0 WHERE id = ? AND claimed_by != ''`
		args := []any{runID}
		if !force {
			q += ` AND claimed_by = ?`
			args = append(args, actor)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing held: releasing twice is fine
		}
		return s.logChange(ctx, tx, review.FeedClaim, runID, actor)
	})
	if err == nil {
		s.notify()
	}
	return err
}

// Reassign hands a run waiting for review to another person (a
// supervisor's move; the audit of who did it is the supervisor's request
// log), as desk read them: only while their account is still enabled, and
// the run still waits, else review.ErrRefused and nothing is changed.
func (s *Store) Reassign(ctx context.Context, runID string, to review.User, actor string, lease time.Duration) error {
	err := s.write(ctx, func(tx *txn) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE runs SET claimed_by = ?, claimed_at = ?, claim_expires = ? WHERE id = ? AND decision = '' AND status = 'NEEDS_REVIEW'
			AND EXISTS (SELECT 1 FROM users WHERE id = ? AND disabled = 0)`,
			to.Email, ms(now), ms(now.Add(lease)), runID, to.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.ErrRefused
		}
		return s.logChange(ctx, tx, review.FeedClaim, runID, actor)
	})
	if err == nil {
		s.notify()
	}
	return err
}
