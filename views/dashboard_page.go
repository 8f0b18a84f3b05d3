package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
)

// DashboardPageVM is the supervisor dashboard.
type DashboardPageVM struct {
	Page
	D review.Dashboard
}

// CorrectedRunsVM lists the runs behind a correction rate.
type CorrectedRunsVM struct {
	Page
	Workflow, Path string
	Runs           []review.RunSummary
	Now            time.Time
}

// bar is one bar of an SVG chart, in the chart's coordinates; Labelled
// says whether its label is written (on a crowded axis, every third).
type bar struct {
	X, Y, W, H float64
	Labelled   bool
	review.Bucket
}

// Chart margins: the value axis on the left, the labels below, room above
// the tallest bar for its count.
const (
	chartLeft   = 26.0
	chartBottom = 16.0
	chartTop    = 12.0
)

// tick is a value on the chart's value axis, at height Y.
type tick struct {
	Y     float64
	Value int
}

// bars lays out buckets in a width×height chart with room for the axes.
func bars(bs []review.Bucket, width, height float64) []bar {
	top := chartMax(bs)
	w := (width - chartLeft) / float64(len(bs))
	every := 1
	if len(bs) > 12 {
		every = 3
	}
	out := make([]bar, len(bs))
	for i, b := range bs {
		h := (height - chartBottom - chartTop) * float64(b.Count) / float64(top)
		labelled := (len(bs)-1-i)%every == 0 // the latest always
		out[i] = bar{X: chartLeft + float64(i)*w + 2, Y: height - chartBottom - h, W: w - 4, H: h, Labelled: labelled, Bucket: b}
	}
	return out
}

// ticks are the value axis's marks: zero, the middle (when a whole
// number) and the top.
func ticks(bs []review.Bucket, height float64) []tick {
	top := chartMax(bs)
	at := func(v int) tick {
		return tick{Y: height - chartBottom - (height-chartBottom-chartTop)*float64(v)/float64(top), Value: v}
	}
	out := []tick{at(0)}
	if top%2 == 0 && top > 2 {
		out = append(out, at(top/2))
	}
	return append(out, at(top))
}

func chartMax(bs []review.Bucket) int {
	top := 1
	for _, b := range bs {
		top = max(top, b.Count)
	}
	return top
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

func correctionsLink(workflowID, path string) templ.SafeURL {
	return templ.SafeURL("/dashboard/corrections?" + url.Values{"workflow": {workflowID}, "path": {path}}.Encode())
}

func duration(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return pair(int(d.Minutes()), "m", int(d.Seconds())%60, "s")
	}
	return pair(int(d.Hours()), "h", int(d.Minutes())%60, "m")
}

// pair writes a duration's two units, the smaller only when not zero:
// "4h", not "4h 0m".
func pair(big int, bigUnit string, small int, smallUnit string) string {
	if small == 0 {
		return fmt.Sprintf("%d%s", big, bigUnit)
	}
	return fmt.Sprintf("%d%s %d%s", big, bigUnit, small, smallUnit)
}

func sumCounts(bs []review.Bucket) int {
	n := 0
	for _, b := range bs {
		n += b.Count
	}
	return n
}

// chartSummary says a chart in words, for those who do not see it: its
// title, then each bar's label and count ("Decisions per day: Mon 3, Tue 0").
func chartSummary(title string, bs []review.Bucket) string {
	if sumCounts(bs) == 0 {
		return title + ": none yet"
	}
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		parts = append(parts, b.Label+" "+strconv.Itoa(b.Count))
	}
	return title + ": " + strings.Join(parts, ", ")
}

// sendingLabel names a kind of outbox item as the dashboard lists it.
func sendingLabel(kind string) string {
	switch kind {
	case review.OutboxDelivery:
		return "Decisions to your destinations"
	case review.OutboxEvalItem:
		return "Corrections to Extend's evaluation sets"
	case review.OutboxExtendCall:
		return "Calls to Extend"
	}
	return kind
}
