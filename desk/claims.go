package desk

import (
	"context"
	"errors"
	"strings"

	"github.com/reviewer-app/reviewer/review"
)

// Claim claims a run for actor, or renews their claim (the open page's
// heartbeat), for review.ClaimLease. A run someone else holds answers
// ECONFLICT with the holder's claim.
func (d *Desk) Claim(ctx context.Context, runID, actor string) (review.Claim, error) {
	c, err := d.store.ClaimRun(ctx, runID, actor, review.ClaimLease)
	if !errors.Is(err, review.ErrRefused) {
		return c, err
	}
	run, rerr := d.store.Run(ctx, runID)
	if rerr != nil {
		return review.Claim{}, rerr
	}
	rv, rerr := d.store.Review(ctx, runID)
	if rerr != nil {
		return review.Claim{}, rerr
	}
	if why := review.WhyNotClaimed(run.Status, rv, actor, d.now(), d.namer(ctx)); why != nil {
		return rv.Claim, why
	}
	return review.Claim{}, err
}

// Next claims for actor the first run of the filter that nobody else holds;
// two reviewers asking at once never get the same run.
func (d *Desk) Next(ctx context.Context, actor string, f review.QueueFilter) (string, error) {
	return d.store.Next(ctx, actor, f, review.ClaimLease)
}

// Release gives a run back, or hands it to another person (to). Only a
// supervisor hands runs over or releases another person's claim (force).
func (d *Desk) Release(ctx context.Context, runID string, by *review.User, force bool, to string) error {
	supervisor := by.Role.AtLeast(review.RoleSupervisor)
	if to != "" {
		if !supervisor {
			return review.Errorf(review.EFORBIDDEN, "Only supervisors reassign runs.")
		}
		return d.reassign(ctx, runID, to, by.Email)
	}
	return d.store.Release(ctx, runID, by.Email, supervisor && force)
}

// reassign hands a run to the person whose account the email names, by
// that account's own email (the claim is theirs whatever case the
// supervisor typed), while it is enabled: the store's write holds that
// condition, so an account disabled after this read is not given the run.
func (d *Desk) reassign(ctx context.Context, runID, to, actor string) error {
	u, err := d.assignable(ctx, to)
	if err != nil {
		return err
	}
	err = d.store.Reassign(ctx, runID, u, actor, review.ClaimLease)
	if !errors.Is(err, review.ErrRefused) {
		return err
	}
	if _, err := d.assignable(ctx, u.Email); err != nil {
		return err
	}
	return review.Errorf(review.ECONFLICT, "This run is not waiting for review.")
}

// assignable reads the person an email names, if a run may be handed to
// them: they have an account, and it is enabled.
func (d *Desk) assignable(ctx context.Context, email string) (review.User, error) {
	a, err := d.store.Account(ctx, strings.TrimSpace(email))
	switch {
	case review.ErrorCode(err) == review.ENOTFOUND || (err == nil && a.Disabled):
		return review.User{}, review.Errorf(review.EINVALID, "Nobody with the email %s can sign in: a run is handed to a person with an account.", email)
	case err != nil:
		return review.User{}, err
	}
	return a.User, nil
}

// ClaimFor claims a run for a person, as Claim does; a run sent to a
// supervisor is claimed by supervisors only: a reviewer reads it.
func (d *Desk) ClaimFor(ctx context.Context, runID string, by *review.User) (review.Claim, error) {
	if !by.Role.AtLeast(review.RoleSupervisor) {
		rv, err := d.store.Review(ctx, runID)
		if err != nil {
			return review.Claim{}, err
		}
		if rv.Hold.Kind == review.HoldEscalated && rv.Decision == "" {
			return review.Claim{}, review.Errorf(review.EFORBIDDEN, "This run was sent to a supervisor: a supervisor decides it now.")
		}
	}
	return d.Claim(ctx, runID, by.Email)
}
