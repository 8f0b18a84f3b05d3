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

// bar is one bar of an SVG chart, in the chart's coordinates.
type bar struct {
	X, Y, W, H float64
	review.Bucket
}

// bars lays out buckets in a width×height chart with room for labels.
func bars(bs []review.Bucket, width, height float64) []bar {
	top := 1
	for _, b := range bs {
		top = max(top, b.Count)
	}
	w := width / float64(len(bs))
	out := make([]bar, len(bs))
	for i, b := range bs {
		h := (height - 18) * float64(b.Count) / float64(top)
		out[i] = bar{X: float64(i)*w + 2, Y: height - 16 - h, W: w - 4, H: h, Bucket: b}
	}
	return out
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
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
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
