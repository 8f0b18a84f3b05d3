package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// editEnv has the 2025 demo run ingested and a reviewer signed in.
func editEnv(t *testing.T) (*env, *http.Client) {
	e := newEnv(t, web.Config{})
	for i, r := range invoiceRuns(t) {
		e.post(demo.Event("evt_"+strconv.Itoa(i), review.EventRunNeedsReview, r.Payload), secret, time.Now())
	}
	e.process()
	return e, e.signIn("rev@example.com", review.RoleReviewer)
}

const qh = "workflow_run_demo_qh_2025"

func edit(t *testing.T, e *env, c *http.Client, body map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+"/runs/"+qh+"/edits", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	d := json.NewDecoder(resp.Body)
	d.UseNumber()
	d.Decode(&out)
	return resp.StatusCode, out
}

func message(out map[string]any) string {
	m, _ := out["error"].(map[string]any)
	s, _ := m["message"].(string)
	return s
}

func TestEditingFlow(t *testing.T) { pgtest.Each(t, testEditingFlow) }

func testEditingFlow(t *testing.T) {
	e, c := editEnv(t)
	ex := "dpr_demo_qh_extract"
	status, out := edit(t, e, c, map[string]any{"version": 0, "outputId": ex, "path": "customer_number", "text": "47.775,50"})
	if status != 200 || out["value"] != json.Number("47775.50") || out["edited"] != true || out["original"] != "47774" {
		t.Fatalf("number: %d %v", status, out)
	}
	status, out = edit(t, e, c, map[string]any{"version": 1, "outputId": ex, "path": "invoice_date", "text": "04/05/2014"})
	if status != 200 || out["value"] != "2014-05-04" || out["alternative"] != "2014-04-05" {
		t.Fatalf("ambiguous date: %d %v", status, out)
	}
	status, out = edit(t, e, c, map[string]any{"version": 2, "outputId": ex, "path": "invoice_date", "text": "31/02/2014"})
	if status != 400 || !strings.Contains(message(out), "not a date") {
		t.Fatalf("bad date: %d %v", status, out)
	}
	status, out = edit(t, e, c, map[string]any{"version": 2, "outputId": ex, "path": "payment_method", "text": "CHEQUE"})
	if status != 400 || !strings.Contains(message(out), "not one of the options") {
		t.Fatalf("bad enum: %d %v", status, out)
	}
	status, out = edit(t, e, c, map[string]any{"version": 2, "outputId": ex, "path": "total", "text": "34,70", "code": "EUR"})
	if status != 200 || out["text"] != "34.70 EUR" {
		t.Fatalf("currency: %d %v", status, out)
	}
	// A stale tab: still at version 2 after this save moved the run to 3.
	status, out = edit(t, e, c, map[string]any{"version": 2, "outputId": ex, "path": "notes", "text": "x"})
	if status != 409 || !strings.Contains(message(out), "You changed this run in another tab or window") {
		t.Fatalf("stale version: %d %v", status, out)
	}
	status, out = edit(t, e, c, map[string]any{"version": 3, "outputId": ex, "path": "line_items", "row": map[string]any{"op": "remove", "index": 6}})
	// The answer carries the page's parts as the change left them.
	section, _ := out["fragments"].(map[string]any)["outputs"].(map[string]any)[ex].(string)
	if status != 200 || !strings.Contains(section, `data-path="line_items[5]"`) || strings.Contains(section, `data-path="line_items[6]"`) {
		t.Fatalf("remove row: %d, the section after it: %.300s", status, section)
	}
	status, _ = edit(t, e, c, map[string]any{"version": 4, "outputId": "dpr_demo_qh_split", "path": "splits", "value": []any{map[string]any{"type": "invoice", "identifier": "x", "startPage": 1, "endPage": 9}}})
	if status != 400 {
		t.Fatalf("split past the last page accepted: %d", status)
	}
	status, out = edit(t, e, c, map[string]any{"version": 4, "outputId": "dpr_demo_qh_classify", "path": "class", "value": map[string]any{"id": "classification3", "type": "credit_note"}})
	if status != 200 || out["edited"] != true {
		t.Fatalf("class: %d %v", status, out)
	}

	// The draft is on the page after a reload.
	_, page := get(t, c, e.srv.URL+"/runs/"+qh)
	if !strings.Contains(page, `value="47775.50"`) || !strings.Contains(page, `was <q>47774</q>`) {
		t.Fatalf("the saved draft is not on the page")
	}

	// Reject needs a note.
	resp, _ := c.PostForm(e.srv.URL+"/runs/"+qh+"/reject", url.Values{"version": {"5"}, "rejectionNote": {"  "}})
	if resp.StatusCode != 400 {
		t.Fatalf("reject without a note: %s", resp.Status)
	}
	resp, _ = c.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"4"}})
	if resp.StatusCode != 409 {
		t.Fatalf("approve on a stale view: %s", resp.Status)
	}
	if _, err := e.store.AddDestination(t.Context(), review.Destination{URL: "https://erp.example/hooks", Secret: "whsec_0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	resp, _ = c.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"5"}, "next": {"1"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/runs/workflow_run_demo_aws_2026?decided="+qh {
		t.Fatalf("approve and next: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	status, _ = edit(t, e, c, map[string]any{"version": 6, "outputId": ex, "path": "notes", "text": "late"})
	if status != 409 {
		t.Fatalf("edit after the decision: %d", status)
	}

	// The API gives the reviewed run in its own shape and the audit trail.
	tok, _ := e.store.CreateToken(t.Context(), "erp", review.RoleReviewer)
	api := func(path string) []byte {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp.Status, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	run := json.RawMessage(api("/api/v1/runs/" + qh))
	for path, want := range map[string]string{
		"status": `"PROCESSED"`,
		"outputs.0.reviewedOutput.customer_number.value": `47775.50`,
		"outputs.0.output.total.value":                   `{"amount":34.70,"iso_4217_currency_code":"EUR"}`,
		"outputs.0.edited":                               `true`,
		"outputs.1.reviewedOutput.type":                  `"credit_note"`,
		"reviewedBy":                                     `"rev@example.com"`,
	} {
		got, ok := review.At(run, strings.Split(path, "."))
		if !ok || string(got) != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	if n := strings.Count(string(mustAt(t, run, "outputs.0.reviewedOutput.line_items.value")), `"description"`); n != 6 {
		t.Errorf("rows after removing one: %d", n)
	}
	var audit struct {
		Data []review.AuditEntry `json:"data"`
	}
	json.Unmarshal(api("/api/v1/runs/"+qh+"/audit"), &audit)
	if len(audit.Data) != 6 || audit.Data[0].Path != "customer_number" || audit.Data[5].Action != review.ActionApprove {
		t.Fatalf("audit = %+v", audit.Data)
	}

	// The decision queued its delivery in the same transaction: Extend's
	// envelope, the reviewed run as payload, the audit trail beside it.
	outbox, _ := e.store.RecentDeliveries(t.Context(), 5)
	if len(outbox) != 1 || outbox[0].EventType != review.EventRunCompleted {
		t.Fatalf("outbox = %+v", outbox)
	}
	var env struct {
		EventType string              `json:"eventType"`
		Payload   json.RawMessage     `json:"payload"`
		Audit     []review.AuditEntry `json:"reviewerAudit"`
	}
	json.Unmarshal(outbox[0].Body, &env)
	if v, _ := review.At(env.Payload, []string{"outputs", "0", "reviewedOutput", "customer_number", "value"}); string(v) != "47775.50" || len(env.Audit) != 6 {
		t.Fatalf("delivery body: %s, %d audit entries", v, len(env.Audit))
	}

	// Reopening is for admins.
	resp, _ = c.PostForm(e.srv.URL+"/runs/"+qh+"/reopen", nil)
	if resp.StatusCode != 403 {
		t.Fatalf("a reviewer reopened: %s", resp.Status)
	}
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	resp, _ = admin.PostForm(e.srv.URL+"/runs/"+qh+"/reopen", nil)
	if resp.StatusCode != 303 {
		t.Fatalf("reopen: %s", resp.Status)
	}
	if d, _ := e.store.QueueDepth(t.Context()); d != 2 {
		t.Fatalf("queue after reopening: %d", d)
	}
}

func mustAt(t *testing.T, doc json.RawMessage, path string) json.RawMessage {
	v, ok := review.At(doc, strings.Split(path, "."))
	if !ok {
		t.Fatalf("nothing at %s", path)
	}
	return v
}

// TestEditsThatWouldBreakARun reproduces the red team's unopenable runs:
// a key holding "." is addressed in quoted form and its edit reaches the
// reviewed output; an invented path on a classification is refused before
// it is stored; and a draft that no longer applies (stored by an older
// version) gets a page that says why, with an admin's way back.
func TestEditsThatWouldBreakARun(t *testing.T) { pgtest.Each(t, testEditsThatWouldBreakARun) }

func testEditsThatWouldBreakARun(t *testing.T) {
	e := newEnv(t, web.Config{})
	raw, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"invoice_number": "42183017"`), []byte(`"unit.price": "12.50", "invoice_number": "42183017"`), 1)
	if !bytes.Contains(raw, []byte("unit.price")) {
		t.Fatal("could not add the key to the payload")
	}
	e.post(demo.Event("evt_dot", review.EventRunNeedsReview, raw), secret, time.Now())
	qr, _ := demo.Payload("qualityhosting_2025.json")
	e.post(demo.Event("evt_qh", review.EventRunNeedsReview, qr), secret, time.Now())
	e.process()
	c := e.signIn("rev@example.com", review.RoleReviewer)
	const run = "workflow_run_demo_aws_2026"
	post := func(id string, body map[string]any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", e.srv.URL+"/runs/"+id+"/edits", bytes.NewReader(b))
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	if resp, page := get(t, c, e.srv.URL+"/runs/"+run); resp.StatusCode != 200 || !strings.Contains(page, `data-field="[&#34;unit.price&#34;]"`) {
		t.Fatalf("run page %s: no editor for the quoted key", resp.Status)
	}
	if status, out := post(run, map[string]any{"version": 0, "outputId": "exr_demo_aws", "path": `["unit.price"]`, "text": "13.00"}); status != 200 {
		t.Fatalf("edit of the dotted key: %d %v", status, out)
	}
	if status, out := post(run, map[string]any{"version": 1, "outputId": "clr_demo_aws", "path": "invented.path", "value": "cls_receipt"}); status != 400 {
		t.Fatalf("invented path on a classification: %d %v, want 400", status, out)
	}
	if resp, _ := get(t, c, e.srv.URL+"/runs/"+run); resp.StatusCode != 200 {
		t.Fatalf("run page after the refused edit: %s", resp.Status)
	}
	resp, err := c.PostForm(e.srv.URL+"/runs/"+run+"/approve", url.Values{"version": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reviewed, err := e.store.ReviewedPayload(t.Context(), run)
	if err != nil || !bytes.Contains(reviewed, []byte(`"unit.price":"13.00"`)) && !bytes.Contains(reviewed, []byte(`"unit.price": "13.00"`)) {
		t.Fatalf("approve %s; the reviewed output lacks the edit: %v", resp.Status, err)
	}

	// A draft stored before these checks existed, which does not apply.
	if _, err := e.store.SaveEdit(t.Context(), qh, 0, "old@example.com", review.Edit{OutputID: "dpr_demo_qh_extract", Path: "customer_number.no[0].such", Value: json.RawMessage(`1`), How: review.HowTyped}, nil); err != nil {
		t.Fatal(err)
	}
	resp, page := get(t, c, e.srv.URL+"/runs/"+qh)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "no longer apply") || strings.Contains(page, "Discard the saved changes") {
		t.Fatalf("broken draft, reviewer: %s\n%s", resp.Status, page)
	}
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	if _, page = get(t, admin, e.srv.URL+"/runs/"+qh); !strings.Contains(page, `action="/runs/`+qh+`/discard"`) {
		t.Fatalf("the admin is not offered the way back:\n%s", page)
	}
	resp, err = admin.PostForm(e.srv.URL+"/runs/"+qh+"/discard", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, _ := get(t, c, e.srv.URL+"/runs/"+qh); resp.StatusCode != 200 {
		t.Fatalf("after discarding: %s", resp.Status)
	}
	audit, _ := e.store.Audit(t.Context(), qh)
	if last := audit[len(audit)-1]; last.Action != review.ActionDiscard || last.Actor != "admin@example.com" {
		t.Fatalf("audit ends with %+v", last)
	}
}

// TestPeopleByName: people are shown one way, by name with the email on
// hover, in the history and the notices of a run others hold.
func TestPeopleByName(t *testing.T) { pgtest.Each(t, testPeopleByName) }

func testPeopleByName(t *testing.T) {
	e, c := editEnv(t)
	if _, err := e.store.CreateUser(t.Context(), "ana@example.com", "Ana Lima", review.RoleReviewer, passwordtest.Hash(t, "a long enough password")); err != nil {
		t.Fatal(err)
	}
	ana := e.login("ana@example.com")
	if status, out := edit(t, e, ana, map[string]any{"version": 0, "outputId": "dpr_demo_qh_extract", "path": "notes", "text": "x"}); status != 200 {
		t.Fatalf("edit: %d %v", status, out)
	}
	_, body := get(t, c, e.srv.URL+"/runs/"+qh+"/fragments")
	var f struct{ Audit, Notices string }
	json.Unmarshal([]byte(body), &f)
	if !strings.Contains(f.Audit, `title="ana@example.com">Ana Lima</span>`) {
		t.Fatalf("the history names ana as: %.400s", f.Audit)
	}
	if !strings.Contains(f.Notices, "Ana Lima is working on this run") {
		t.Fatalf("the notice: %s", f.Notices)
	}
}
