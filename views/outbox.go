package views

import (
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// CallText says what a call to Extend is: an evaluation-set item (with the
// id Extend gave it, once it has one) or the API call.
func CallText(c review.Delivery) string {
	if c.Kind != review.OutboxEvalItem {
		return "POST " + c.Path
	}
	s := "item of evaluation set " + review.EvalSetOf(c.Path)
	if c.Result != "" {
		s += ", item id " + c.Result
	}
	return s
}

// CallState says where a call to Extend stands, with its time: when it
// was taken, when it is tried next, or that it was given up.
func CallState(c review.Delivery) string {
	switch {
	case c.State == review.DeliveryDelivered && c.DeliveredAt != nil:
		return "sent at " + stamp(*c.DeliveredAt)
	case c.State == review.DeliveryDead:
		return "given up after " + review.Count(c.Attempts, "attempt", "attempts")
	case c.Attempts == 0:
		return "waiting until " + stamp(c.NextAttemptAt)
	}
	return "failed, tried again at " + stamp(c.NextAttemptAt)
}

// CallLine says in a sentence what became of a call to Extend, for the
// run's page: "Added to evaluation set ev_1 at …, item id evi_…", or the
// failure and when it is tried again.
func CallLine(c review.Delivery) string {
	what, did := "POST "+c.Path, "Sent "
	if c.Kind == review.OutboxEvalItem {
		what, did = "evaluation set "+review.EvalSetOf(c.Path), "Added to "
	}
	switch {
	case c.State == review.DeliveryDelivered && c.DeliveredAt != nil:
		s := did + what + " at " + stamp(*c.DeliveredAt)
		if c.Result != "" {
			s += ", item id " + c.Result
		}
		return s + "."
	case c.State == review.DeliveryDead:
		return "Not " + strings.ToLower(did) + what + ": given up after " + review.Count(c.Attempts, "attempt", "attempts") + "."
	case c.Attempts == 0:
		return "For " + what + ", from " + stamp(c.NextAttemptAt) + " (once the decision can no longer be taken back)."
	}
	return "Not yet " + strings.ToLower(strings.TrimSpace(did)) + " " + what + ": " + review.Count(c.Attempts, "attempt", "attempts") + " failed, next at " + stamp(c.NextAttemptAt) + "."
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func evalRuns(runs string) string {
	if runs == review.EvalCorrected {
		return "approved runs' corrected outputs"
	}
	return "every approved run"
}

func orServer(url string) string {
	if url == "" {
		return "the server's"
	}
	return url
}
