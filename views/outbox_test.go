package views

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// TestSentToExtendSays: the run's page says of each evaluation-set item
// that it was added, when, and its id; or that it failed, how often, why
// and when it is tried next; or that it was given up.
func TestSentToExtendSays(t *testing.T) {
	at := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	item := review.Delivery{ID: 1, Kind: review.OutboxEvalItem, Path: review.EvalItemsPath("ev_1"), NextAttemptAt: at}
	added, failed, dead := item, item, item
	added.State, added.DeliveredAt, added.Result, added.Attempts = review.DeliveryDelivered, &at, "evi_7", 1
	failed.State, failed.Attempts, failed.LastError = review.DeliveryPending, 2, `HTTP 429: {"code":"RATE_LIMITED"}`
	dead.State, dead.Attempts, dead.LastError = review.DeliveryDead, 1, "HTTP 400: expectedOutput does not match"
	var b strings.Builder
	if err := SentToExtend([]review.Delivery{added, failed, dead}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Added to evaluation set ev_1 at 2026-12-07 05:00:00 UTC, item id evi_7.",
		"Not yet added to evaluation set ev_1: 2 attempts failed, next at 2026-12-07 05:00:00 UTC.",
		"RATE_LIMITED",
		"Not added to evaluation set ev_1: given up after 1 attempt.",
		"does not match",
	} {
		if !strings.Contains(b.String(), strings.ReplaceAll(want, `"`, "&#34;")) {
			t.Errorf("the page does not say %q:\n%s", want, b.String())
		}
	}
}

// TestMetadataCut: metadata keys in order, a string as it reads and any
// other value as JSON, a long value cut with the whole kept for hover.
func TestMetadataCut(t *testing.T) {
	long := strings.Repeat("é", metaCut+5)
	run := json.RawMessage(`{"id":"r","metadata":{"b":{"n":1},"a":"plain","c":"` + long + `"}}`)
	got := Metadata(run)
	if len(got) != 3 || got[0] != (MetaVM{"a", "plain", "plain"}) || got[1] != (MetaVM{"b", `{"n":1}`, `{"n":1}`}) {
		t.Fatalf("metadata %+v", got)
	}
	if got[2].Value != long || len([]rune(got[2].Short)) != metaCut || !strings.HasSuffix(got[2].Short, "…") {
		t.Fatalf("long value cut to %q", got[2].Short)
	}
	if Metadata(json.RawMessage(`{"id":"r"}`)) != nil {
		t.Fatal("metadata without any")
	}
}
