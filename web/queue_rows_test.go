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

// TestQueueHeadingCountsItsView: the queue's heading counts the runs its
// view and filter list, not the whole queue: the escalated view the
// escalated runs, the postponed view the postponed ones, the queue the
// runs neither holds, a filter what it keeps; the live rows say the same
// count, so the heading stays right as rows come and go.
func TestQueueHeadingCountsItsView(t *testing.T) { pgtest.Each(t, testQueueHeadingCountsItsView) }

func testQueueHeadingCountsItsView(t *testing.T) {
	e := newEnv(t, web.Config{})
	ids := []string{"workflow_run_count_a", "workflow_run_count_b", "workflow_run_count_c", "workflow_run_count_d"}
	for _, id := range ids {
		p, _ := json.Marshal(map[string]any{"object": "workflow_run", "id": id, "status": "NEEDS_REVIEW"})
		e.post(demo.Event("evt_"+id, review.EventRunNeedsReview, p), secret, time.Now())
	}
	e.process()
	ctx := t.Context()
	ana := &review.User{Email: "ana@example.com", Role: review.RoleReviewer}
	if err := e.desk.Escalate(ctx, ids[0], ana, "the VAT number is unreadable"); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.Postpone(ctx, ids[1], ana, "waiting for the PO", time.Now().Add(4*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	heading := regexp.MustCompile(`id="queue-depth">([^<]*)<`)
	for _, c := range []struct{ query, want string }{
		{"", "2 waiting"},
		{"view=escalated", "1 waiting"},
		{"view=postponed", "1 waiting"},
		{"assignee=me", "0 waiting"},
		{"view=escalated&assignee=none", "1 waiting"},
	} {
		_, page := get(t, sup, e.srv.URL+"/?"+c.query)
		if m := heading.FindStringSubmatch(page); m == nil || m[1] != c.want {
			t.Errorf("/?%s: the heading says %q, want %q", c.query, m, c.want)
		}
		resp, body := get(t, sup, e.srv.URL+"/queue/rows?"+c.query+"&id="+ids[2])
		if got := resp.Header.Get("X-Queue-Depth") + " waiting"; resp.StatusCode != http.StatusOK || got != c.want {
			t.Errorf("/queue/rows?%s: %s, the count says %q, want %q: %s", c.query, resp.Status, got, c.want, body)
		}
	}
}
