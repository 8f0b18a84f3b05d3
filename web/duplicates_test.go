package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestDuplicatesSettingsAndAPI: an admin keys a workflow by a field (a
// misspelt one is shown again with why); then the later of two runs with
// the same value is flagged in the queue and on its page with a link to
// the earlier one, and the API says so on the list, per run and per
// workflow.
func TestDuplicatesSettingsAndAPI(t *testing.T) { pgtest.Each(t, testDuplicatesSettingsAndAPI) }

func testDuplicatesSettingsAndAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	const first, later, wf = "workflow_run_demo_qh_2025", "workflow_run_demo_qh_copy_2025", "workflow_demo_legacy"
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.process()
	e.post(demo.Event("evt_qh_copy", review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(qh), "demo_qh", "demo_qh_copy"))), secret, time.Now())
	e.process()
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(fields string) (int, string) {
		t.Helper()
		resp, err := admin.PostForm(e.srv.URL+"/admin/duplicate-keys", url.Values{"workflow": {wf}, "fields": {fields}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, page := post("invoice_numbr"); status != http.StatusBadRequest || !strings.Contains(page, "invoice_numbr is not a field the runs of "+wf+" have had") || !strings.Contains(page, "invoice_number, ") || !strings.Contains(page, `value="invoice_numbr"`) {
		t.Fatalf("a misspelt field: %d", status)
	}
	if status, _ := post("invoice_number"); status != http.StatusSeeOther {
		t.Fatalf("keying by the invoice number: %d", status)
	}
	if _, page := get(t, admin, e.srv.URL+"/admin/settings"); !strings.Contains(page, `value="invoice_number"`) {
		t.Fatalf("the settings do not show the key")
	}

	c := e.signIn("rev@example.com", review.RoleReviewer)
	_, queue := get(t, c, e.srv.URL+"/")
	row := queue[strings.Index(queue, `data-run-id="`+later+`"`):]
	if row = row[:strings.Index(row, "</tr>")]; !strings.Contains(row, `data-duplicate-of="`+first+`"`) || !strings.Contains(row, "Same invoice_number 30064443 as the earlier run") {
		t.Fatalf("the later run's queue row: %s", row)
	}
	_, page := get(t, c, e.srv.URL+"/runs/"+later)
	if !strings.Contains(page, `href="/runs/`+first+`" data-duplicate-link`) || !strings.Contains(page, "waiting for review.") {
		t.Fatalf("the run page has no duplicate note")
	}

	tok, _ := e.store.CreateToken(context.Background(), "test", review.RoleReviewer)
	api := func(path string, v any) int {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(v)
		return resp.StatusCode
	}
	var dup struct {
		RunID   string   `json:"runId"`
		Earlier bool     `json:"earlier"`
		Fields  []string `json:"fields"`
		Matched string   `json:"matched"`
		Status  string   `json:"status"`
	}
	if status := api("/api/v1/runs/"+later+"/duplicate", &dup); status != 200 || dup.RunID != first || !dup.Earlier || dup.Fields[0] != "invoice_number" || dup.Status != "NEEDS_REVIEW" {
		t.Fatalf("the duplicate by the API: %d %+v", status, dup)
	}
	var list struct {
		Data []struct {
			ID        string            `json:"id"`
			Duplicate *review.Duplicate `json:"duplicate"`
		} `json:"data"`
	}
	if status := api("/api/v1/runs", &list); status != 200 || len(list.Data) != 2 || list.Data[0].Duplicate == nil || list.Data[1].Duplicate == nil {
		t.Fatalf("the list: %d %+v", status, list)
	}
	var key struct {
		Fields   []string `json:"fields"`
		Checksum bool     `json:"checksum"`
	}
	if status := api("/api/v1/workflows/"+wf+"/duplicate-key", &key); status != 200 || len(key.Fields) != 1 || key.Checksum {
		t.Fatalf("the key by the API: %d %+v", status, key)
	}
	if status := api("/api/v1/workflows/workflow_other/duplicate-key", &key); status != 200 || len(key.Fields) != 0 || !key.Checksum {
		t.Fatalf("a workflow keyed by checksum: %d %+v", status, key)
	}
}

// TestEarlierRunToldOfItsDuplicate: when a later duplicate arrives, the
// live feed names the earlier run too, so its open page and its queue row
// redraw with "Has a duplicate" and the link to the later run.
func TestEarlierRunToldOfItsDuplicate(t *testing.T) { pgtest.Each(t, testEarlierRunToldOfItsDuplicate) }

func testEarlierRunToldOfItsDuplicate(t *testing.T) {
	e := newEnv(t, web.Config{})
	const first, later, wf = "workflow_run_demo_qh_2025", "workflow_run_demo_qh_copy_2025", "workflow_demo_legacy"
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.process()
	if err := e.desk.SetDuplicateKeys(t.Context(), wf, []string{"invoice_number"}, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	c := e.signIn("rev@example.com", review.RoleReviewer)
	conn := watch(t, e, c, first)
	e.post(demo.Event("evt_qh_copy", review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(qh), "demo_qh", "demo_qh_copy"))), secret, time.Now())
	e.process()
	// A claim after the arrival: the feed is in order, so what the
	// arrival told is read before it.
	if _, err := e.store.ClaimRun(t.Context(), later, "bo@example.com", time.Minute); err != nil {
		t.Fatal(err)
	}
	var told []string
	for m := read(t, conn); m.Kind != "claim"; m = read(t, conn) {
		told = append(told, m.Kind+" "+m.RunID)
	}
	if !slices.Contains(told, "run "+first) {
		t.Fatalf("the feed told %v, not the earlier run", told)
	}
	_, row := get(t, c, e.srv.URL+"/queue/rows/"+first)
	if !strings.Contains(row, `data-duplicate-of="`+later+`"`) || !strings.Contains(row, "Has a duplicate") {
		t.Fatalf("the earlier run's row: %s", row)
	}
	resp, err := c.Get(e.srv.URL + "/runs/" + first + "/fragments")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fr struct{ Notices string }
	json.NewDecoder(resp.Body).Decode(&fr)
	if !strings.Contains(fr.Notices, `data-duplicate-of="`+later+`"`) {
		t.Fatalf("the earlier run's page notices: %s", fr.Notices)
	}
}

// TestRekeyingIsTold: when an admin changes a workflow's key fields, the
// live feed names every run whose duplicate flag changed, so their open
// pages and queue rows redraw: both runs as they come to share a key, and
// both again as they stop.
func TestRekeyingIsTold(t *testing.T) { pgtest.Each(t, testRekeyingIsTold) }

func testRekeyingIsTold(t *testing.T) {
	e := newEnv(t, web.Config{})
	const first, later, wf = "workflow_run_demo_qh_2025", "workflow_run_demo_qh_copy_2025", "workflow_demo_legacy"
	qh, err := demo.Payload("qualityhosting_2025.json")
	if err != nil {
		t.Fatal(err)
	}
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qh), secret, time.Now())
	e.post(demo.Event("evt_qh_copy", review.EventRunNeedsReview, []byte(strings.ReplaceAll(string(qh), "demo_qh", "demo_qh_copy"))), secret, time.Now())
	e.process()
	c := e.signIn("rev@example.com", review.RoleReviewer)
	conn := watch(t, e, c, first)
	// told is what the feed names while keys are set: a claim after it
	// marks the end, for the feed is in order.
	told := func(fields []string, claim string) []string {
		t.Helper()
		if err := e.desk.SetDuplicateKeys(t.Context(), wf, fields, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.ClaimRun(t.Context(), claim, "bo@example.com", time.Minute); err != nil {
			t.Fatal(err)
		}
		var out []string
		for m := read(t, conn); m.Kind != "claim"; m = read(t, conn) {
			out = append(out, m.Kind+" "+m.RunID)
		}
		return out
	}
	flag := func(id string) string {
		t.Helper()
		_, row := get(t, c, e.srv.URL+"/queue/rows/"+id)
		if i := strings.Index(row, `data-duplicate-of="`); i >= 0 {
			return row[i : i+len(`data-duplicate-of="`)+len(first)+1]
		}
		return ""
	}
	if got := told([]string{"invoice_number"}, later); !slices.Contains(got, "run "+first) || !slices.Contains(got, "run "+later) {
		t.Fatalf("keying by the invoice number told %v, want both runs", got)
	}
	if flag(first) == "" || flag(later) == "" {
		t.Fatalf("after keying, the rows say %q and %q", flag(first), flag(later))
	}
	if got := told(nil, first); !slices.Contains(got, "run "+first) || !slices.Contains(got, "run "+later) {
		t.Fatalf("keying by the checksum again told %v, want both runs", got)
	}
	if flag(first) != "" || flag(later) != "" {
		t.Fatalf("by the checksum with no document, the rows say %q and %q", flag(first), flag(later))
	}
}

// watch opens a run's live feed as its page does, past the greeting.
func watch(t *testing.T, e *env, c *http.Client, runID string) *websocket.Conn {
	t.Helper()
	conn, _, err := e.dial(c, e.srv.URL, "?run="+runID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if m := read(t, conn); m.Kind != "hello" {
		t.Fatalf("first message %+v", m)
	}
	return conn
}
