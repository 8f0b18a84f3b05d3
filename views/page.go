package views

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
)

// Page is what every full page needs: the title, who is signed in, which
// navigation entry is current, and the asset URL function.
type Page struct {
	Title  string
	User   *review.User
	Nav    string
	Asset  func(name string) string
	People People
	Frame  Frame   // what a page adds to the shared frame; most add nothing
	Undo   *UndoVM // a decision just made, which may still be taken back
	Held   *HeldVM // a run just sent to a supervisor or postponed
	// Escalated is how many runs wait for a supervisor, told to
	// supervisors on every page.
	Escalated int64
}

// HeldVM is a run the signed-in person just sent to a supervisor or
// postponed, said on the page they went on to, with the way back to it.
type HeldVM struct {
	RunID, Name string
	Hold        review.Hold
}

// UndoVM is a decision the signed-in person just made: shown on the page
// they went on to, with the way to take it back until Until.
type UndoVM struct {
	RunID, Name string
	Decision    string // approved or rejected
	Until       time.Time
}

// Frame is what a page adds to the frame every page shares: its scripts,
// the body's class and data, the main area's class, and where the skip
// link leads.
type Frame struct {
	Scripts   []string         // asset names of modules beyond app.js
	BodyClass string           //
	Body      templ.Attributes // data the page's scripts read
	MainClass string           // "content" when empty
	SkipTo    string           // the skip link's target; #main when empty
	SkipLabel string
}

// People names people for display by their email: their name where they
// gave one (the email shows on hover), their email otherwise.
type People func(email string) string

// Name is the display name of email; nil People shows emails.
func (p People) Name(email string) string {
	if p == nil {
		return email
	}
	return p(email)
}

// Band names the colour band of a 0..1 confidence as Percent shows it:
// high, mid or low. A confidence shown as 90% is never coloured below it.
func Band(c float64) string {
	switch p := math.Round(c * 100); {
	case p >= 90:
		return "high"
	case p >= 70:
		return "mid"
	}
	return "low"
}

// Percent renders a 0..1 confidence as the nearest whole percentage
// (0.58 is 58%, though 0.58*100 is 57.99... in floating point).
func Percent(c float64) string { return fmt.Sprintf("%.0f%%", math.Round(c*100)) }

// Count says n of a thing, its noun agreeing: "1 rule", "2 rules".
func Count(n int, one, many string) string { return review.Count(n, one, many) }

// Counted says a count that may have stopped short: "12", or "10000+"
// when there are more than n.
func Counted(n int64, more bool) string {
	if more {
		return strconv.FormatInt(n, 10) + "+"
	}
	return strconv.FormatInt(n, 10)
}

// age renders a duration the way a queue reads: 45s, 12m, 3h 5m, 2d 4h.
func age(since time.Time, now time.Time) string {
	d := now.Sub(since)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Path builds a same-site path from segments, each path-escaped, so an id
// holding "/", "..", "?" or "#" stays one segment: Path("runs", id,
// "approve") is /runs/<id>/approve. Every link and form action built from an
// id goes through it.
func Path(segments ...string) templ.SafeURL {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return templ.SafeURL(b.String())
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
