package review_test

import (
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// TestThresholds: close to due and idle are read as an admin writes them,
// within their ranges; a stored value out of range reads as the default.
func TestThresholds(t *testing.T) {
	for _, c := range []struct {
		soon, idle string
		want       review.Thresholds
		ok         bool
	}{
		{"1h", "15m", review.DefaultThresholds, true},
		{"2d", "1d", review.Thresholds{Soon: 48 * time.Hour, Idle: 24 * time.Hour}, true},
		{"1m", "1m", review.Thresholds{Soon: time.Minute, Idle: time.Minute}, true},
		{"59s", "15m", review.Thresholds{}, false},
		{"8d", "15m", review.Thresholds{}, false},
		{"1h", "25h", review.Thresholds{}, false},
		{"", "15m", review.Thresholds{}, false},
		{"soon", "15m", review.Thresholds{}, false},
		{"-1h", "15m", review.Thresholds{}, false},
	} {
		got, err := review.ParseThresholds(c.soon, c.idle)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseThresholds(%q, %q) = %+v, %v", c.soon, c.idle, got, err)
		}
		if err != nil && review.ErrorCode(err) != review.EINVALID {
			t.Errorf("ParseThresholds(%q, %q): %v is not a sentence for the admin", c.soon, c.idle, err)
		}
	}
	if got := review.ReadThresholds("2h0m0s", "30s"); got != (review.Thresholds{Soon: 2 * time.Hour, Idle: review.IdleAfter}) {
		t.Errorf("ReadThresholds = %+v", got)
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "90m", 48 * time.Hour: "2d", 90 * time.Second: "1m30s"} {
		if got := review.Short(d); got != want {
			t.Errorf("Short(%v) = %q, want %q", d, got, want)
		}
	}
}
