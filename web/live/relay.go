package live

import (
	"context"
	"log/slog"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Feed is the change feed the relay reads: every write appends to it in its
// transaction, and Changed is closed at the next commit that does.
type Feed interface {
	Changed() <-chan struct{}
	ChangesSince(ctx context.Context, seq int64, limit int) ([]review.FeedEntry, error)
	// Viewers returns who has a run open, on any instance.
	Viewers(ctx context.Context, runID string) ([]string, error)
}

// relayPage is how many changes the relay reads at a time.
const relayPage = 500

// Relay publishes every change of feed after seq to hub, in order, until
// ctx ends; then it closes the hub. The caller reads seq before it lets
// pages in: read here, a change a page made before the relay started
// (its own presence) was skipped, and the page never heard it. It reads the
// feed when woken by a commit, and every poll besides, for commits another
// process made (the CLI), which wake nothing here.
func Relay(ctx context.Context, feed Feed, hub *Hub, seq int64, poll time.Duration, log *slog.Logger) {
	defer hub.Close()
	for {
		wake := feed.Changed() // before reading: a commit meanwhile wakes the wait below
		for {
			changes, err := feed.ChangesSince(ctx, seq, relayPage)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("change feed", "err", err)
				}
				break
			}
			for _, ch := range changes {
				seq = ch.Seq
				if ch.Kind != review.FeedPresence {
					hub.Publish(FromFeed(ch))
					continue
				}
				// Only the pages on the run hear who is there.
				if viewers, err := feed.Viewers(ctx, ch.RunID); err == nil {
					hub.Present(ch.RunID, viewers)
				}
			}
			if len(changes) < relayPage {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(poll):
		}
	}
}

// FromFeed is a feed entry as pages receive it.
func FromFeed(ch review.FeedEntry) Message {
	return Message{Kind: ch.Kind, Seq: ch.Seq, RunID: ch.RunID, Actor: ch.Actor}
}
