package desk

import (
	"context"

	"github.com/reviewer-app/reviewer/review"
)

// SignIn starts a session for a user who just proved who they are, and
// ends the session the browser held before (an id planted before sign-in
// is worthless after it), in one transaction. It returns the new
// session's id.
func (d *Desk) SignIn(ctx context.Context, userID int64, previous string) (string, error) {
	var id string
	err := d.store.Atomically(ctx, func(ctx context.Context) (err error) {
		if previous != "" {
			if err := d.store.DeleteSession(ctx, previous); err != nil {
				return err
			}
		}
		id, err = d.store.CreateSession(ctx, userID)
		return err
	})
	return id, err
}

// SignOut ends a session: its holder signed out, or it was idle or lived
// too long.
func (d *Desk) SignOut(ctx context.Context, id string) error {
	return d.store.DeleteSession(ctx, id)
}

// Receive makes a webhook event durable before it is answered; desk.Arrive
// applies it. fresh is false for an event received before.
func (d *Desk) Receive(ctx context.Context, ev review.Event, body []byte) (fresh bool, err error) {
	return d.store.AppendEvent(ctx, ev, body)
}
