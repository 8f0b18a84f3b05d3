package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestDueTimesSettingsQueueAndBoard: an admin sets a workflow's service
// level (a wrong one is refused with a sentence) and the metadata field of
// due times; a run past its level is marked late in the queue in words,
// one Extend gave a time within the hour is marked soon, and both are on
// the breach board and in the API.
func TestDueTimesSettingsQueueAndBoard(t *testing.T) {
	pgtest.Each(t, testDueTimesSettingsQueueAndBoard)
}

func testDueTimesSettingsQueueAndBoard(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(form url.Values) int {
		t.Helper()
		resp, err := admin.PostForm(e.srv.URL+"/admin/due", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(url.Values{"due_field": {"due_by"}}); status != http.StatusSeeOther {
		t.Fatalf("setting the due field: %d", status)
	}
	arrive := func(file, id string, waiting time.Duration, meta map[string]any) {
		t.Helper()
		b, err := demo.Payload(file)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		json.Unmarshal(b, &p)
		p["initialRunAt"] = time.Now().Add(-waiting).UTC().Format(time.RFC3339)
		if meta != nil {
			p["metadata"] = meta
		}
		out, _ := json.Marshal(p)
		e.post(demo.Event(id, review.EventRunNeedsReview, out), secret, time.Now())
		e.process()
	}
	const late, soon = "workflow_run_demo_qh_2025", "workflow_run_demo_aws_2026"
	arrive("qualityhosting_2025.json", "evt_qh", 3*time.Hour, nil)
	arrive("aws_2026.json", "evt_aws", time.Minute, map[string]any{"due_by": time.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339)})
	if status := post(url.Values{"workflow": {"workflow_demo_legacy"}, "within": {"2x"}}); status != http.StatusBadRequest {
		t.Fatalf("a wrong service level: %d", status)
	}
	if status := post(url.Values{"workflow": {"workflow_demo_legacy"}, "within": {"2h"}}); status != http.StatusSeeOther {
		t.Fatalf("setting the service level: %d", status)
	}
	if _, page := get(t, admin, e.srv.URL+"/admin/settings"); !strings.Contains(page, `name="within" value="2h"`) {
		t.Fatalf("the settings do not show the service level as it was written")
	}

	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	_, queue := get(t, sup, e.srv.URL+"/")
	first, second := strings.Index(queue, `data-run-id="`+late+`"`), strings.Index(queue, `data-run-id="`+soon+`"`)
	if first < 0 || second < first {
		t.Fatalf("the queue is not ordered by due time")
	}
	if row := queue[first:second]; !strings.Contains(row, `data-due="late"`) || !strings.Contains(row, "late by 1 h") {
		t.Fatalf("the late run's row: %s", row)
	}
	if row := queue[second:]; !strings.Contains(row, `data-due="soon"`) || !strings.Contains(row, "due in ") {
		t.Fatalf("the run due soon: %.2000s", row)
	}
	_, board := get(t, sup, e.srv.URL+"/breaches")
	if !strings.Contains(board, `data-run-id="`+late+`"`) || !strings.Contains(board, `data-run-id="`+soon+`"`) || !strings.Contains(board, "2 runs are late or due within 1h") {
		t.Fatalf("the breach board: %.3000s", board[strings.Index(board, "<main"):])
	}

	// The supervisor takes the late run: the API, as the board, says who holds it.
	if resp, _ := get(t, sup, e.srv.URL+"/runs/"+late); resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the late run: %s", resp.Status)
	}
	tok, _ := e.store.CreateToken(context.Background(), "test", review.RoleReviewer)
	var list struct {
		Data []struct {
			ID        string  `json:"id"`
			Due       string  `json:"due"`
			DueAt     *string `json:"dueAt"`
			HeldBy    string  `json:"heldBy"`
			ClaimedAt *string `json:"claimedAt"`
		} `json:"data"`
	}
	resp := e.bearerGet(tok, "/api/v1/breaches")
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Data) != 2 || list.Data[0].ID != late || list.Data[0].Due != "late" || list.Data[1].Due != "soon" || list.Data[1].DueAt == nil ||
		list.Data[0].HeldBy != "sup@example.com" || list.Data[0].ClaimedAt == nil || list.Data[1].HeldBy != "" || list.Data[1].ClaimedAt != nil {
		t.Fatalf("the API's breach board: %+v", list)
	}
}

// TestDueThresholdsInSettings: an admin sets how close to its due time a
// run is marked and how long a claim goes idle (a value out of range is
// refused with a sentence and nothing changes); the queue's marks, the
// Late board and its API follow the setting.
func TestDueThresholdsInSettings(t *testing.T) { pgtest.Each(t, testDueThresholdsInSettings) }

func testDueThresholdsInSettings(t *testing.T) {
	e := newEnv(t, web.Config{})
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := admin.PostForm(e.srv.URL+"/admin/due", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := post(url.Values{"due_field": {"due_by"}}); status != http.StatusSeeOther {
		t.Fatalf("setting the due field: %d", status)
	}
	b, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	json.Unmarshal(b, &p)
	p["metadata"] = map[string]any{"due_by": time.Now().Add(90 * time.Minute).UTC().Format(time.RFC3339)}
	out, _ := json.Marshal(p)
	e.post(demo.Event("evt_aws", review.EventRunNeedsReview, out), secret, time.Now())
	e.process()
	const run = "workflow_run_demo_aws_2026"

	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	mark := func() (string, string) {
		t.Helper()
		_, queue := get(t, sup, e.srv.URL+"/")
		row := queue[strings.Index(queue, `data-run-id="`+run+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		_, board := get(t, sup, e.srv.URL+"/breaches")
		return row, board[strings.Index(board, "<main"):]
	}
	if row, board := mark(); strings.Contains(row, `data-due="soon"`) || strings.Contains(board, run) || !strings.Contains(board, "due within 1h") {
		t.Fatalf("due in 90 min is not close by default: %s\n%s", row, board)
	}
	for _, bad := range []url.Values{
		{"due_soon": {"0m"}, "idle_after": {"15m"}},
		{"due_soon": {"abc"}, "idle_after": {"15m"}},
		{"due_soon": {"30d"}, "idle_after": {"15m"}},
		{"due_soon": {"1h"}, "idle_after": {"30s"}},
		{"due_soon": {"1h"}, "idle_after": {"48h"}},
	} {
		if status, page := post(bad); status != http.StatusBadRequest || !strings.Contains(page, "is a time from") {
			t.Errorf("%v: %d", bad, status)
		}
	}
	if status, _ := post(url.Values{"due_soon": {"2h"}, "idle_after": {"5m"}}); status != http.StatusSeeOther {
		t.Fatalf("setting the thresholds: %d", status)
	}
	if _, page := get(t, admin, e.srv.URL+"/admin/settings"); !strings.Contains(page, `name="due_soon" value="2h"`) || !strings.Contains(page, `name="idle_after" value="5m"`) {
		t.Fatalf("the settings do not show the thresholds")
	}
	if row, board := mark(); !strings.Contains(row, `data-due="soon"`) || !strings.Contains(row, "due in 1 h 29 min") && !strings.Contains(row, "due in 1 h 30 min") ||
		!strings.Contains(board, `data-run-id="`+run+`"`) || !strings.Contains(board, "due within 2h") {
		t.Fatalf("due in 90 min is close within 2 h: %s\n%s", row, board)
	}
	tok, _ := e.store.CreateToken(t.Context(), "test", review.RoleReviewer)
	resp := e.bearerGet(tok, "/api/v1/breaches")
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID  string `json:"id"`
			Due string `json:"due"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Data) != 1 || list.Data[0].ID != run || list.Data[0].Due != "soon" {
		t.Fatalf("the API's breach board: %+v", list)
	}
}
