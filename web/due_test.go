package web_test

import (
	"context"
	"encoding/json"
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
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/breaches", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Data) != 2 || list.Data[0].ID != late || list.Data[0].Due != "late" || list.Data[1].Due != "soon" || list.Data[1].DueAt == nil ||
		list.Data[0].HeldBy != "sup@example.com" || list.Data[0].ClaimedAt == nil || list.Data[1].HeldBy != "" || list.Data[1].ClaimedAt != nil {
		t.Fatalf("the API's breach board: %+v", list)
	}
}
