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

// DueSoon is how close to its due time a run is marked as close to due.
const DueSoon = time.Hour

// MaxServiceLevel bounds a workflow's service level: a year is no longer
// a due time.
const MaxServiceLevel = 365 * 24 * time.Hour

// Due states of a run waiting for review.
const (
	DueLate = "late"
	DueNear = "soon"
)

// DueState says whether a run due at due is late, close to due, or
// neither ("") at now; a run with no due time is neither.
func DueState(due, queued time.Time, now time.Time) string {
	switch {
	case due.IsZero() || !HasDue(due, queued):
		return ""
	case !due.After(now):
		return DueLate
	case due.Sub(now) <= DueSoon:
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

// ParseServiceLevel reads a service level as an admin writes it: "4h",
// "90m", "2d" (days), "1d12h"; none ("") means none.
func ParseServiceLevel(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 365 {
			return 0, Errorf(EINVALID, "A service level is a time such as 4h, 90m or 2d.")
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, Errorf(EINVALID, "A service level is a time such as 4h, 90m or 2d.")
		}
		rest = d
	}
	d := days + rest
	if d < time.Minute || d > MaxServiceLevel {
		return 0, Errorf(EINVALID, "A service level is at least a minute and at most a year.")
	}
	return d, nil
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
// 2 h 5 min", "due in 20 min", "due 8 Dec 17:00 UTC", or "" with none.
func DueText(due, queued, now time.Time) string {
	if !HasDue(due, queued) {
		return ""
	}
	switch DueState(due, queued, now) {
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
