package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// apiGet reads an API path with a token made by `reviewer token create`:
// a supervisor's, as a system downstream has, which reads a decided run
// while it waits for its blind QA check (a reviewer's token is refused).
func (s *server) apiGet(path string) json.RawMessage {
	s.t.Helper()
	var out bytes.Buffer
	if s.token == "" {
		if err := run(context.Background(), []string{"token", "create", "--data", s.data, "--name", "test", "--role", "supervisor"}, noEnv, nil, &out, io.Discard); err != nil {
			s.t.Fatal(err)
		}
		s.token = strings.TrimSpace(out.String())
	}
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	return b
}

func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(sel)+`).value`))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitSaved waits until the page says the last change was saved.
func waitSaved(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(ceiling)
	for time.Now().Before(deadline) {
		s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-state")))
		if strings.HasPrefix(s, "Saved") {
			return
		}
		if strings.HasPrefix(s, "Not saved") {
			t.Fatalf("save failed: %s", s)
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatal("the change was never saved")
}

func ed(path string) string { return `.field[data-path="` + path + `"] .ed` }

// TestKeyboardReview reviews a document without the mouse: type into a
// field, Enter to save and move on, a date typed the European way, Ctrl+Enter
// to approve and open the next run; the result reaches the API.
func TestKeyboardReview(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	const runID = "workflow_run_demo_qh_2025"
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/runs/"+runID),
		chromedp.WaitVisible(chromedp.CSS(ed("invoice_number"))),
		settled(),
		chromedp.Focus(chromedp.CSS(ed("invoice_number"))),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`),
		chromedp.KeyEvent("30064449"),
		chromedp.KeyEvent(kb.Enter),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitSaved(t, ctx)
	active, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.closest(".field").dataset.path`))
	if active != "invoice_date" {
		t.Fatalf("Enter moved to %q, want the next field invoice_date", active)
	}
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`),
		chromedp.KeyEvent("8/5/2014"),
		chromedp.KeyEvent(kb.Enter),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitSaved(t, ctx)
	if v := value(t, ctx, ed("invoice_date")); v != "2014-05-08" {
		t.Fatalf("invoice_date shows %q, want 2014-05-08", v)
	}
	hint, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.field[data-path="invoice_date"] .problem`)))
	if !strings.Contains(hint, "2014-08-05") {
		t.Fatalf("the other reading of 8/5/2014 is not shown: %q", hint)
	}
	// A reload shows what was saved.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(ed("invoice_number"))), settled()); err != nil {
		t.Fatal(err)
	}
	if v := value(t, ctx, ed("invoice_number")); v != "30064449" {
		t.Fatalf("after reload invoice_number = %q", v)
	}
	// Approve with Ctrl+Enter; the next run in the queue, the first due
	// (the demo's mailroom packet, late), opens.
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(ed("notes"))),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)), // Ctrl
		chromedp.WaitVisible(chromedp.CSS(`body[data-run-id="workflow_run_demo_packet_2026"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	reviewed := s.apiGet("/api/v1/runs/" + runID)
	for path, want := range map[string]string{
		"status": `"PROCESSED"`, "reviewedBy": `"rev@example.com"`,
		"outputs.0.reviewedOutput.invoice_number.value": `"30064449"`,
		"outputs.0.reviewedOutput.invoice_date.value":   `"2014-05-08"`,
	} {
		if got, _ := review.At(reviewed, strings.Split(path, ".")); string(got) != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

// TestDraftsAndVersions: two tabs on one run; the first saves and is
// closed, which lets the run go; the stale second is told so instead of
// overwriting, with what it typed kept in view; the draft is still there
// when the run is opened again.
func TestDraftsAndVersions(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	url := s.base + "/runs/workflow_run_demo_qh_2025"
	tab1, close1 := chromedp.NewContext(ctx)
	tab2, close2 := chromedp.NewContext(ctx)
	defer close2()
	for _, tab := range []context.Context{tab1, tab2} {
		if err := chromedp.Do(tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled()); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tab1, chromedp.Focus(chromedp.CSS(ed("notes"))), chromedp.KeyEvent("Call vendor about VAT"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, tab1)
	close1() // the tab is closed
	if err := chromedp.Do(tab2, chromedp.Focus(chromedp.CSS(ed("due_date"))), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`), chromedp.KeyEvent("2014-06-01"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	// Closing the first tab let the run go; the stale tab says so instead
	// of overwriting, and keeps what was typed in view to copy.
	waitFor(t, tab2, `document.getElementById("locked")?.textContent.includes("it was released") && document.querySelector(".copyable")?.textContent === "2014-06-01"`,
		"the stale tab was not told the run changed")
	tab3, close3 := chromedp.NewContext(ctx)
	defer close3()
	if err := chromedp.Do(tab3, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(ed("notes")))); err != nil {
		t.Fatal(err)
	}
	if v := value(t, tab3, ed("notes")); v != "Call vendor about VAT" {
		t.Fatalf("draft after the tab closed: %q", v)
	}
	// What the stale tab typed is offered back in a new tab, marked as not
	// saved; the server kept the value it had.
	saved, _ := chromedp.Run(tab3, chromedp.Evaluate[string](`document.querySelector('.field[data-path="due_date"] .ed').dataset.saved`))
	if saved != "2014-05-21" {
		t.Fatalf("the stale tab's change was saved: due_date = %q", saved)
	}
}

// TestHostileValuesShownAsText puts XSS payloads from the OWASP cheat sheet
// in field values, a file name, a workflow name and a rejection note, and
// checks in Chromium that they show as text and no script runs: an alert
// trap catches any dialog, and a marker catches any other execution.
func TestHostileValuesShownAsText(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("rev@example.com", review.RoleReviewer)
	payloads := []string{
		`<script>alert(1);window.__xss=1</script>`,
		`<img src=x onerror="alert(2);window.__xss=2">`,
		`"><svg onload=alert(3)>`,
		`' autofocus onfocus='alert(4)`,
		`javascript:alert(5)`,
		`</textarea><iframe src="javascript:alert(6)">`,
		`{{constructor.constructor('alert(7)')()}}`,
	}
	value := map[string]any{}
	for i, p := range payloads {
		value["f"+string(rune('a'+i))] = p
	}
	s.send("evt_xss", review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": "workflow_run_xss", "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "wf_x", "name": payloads[1]},
		"files":    []any{map[string]any{"id": "file_x", "name": payloads[0] + ".pdf", "type": "PDF"}},
		"outputs":  []any{map[string]any{"id": "dpr_x", "type": "EXTRACT", "output": map[string]any{"value": value, "metadata": map[string]any{}}}},
	})
	c := s.client("rev@example.com")
	s.waitRun(c, "workflow_run_xss")

	ctx := browser(t)
	// The alert trap: any dialog a page opens is recorded.
	var opened atomic.Value
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			opened.Store(ev.Message)
		}
	}()
	signIn(t, ctx, s.base, "rev@example.com")
	for _, path := range []string{"/", "/runs/workflow_run_xss"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS("body")), settled()); err != nil {
			t.Fatal(err)
		}
		ran, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`))
		if ran {
			t.Fatalf("%s ran a script from a document", path)
		}
	}
	for i, p := range payloads {
		if v := valueOf(t, ctx, ed("f"+string(rune('a'+i)))); v != p {
			t.Errorf("field %d shows %q, want the text %q", i, v, p)
		}
	}
	title, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".review-head h1")))
	if title != payloads[0]+".pdf" {
		t.Errorf("file name shows %q", title)
	}
	// A rejection note, shown back on the page.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-action="reject"]`)),
		chromedp.SendKeys(chromedp.CSS("#rejectionNote"), payloads[1]),
		chromedp.Submit(chromedp.CSS("#rejectionNote")),
		chromedp.WaitVisible(chromedp.CSS("#queue-depth")), // back to the queue
		chromedp.Navigate(s.base+"/runs/workflow_run_xss"),
		chromedp.WaitVisible(chromedp.CSS(".decision")),
	); err != nil {
		t.Fatal(err)
	}
	note, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".decision")))
	if !strings.Contains(note, payloads[1]) {
		t.Errorf("rejection note shows %q", note)
	}
	if ran, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`)); ran {
		t.Fatal("the rejection note ran a script")
	}
	if m := opened.Load(); m != nil {
		t.Fatalf("a dialog opened: %q", m)
	}
}

func valueOf(t *testing.T, ctx context.Context, sel string) string { return value(t, ctx, sel) }
