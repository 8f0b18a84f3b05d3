package review

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Hold is why a run waiting for review is out of the queue: a reviewer
// sent it to a supervisor (escalated), or put it off until a time
// (postponed), with the reason they gave. A postponed run is back in the
// queue once Until has passed, without anyone acting.
type Hold struct {
	Kind  string    `json:"kind"` // HoldEscalated or HoldPostponed
	By    string    `json:"by"`
	Note  string    `json:"reason"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until,omitzero"` // a postponement's end
}

// Kinds of hold.
const (
	HoldEscalated = "escalated"
	HoldPostponed = "postponed"
)

// Views of the queue besides the default one (runs held by nothing, and
// postponed runs whose time has come).
const (
	ViewEscalated = "escalated"
	ViewPostponed = "postponed"
	ViewAll       = "all" // every run waiting for review, held or not
)

// MaxHoldNote bounds a hold's reason: a sentence or a paragraph for a
// supervisor, kept in the run's history.
const MaxHoldNote = 2000

// MaxPostpone bounds how far ahead a run may be put off: a run postponed
// for longer is forgotten, not postponed; a supervisor can reject it.
const MaxPostpone = 30 * 24 * time.Hour

// Active says whether the hold keeps the run out of the queue at now.
func (h Hold) Active(now time.Time) bool {
	switch h.Kind {
	case HoldEscalated:
		return true
	case HoldPostponed:
		return h.Until.After(now)
	}
	return false
}

// CheckHold says whether h can be put on a run at now: it needs a reason,
// and a postponement a time ahead, within MaxPostpone.
func CheckHold(h Hold, now time.Time) error {
	note := strings.TrimSpace(h.Note)
	switch {
	case h.Kind != HoldEscalated && h.Kind != HoldPostponed:
		return Errorf(EINVALID, "A run is sent to a supervisor or postponed.")
	case note == "" && h.Kind == HoldEscalated:
		return Errorf(EINVALID, "Sending a run to a supervisor needs a reason.")
	case note == "":
		return Errorf(EINVALID, "Postponing a run needs a reason.")
	case utf8.RuneCountInString(note) > MaxHoldNote:
		return Errorf(EINVALID, "The reason is longer than %d characters.", MaxHoldNote)
	case h.Kind == HoldPostponed && !h.Until.After(now):
		return Errorf(EINVALID, "A run is postponed until a time still to come.")
	case h.Kind == HoldPostponed && h.Until.After(now.Add(MaxPostpone)):
		return Errorf(EINVALID, "A run is postponed for at most %d days.", int(MaxPostpone/(24*time.Hour)))
	}
	return nil
}

// CheckPastDue says whether someone of role may postpone a run due at due
// (zero: none) until until. Up to its due time anyone may. Past it, the
// run is made late on purpose, against what the team promised: a reviewer
// is refused and pointed to a supervisor (who answers for the due times,
// and can escalate the run), and a supervisor must say they mean it
// (confirmed), so that no choice in a list makes a run late unnoticed.
func CheckPastDue(until, due time.Time, role Role, confirmed bool) error {
	if due.IsZero() || !until.After(due) {
		return nil
	}
	at := due.UTC().Format("2 Jan 2006 15:04 UTC")
	if !role.AtLeast(RoleSupervisor) {
		return Errorf(EFORBIDDEN, "This run is due %s; postponing it past its due time is a supervisor's call. Choose an earlier time, or send it to a supervisor; nothing was saved.", at)
	}
	if !confirmed {
		return Errorf(EINVALID, "This run is due %s: postponed until %s it would be late. Confirm postponing it past its due time to do so; nothing was saved.", at, until.UTC().Format("2 Jan 2006 15:04 UTC"))
	}
	return nil
}

// Sentence says what the hold is, for a person: "Sent to a supervisor by
// ana@…: the VAT number is unreadable." or "Postponed by ana@… until 7 Dec
// 2026 15:00 UTC: waiting for the vendor's credit note."
func (h Hold) Sentence(name func(email string) string) string {
	if h.Kind == HoldEscalated {
		return "Sent to a supervisor by " + name(h.By) + ": " + h.Note
	}
	return "Postponed by " + name(h.By) + " until " + h.Until.UTC().Format("2 Jan 2006 15:04 UTC") + ": " + h.Note
}

// Note is a person's note (a hold's reason, a rejection's) as kept: without
// the spaces around it, control characters other than line breaks and
// tabs, and the bidirectional embeddings, overrides and isolates (U+202A to
// U+202E, U+2066 to U+2069) that would make it read otherwise on a page
// than it was written (a reason that seems to say the reverse).
func Note(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s))
}
