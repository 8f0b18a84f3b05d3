package review

import "time"

// ClaimLease is how long a claim lasts without the open page renewing it.
const ClaimLease = 2 * time.Minute

// Claim is who holds a run, since when and until when.
type Claim struct {
	By      string
	Since   time.Time
	Expires time.Time
}

// QueueFilter selects runs of the review queue.
type QueueFilter struct {
	WorkflowID    string
	FileType      string
	Assignee      string // a reviewer's email, or "-" for runs nobody holds
	MaxConfidence *float64
	OlderThan     time.Duration
	Search        string    // a run id, or words each beginning a word of the run (SearchText)
	RunIDs        []string  // exactly these runs (a live update of their rows)
	View          string    // "" (the queue), ViewEscalated or ViewPostponed
	Sort          string    // due (default: the first due first), oldest, newest, confidence
	DueBefore     time.Time // only runs due by then (the breach board)
	After         string    // cursor from the previous page
	Limit         int
}

// CheckView refuses a view the queue does not have, with the ones it has.
func (f QueueFilter) CheckView() error {
	if f.View != "" && f.View != ViewEscalated && f.View != ViewPostponed {
		return Errorf(EINVALID, "view is empty (the queue), %s or %s", ViewEscalated, ViewPostponed)
	}
	return nil
}

// ErrRefused is a change the run's state did not allow when it was
// written: the draft had moved on, the run was decided, or someone else
// held it. Storage answers it from a conditional write; WhyRefused says
// which, from the state read afterwards.
var ErrRefused = Errorf(ECONFLICT, "This run changed after you opened it. Reload to see the latest values; your last change was not saved.")

// WhyRefused says why actor may not change a run in status with review
// state rv from the draft version they saw, or nil if they may. Who may
// change a run: anyone, while it is undecided, its draft is at the version
// they saw, and nobody else holds a live claim on it. name names a person
// by their email, as the page names them.
func WhyRefused(status Status, rv Review, version int, actor string, now time.Time, name func(email string) string) error {
	if rv.Decision != "" {
		return Errorf(ECONFLICT, "This run was %s already; an admin can reopen it.", rv.Decision)
	}
	if status.Decided() {
		return Errorf(ECONFLICT, "Extend reports this run %s: it was decided outside reviewer and can no longer be changed here.", status)
	}
	if rv.Version != version {
		when := ""
		if rv.LastEditAt != nil {
			when = " at " + rv.LastEditAt.UTC().Format("15:04:05 UTC")
		}
		switch rv.LastEditor {
		case actor:
			return Errorf(ECONFLICT, "You changed this run in another tab or window%s, after this page opened it. Reload to see the latest values; your last change here was not saved.", when)
		case "":
			return Errorf(ECONFLICT, "Someone changed this run%s, after you opened it. Reload to see the latest values; your last change was not saved.", when)
		}
		return Errorf(ECONFLICT, "%s changed this run%s, after you opened it. Reload to see the latest values; your last change was not saved.", name(rv.LastEditor), when)
	}
	if rv.Claim.HeldByOther(actor, now) {
		return Errorf(ECONFLICT, "%s is working on this run; you can read it but not change it.", name(rv.Claim.By))
	}
	return nil
}

// MayTurn says why actor may not turn the pages of a run in status with
// review state rv, or nil if they may: whoever may edit the run, while it
// is undecided and nobody else holds it.
func MayTurn(status Status, rv Review, actor string, now time.Time) error {
	switch {
	case rv.Decision != "" || status.Decided():
		return Errorf(EFORBIDDEN, "This run is decided: its pages are turned only while it is reviewed.")
	case rv.Claim.HeldByOther(actor, now):
		return Errorf(EFORBIDDEN, "%s is working on this run: only they turn its pages now.", rv.Claim.By)
	}
	return nil
}

// WhyNotClaimed says why actor cannot claim a run in status with review
// state rv, or nil if they can: only undecided runs waiting for review are
// claimed, and not while someone else holds them.
func WhyNotClaimed(status Status, rv Review, actor string, now time.Time, name func(email string) string) error {
	if status != StatusNeedsReview || rv.Decision != "" {
		return Errorf(ECONFLICT, "This run is not waiting for review.")
	}
	if rv.Claim.HeldByOther(actor, now) {
		return Errorf(ECONFLICT, "%s is working on this run", name(rv.Claim.By))
	}
	return nil
}

// HeldByOther reports whether someone other than actor holds a live claim.
func (c Claim) HeldByOther(actor string, now time.Time) bool {
	return c.By != "" && c.By != actor && c.Expires.After(now)
}

// DecidedStatuses are the final statuses (Status.Decided), for stores that
// write the rule into a conditional update.
func DecidedStatuses() []Status {
	return []Status{StatusProcessed, StatusRejected, StatusFailed, StatusCancelled}
}
