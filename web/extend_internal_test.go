package web

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// TestExtendFailRetryAfter: an instance that cannot answer now (its
// database away) says so in Extend's shape, retryable, with Retry-After,
// so Extend's SDKs wait and call again.
func TestExtendFailRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{}).extendFail(rec, httptest.NewRequest("GET", "/workflow_runs", nil), "req_1", review.Errorf(review.EUNAVAILABLE, "The database does not answer."))
	var body map[string]any
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" || body["code"] != "SERVICE_UNAVAILABLE" || body["retryable"] != true || body["requestId"] != "req_1" {
		t.Fatalf("%d %v %v", rec.Code, rec.Header(), body)
	}
}
