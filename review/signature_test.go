package review_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"eventId":"evt_1","eventType":"workflow.created","payload":{}}`)
	ts := now.Unix()
	good := review.Sign("wss_current", ts, body)
	tests := []struct {
		name    string
		secrets []string
		ts      string
		sig     string
		body    []byte
		wantErr string
	}{
		{"good", []string{"wss_current"}, strconv.FormatInt(ts, 10), good, body, ""},
		{"uppercase hex", []string{"wss_current"}, strconv.FormatInt(ts, 10), strings.ToUpper(good), body, ""},
		{"rotated: old secret still listed", []string{"wss_next", "wss_current"}, strconv.FormatInt(ts, 10), good, body, ""},
		{"rotated: secret removed", []string{"wss_next"}, strconv.FormatInt(ts, 10), good, body, "does not match"},
		{"body changed", []string{"wss_current"}, strconv.FormatInt(ts, 10), good, append([]byte(" "), body...), "does not match"},
		{"timestamp changed", []string{"wss_current"}, strconv.FormatInt(ts-1, 10), good, body, "does not match"},
		{"stale", []string{"wss_current"}, strconv.FormatInt(ts-301, 10), review.Sign("wss_current", ts-301, body), body, "old"},
		{"just inside the window", []string{"wss_current"}, strconv.FormatInt(ts-300, 10), review.Sign("wss_current", ts-300, body), body, ""},
		{"future", []string{"wss_current"}, strconv.FormatInt(ts+61, 10), review.Sign("wss_current", ts+61, body), body, "future"},
		{"missing signature", []string{"wss_current"}, strconv.FormatInt(ts, 10), "", body, "missing"},
		{"missing timestamp", []string{"wss_current"}, "", good, body, "missing"},
		{"timestamp not a number", []string{"wss_current"}, "yesterday", good, body, "Unix time"},
		{"signature not hex", []string{"wss_current"}, strconv.FormatInt(ts, 10), "zz" + good[2:], body, "not a hex"},
		{"signature truncated", []string{"wss_current"}, strconv.FormatInt(ts, 10), good[:32], body, "not a hex"},
		{"empty secret never matches", []string{""}, strconv.FormatInt(ts, 10), review.Sign("", ts, body), body, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := review.Verify(tt.secrets, tt.ts, tt.sig, tt.body, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Verify error = %v, want one containing %q", err, tt.wantErr)
			}
			if review.ErrorCode(err) != review.EUNAUTHORIZED {
				t.Fatalf("code = %s, want unauthorized", review.ErrorCode(err))
			}
		})
	}
}

// TestSignKnownVector pins the scheme to a value computed independently:
// printf 'v0:1700000000:{}' | openssl dgst -sha256 -hmac wss_test
func TestSignKnownVector(t *testing.T) {
	const want = "406b7d0c9a5a398bbfafdf9c9119e515aaef4408d9d04be097b54f3d1ddd3cc8"
	if got := review.Sign("wss_test", 1700000000, []byte("{}")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
