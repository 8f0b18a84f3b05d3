package desk

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Escalate sends a run to the supervisors with the reason (a rule blocks
// it, the document is unreadable, the vendor is unknown): it leaves the
// queue for the escalation queue, and its holder's hands.
func (d *Desk) Escalate(ctx context.Context, runID string, by *review.User, reason string) error {
	return d.hold(ctx, runID, review.Hold{Kind: review.HoldEscalated, By: by.Email, Note: review.Note(reason)})
}

// Postpone puts a run off until a time, with the reason: it leaves the
// queue, and is back in it by itself once the time has come. Past the
// run's due time only a supervisor postpones it, saying so (pastDue;
// review.CheckPastDue).
func (d *Desk) Postpone(ctx context.Context, runID string, by *review.User, reason string, until time.Time, pastDue bool) error {
	h := review.Hold{Kind: review.HoldPostponed, By: by.Email, Note: review.Note(reason), Until: until.UTC()}
	if err := review.CheckHold(h, d.now()); err != nil {
		return err
	}
	rv, err := d.store.Review(ctx, runID)
	if err != nil {
		return err
	}
	if err := review.CheckPastDue(h.Until, rv.Due, by.Role, pastDue); err != nil {
		return err
	}
	return d.hold(ctx, runID, h)
}

func (d *Desk) hold(ctx context.Context, runID string, h review.Hold) error {
	if err := review.CheckHold(h, d.now()); err != nil {
		return err
	}
	err := d.store.Hold(ctx, runID, h)
	if !errors.Is(err, review.ErrRefused) {
		return err
	}
	run, rerr := d.store.Run(ctx, runID)
	if rerr != nil {
		return rerr
	}
	rv, rerr := d.store.Review(ctx, runID)
	if rerr != nil {
		return rerr
	}
	if why := review.WhyNotClaimed(run.Status, rv, h.By, d.now(), d.namer(ctx)); why != nil {
		return why
	}
	return err
}

// Resume puts a held run back in the queue before its time: a postponed
// run by anyone, an escalated one by a supervisor.
func (d *Desk) Resume(ctx context.Context, runID string, by *review.User) error {
	rv, err := d.store.Review(ctx, runID)
	if err != nil {
		return err
	}
	if rv.Hold.Kind == review.HoldEscalated && !by.Role.AtLeast(review.RoleSupervisor) {
		return review.Errorf(review.EFORBIDDEN, "Only a supervisor puts an escalated run back in the queue.")
	}
	return d.store.Resume(ctx, runID, by.Email)
}

// AlertBatch bounds the alerts told per look: each is a write
// transaction, and the rest wait for the next look.
const AlertBatch = 100

// AlertEvery is how often the watcher looks for runs past their due time
// and idle claims: a due time is told within this of passing.
const AlertEvery = 30 * time.Second

// TellAlerts tells the destinations that subscribed to them of the runs
// that passed their due time and the claims gone idle (Thresholds.Idle),
// each once, and
// says how many it told.
func (d *Desk) TellAlerts(ctx context.Context) (int, error) {
	t, err := d.Thresholds(ctx)
	if err != nil {
		return 0, err
	}
	alerts, err := d.store.Alerts(ctx, t.Idle, AlertBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range alerts {
		out, err := review.AlertEvent(a)
		if err != nil {
			return n, err
		}
		// Alerts go only to destinations that name them: one taking every
		// event would not expect them.
		var told bool
		err = d.sendOn(ctx, &out, func(x review.Destination) bool {
			return slices.Contains(x.Events, a.Type) && x.Wants(a.Type, a.WorkflowID)
		}, func() (err error) {
			told, err = d.store.TellAlert(ctx, a, out)
			return err
		})
		if err != nil {
			return n, err
		}
		if told {
			n++
		}
	}
	return n, nil
}

// WatchAlerts tells alerts every AlertEvery until ctx ends; a look that
// fails is reported to failed and tried again at the next.
func (d *Desk) WatchAlerts(ctx context.Context, failed func(error)) {
	for {
		if _, err := d.TellAlerts(ctx); err != nil && ctx.Err() == nil {
			failed(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(AlertEvery):
		}
	}
}
