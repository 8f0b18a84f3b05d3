package desk

import (
	"context"
	"errors"

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
		return d.store.Reassign(ctx, runID, to, by.Email, review.ClaimLease)
	}
	return d.store.Release(ctx, runID, by.Email, supervisor && force)
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
