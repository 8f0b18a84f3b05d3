package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

func TestDashboard(t *testing.T) { pgtest.Each(t, testDashboard) }

func testDashboard(t *testing.T) {
	e, rev := editEnv(t)
	if resp, _ := get(t, rev, e.srv.URL+"/dashboard"); resp.StatusCode != 403 {
		t.Fatalf("a reviewer opened the dashboard: %s", resp.Status)
	}
	// A decision with one corrected field.
	if status, out := edit(t, e, rev, map[string]any{"version": 0, "outputId": "dpr_demo_qh_extract", "path": "line_items[2].amount", "text": "5.40"}); status != 200 {
		t.Fatalf("edit: %d %v", status, out)
	}
	// A destination that will refuse: the decision's delivery waits.
	ctx := context.Background()
	if _, err := e.desk.AddDestination(ctx, "admin@example.com", review.Destination{URL: "http://127.0.0.1:1/hook", Secret: "0123456789abcdef", AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	resp, _ := rev.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"1"}})
	if resp.StatusCode != 303 {
		t.Fatalf("approve: %s", resp.Status)
	}
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	sending := func(waiting, givenUp string) {
		t.Helper()
		_, body := get(t, sup, e.srv.URL+"/dashboard?part=body")
		want := `Decisions to your destinations</a></td><td class="num">` + waiting + `</td><td class="num`
		if i := strings.Index(body, want); i < 0 || !strings.HasPrefix(body[i+len(want):], givenUp) {
			t.Fatalf("the dashboard does not say %s waiting, %s given up:\n%s", waiting, givenUp, body[max(strings.Index(body, "Sending on"), 0):][:600])
		}
	}
	sending("1", `">0<`)
	ds, err := e.store.RecentDeliveries(ctx, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %+v %v", ds, err)
	}
	if err := e.store.Attempt(ctx, ds[0].ID, 500, "", "refused", "", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	sending("0", ` bad">1<`)
	resp, page := get(t, sup, e.srv.URL+"/dashboard")
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard: %s", resp.Status)
	}
	for _, want := range []string{
		`<span class="big">1</span> <span>waiting</span>`,
		`<code>line_items[].amount</code>`, // indexes folded: a column's rate
		`1 of 1</a>`,
		"rev@example.com",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(page, "<code>invoice_number</code>") {
		t.Errorf("an uncorrected field is listed as corrected")
	}
	_, drill := get(t, sup, e.srv.URL+"/dashboard/corrections?workflow=workflow_demo_legacy&path="+url.QueryEscape("line_items[].amount"))
	if !strings.Contains(drill, `data-run-id="`+qh+`"`) {
		t.Fatalf("the drill-down does not list the run")
	}
	_, body := get(t, sup, e.srv.URL+"/dashboard?part=body")
	if strings.Contains(body, "<html") || !strings.Contains(body, "Fields corrected most") {
		t.Fatalf("the live redraw is not the body alone")
	}
}

// TestDashboardEmpty: on a fresh install every table says it is empty and
// every chart's name says so in words.
func TestDashboardEmpty(t *testing.T) { pgtest.Each(t, testDashboardEmpty) }

func testDashboardEmpty(t *testing.T) {
	e := newEnv(t, web.Config{})
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	_, page := get(t, sup, e.srv.URL+"/dashboard")
	for _, want := range []string{
		"Nothing waits for review.",
		"Nobody has decided a run in the last 7 days.",
		"No decided runs yet, so no corrections to count.",
		`aria-label="Decisions per day: none yet"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the empty dashboard lacks %q", want)
		}
	}
}
