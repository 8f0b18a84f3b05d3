package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestQueueRowsInOneRequest: an open queue page reads back every run it
// heard of in one request. The answer holds, for each run named that is in
// the queue, the row the one-row route renders, with the queue's depth; a
// run not answered has left the view; the runs one request may name are
// bounded, and past the bound the answer says so.
func TestQueueRowsInOneRequest(t *testing.T) { pgtest.Each(t, testQueueRowsInOneRequest) }

func testQueueRowsInOneRequest(t *testing.T) {
	e := newEnv(t, web.Config{})
	ids := []string{"workflow_run_rows_a", "workflow_run_rows_b", "workflow_run_rows_c"}
	for _, id := range ids {
		p, _ := json.Marshal(map[string]any{"object": "workflow_run", "id": id, "status": "NEEDS_REVIEW"})
		e.post(demo.Event("evt_"+id, review.EventRunNeedsReview, p), secret, time.Now())
	}
	e.process()
	c := e.signIn("rev@example.com", review.RoleReviewer)

	named := append(ids, "workflow_run_rows_gone")
	resp, body := get(t, c, e.srv.URL+"/queue/rows?"+url.Values{"id": named}.Encode())
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Queue-Depth") != "3" {
		t.Fatalf("%s, depth %q: %s", resp.Status, resp.Header.Get("X-Queue-Depth"), body)
	}
	if n := strings.Count(body, "<tr data-run-id="); n != len(ids) {
		t.Fatalf("%d rows for %d runs in the queue: %s", n, len(ids), body)
	}
	// A row says how long ago its run arrived, in seconds that may turn
	// between the two requests.
	ago := regexp.MustCompile(`>[^<]*</time>`)
	body = ago.ReplaceAllString(body, "></time>")
	for _, id := range ids {
		_, row := get(t, c, e.srv.URL+"/queue/rows/"+id)
		row = ago.ReplaceAllString(row, "></time>")
		if row == "" || !strings.Contains(body, row) {
			t.Errorf("the rows lack %s as the one-row route renders it: %s", id, row)
		}
	}
	if strings.Contains(body, "workflow_run_rows_gone") {
		t.Errorf("a run not in the queue was answered: %s", body)
	}

	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("workflow_run_%d", i)
	}
	for _, q := range []url.Values{{"id": many}, {}} {
		resp, body := get(t, c, e.srv.URL+"/queue/rows?"+q.Encode())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "from 1 to 200 runs") {
			t.Errorf("%d ids: %s %s", len(q["id"]), resp.Status, body)
		}
	}
}
