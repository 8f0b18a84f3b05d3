package review

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// NoDue is how far after it began to wait a run with no due time is
// placed in the queue's order by due time: after every run that has one,
// the oldest first, in one indexed key.
const NoDue = 100 * 365.25 * 24 * time.Hour

// DueFieldSetting names the setting that holds the metadata field in
// which Extend sends a run's due time.
const DueFieldSetting = "due_field"

// DueSoon is how close to its due time a run is marked as close to due,
// unless an admin sets otherwise (Thresholds.Soon).
const DueSoon = time.Hour

// Thresholds are how close to its due time a run is marked as close to due
// (the queue's marks, the Late board), and how long a held run may go
// without a change before its claim is idle (the idle alert). An admin
// sets them in Settings; DefaultThresholds otherwise.
type Thresholds struct {
	Soon, Idle time.Duration
}

// DefaultThresholds are the thresholds nobody has set.
var DefaultThresholds = Thresholds{Soon: DueSoon, Idle: IdleAfter}

// Settings that hold the thresholds, as durations ("1h0m0s").
const (
	DueSoonSetting   = "due_soon"
	IdleAfterSetting = "idle_after"
)

// The thresholds' ranges: closer than a minute marks nothing in time to
// act, and a week ahead marks every run of a normal service level; an idle
// claim is one a reviewer left, not one they are reading (a minute at
// least), and a claim lapses long before a day.
const (
	MinDueSoon   = time.Minute
	MaxDueSoon   = 7 * 24 * time.Hour
	MinIdleAfter = time.Minute
	MaxIdleAfter = 24 * time.Hour
)

// ParseThresholds reads the thresholds as an admin writes them ("1h",
// "90m", "2d"), each checked against its range.
func ParseThresholds(soon, idle string) (Thresholds, error) {
	var t Thresholds
	var err error
	if t.Soon, err = parseSpan(soon); err != nil {
		t.Soon = -1 // out of range: Check says what is wanted
	}
	if t.Idle, err = parseSpan(idle); err != nil {
		t.Idle = -1
	}
	return t, t.Check()
}

// Check says whether each threshold is within its range.
func (t Thresholds) Check() error {
	if t.Soon < MinDueSoon || t.Soon > MaxDueSoon {
		return Errorf(EINVALID, "Close to due is a time from %s to %s, such as 1h or 20m.", Short(MinDueSoon), Short(MaxDueSoon))
	}
	if t.Idle < MinIdleAfter || t.Idle > MaxIdleAfter {
		return Errorf(EINVALID, "Idle after is a time from %s to %s, such as 15m.", Short(MinIdleAfter), Short(MaxIdleAfter))
	}
	return nil
}

// ReadThresholds reads the stored settings, the default for one unset or
// out of range.
func ReadThresholds(soon, idle string) Thresholds {
	t := DefaultThresholds
	if d, err := time.ParseDuration(soon); err == nil && (Thresholds{d, t.Idle}).Check() == nil {
		t.Soon = d
	}
	if d, err := time.ParseDuration(idle); err == nil && (Thresholds{t.Soon, d}).Check() == nil {
		t.Idle = d
	}
	return t
}

// Short writes a duration as an admin would: "1m", "2h", "7d".
func Short(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// MaxServiceLevel bounds a workflow's service level: a year is no longer
// a due time.
const MaxServiceLevel = 365 * 24 * time.Hour

// Due states of a run waiting for review.
const (
	DueLate = "late"
	DueNear = "soon"
)

// DueState says whether a run due at due is late, close to due (within
// soon), or neither ("") at now; a run with no due time is neither.
func DueState(due, queued time.Time, now time.Time, soon time.Duration) string {
	switch {
	case due.IsZero() || !HasDue(due, queued):
		return ""
	case !due.After(now):
		return DueLate
	case due.Sub(now) <= soon:
		return DueNear
	}
	return ""
}

// HasDue tells a real due time from the place NoDue gives a run with none.
func HasDue(due, queued time.Time) bool {
	return !due.IsZero() && due.Before(queued.Add(NoDue/2))
}

// DueAt is when a run waiting since queued is due: the time Extend sent
// in metadata (meta, when set), else queued plus its workflow's service
// level (within, when set), else NoDue after queued.
func DueAt(queued time.Time, meta *time.Time, within time.Duration) time.Time {
	switch {
	case meta != nil:
		return *meta
	case within > 0:
		return queued.Add(within)
	}
	return queued.Add(NoDue)
}

// DueBasis is what a run's due time is decided on besides since when it
// waits: the time Extend sent (nil: none) and its workflow's service
// level (0: none).
type DueBasis struct {
	Meta   *time.Time
	Within time.Duration
}

// Reopening is when a reopened run waits since and is due (DueAt, the rule
// an arriving run is due by), and what that was decided on: the store
// writes it only while the run's due basis is still Basis.
type Reopening struct {
	Queued time.Time
	Due    time.Time
	Basis  DueBasis
}

// Reopen decides a run reopened at now waits since then and is due as
// DueAt says, to the millisecond as times are kept.
func Reopen(now time.Time, basis DueBasis) Reopening {
	queued := toMilli(now)
	return Reopening{Queued: queued, Due: toMilli(DueAt(queued, basis.Meta, basis.Within)), Basis: basis}
}

// Waiting is a run waiting for review, with no due time from Extend, as
// read where its due time is decided again: since when it waits and when
// it is due.
type Waiting struct {
	RunID  string
	Queued time.Time
	Due    time.Time
}

// DueMove is a waiting run's new due time and the run as read when it was
// decided: the store writes it only while the run still waits as read.
type DueMove struct {
	Read Waiting
	Due  time.Time
}

// MoveDue decides the due times of waiting runs under a service level
// (within; 0 none) by DueAt: the runs whose due time changes.
func MoveDue(runs []Waiting, within time.Duration) []DueMove {
	var out []DueMove
	for _, w := range runs {
		if due := toMilli(DueAt(w.Queued, nil, within)); !due.Equal(w.Due) {
			out = append(out, DueMove{Read: w, Due: due})
		}
	}
	return out
}

// ParseServiceLevel reads a service level as an admin writes it: "4h",
// "90m", "2d" (days), "1d12h"; none ("") means none.
func ParseServiceLevel(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	d, err := parseSpan(s)
	if err != nil {
		return 0, Errorf(EINVALID, "A service level is a time such as 4h, 90m or 2d.")
	}
	if d < time.Minute || d > MaxServiceLevel {
		return 0, Errorf(EINVALID, "A service level is at least a minute and at most a year.")
	}
	return d, nil
}

// parseSpan reads a time as an admin writes it: Go's durations ("4h",
// "90m") with days in front ("2d", "1d12h").
func parseSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 365 {
			return 0, strconv.ErrSyntax
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if s == "" {
		return days, nil
	}
	d, err := time.ParseDuration(s)
	return days + d, err
}

// DueFromMetadata reads the due time Extend sent in the run's metadata
// field named field: ISO 8601 with a time zone (2026-12-08T17:00:00Z), or
// a date, due by its end (UTC). Anything else is no due time.
func DueFromMetadata(raw json.RawMessage, field string) (time.Time, bool) {
	if field == "" {
		return time.Time{}, false
	}
	var run struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if json.Unmarshal(raw, &run) != nil {
		return time.Time{}, false
	}
	var s string
	if json.Unmarshal(run.Metadata[field], &s) != nil {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.Year() >= 2000 && t.Year() < 3000 {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil && t.Year() >= 2000 && t.Year() < 3000 {
		return t.AddDate(0, 0, 1), true
	}
	return time.Time{}, false
}

// DueText says in words how a run stands against its due time: "late by
// 2 h 5 min", "due in 20 min" (within soon), "due 8 Dec 17:00 UTC", or ""
// with none.
func DueText(due, queued, now time.Time, soon time.Duration) string {
	if !HasDue(due, queued) {
		return ""
	}
	switch DueState(due, queued, now, soon) {
	case DueLate:
		return "late by " + span(now.Sub(due))
	case DueNear:
		return "due in " + span(due.Sub(now))
	}
	return "due " + due.UTC().Format("2 Jan 15:04 UTC")
}

// span is a duration in hours and minutes, at least a minute.
func span(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 1:
		return "1 min"
	case m < 60:
		return strconv.Itoa(m) + " min"
	case m%60 == 0:
		return strconv.Itoa(m/60) + " h"
	}
	return strconv.Itoa(m/60) + " h " + strconv.Itoa(m%60) + " min"
}
