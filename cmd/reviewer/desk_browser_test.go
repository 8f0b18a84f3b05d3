package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// The review desk driven as a person drives it: real key events (each
// key's keyDown with its text, as Puppeteer and Playwright send them) and
// real mouse clicks, then what the page shows and what the API returns.

const (
	runQH    = "workflow_run_demo_qh_2025"    // 2025-04-21: extraction with line items, classification, split
	runAWS   = "workflow_run_demo_aws_2026"   // 2026-02-09: parse blocks, extraction, classification
	runFiber = "workflow_run_demo_fiber_2026" // 2026-02-09: a two-page PDF without parsed text
)

// openRun signs a new reviewer in and opens a run, then marks the document:
// a reload would lose the mark (see stayed).
func openRun(t *testing.T, s *server, email, runID string) context.Context {
	t.Helper()
	s.user(email, review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, email)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/runs/"+runID),
		chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)),
		settled(),
		chromedp.Evaluate[chromedp.Void](`window.__stay = 1`),
	)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// stayed fails the test if the page was reloaded since openRun.
func stayed(t *testing.T, ctx context.Context, after string) {
	t.Helper()
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__stay === 1`)); !ok {
		t.Fatalf("the page reloaded after %s", after)
	}
}

// press sends one key, with modifiers, to whatever has focus.
func press(t *testing.T, ctx context.Context, key string, mods ...chromedp.Modifier) {
	t.Helper()
	var m chromedp.Modifier
	for _, x := range mods {
		m |= x
	}
	if err := chromedp.Do(ctx, keysAction(key, m)); err != nil {
		t.Fatalf("press %q: %v", key, err)
	}
}

// typeText types text into whatever has focus, key by key.
func typeText(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	if err := chromedp.Do(ctx, keysAction(text, 0)); err != nil {
		t.Fatalf("type %q: %v", text, err)
	}
}

// keysAction sends each key of keys as Puppeteer and Playwright do: one
// keyDown carrying the key's text (so a page that handles the keyDown and
// prevents its default keeps the text out, as in a person's browser), then
// a keyUp. With Ctrl or Alt held a key types nothing: a rawKeyDown.
func keysAction(keys string, mods chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			if r == '\n' {
				r = '\r'
			}
			k, ok := kb.Keys[r]
			if !ok {
				k = &kb.Key{Key: string(r), Text: string(r), Unmodified: string(r), Print: true}
			}
			m := int64(mods)
			if k.Shift {
				m |= int64(chromedp.ModifierShift)
			}
			down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: k.Key, Code: k.Code,
				WindowsVirtualKeyCode: k.Windows, NativeVirtualKeyCode: k.Native, Modifiers: m}
			if k.Print && mods&^chromedp.ModifierShift == 0 {
				down.Type, down.Text, down.UnmodifiedText = input.DispatchKeyEventTypeKeyDown, k.Text, k.Unmodified
			}
			up := down
			up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
			for _, ev := range []input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// focusField puts the cursor in a field's editor, with its text selected,
// as a click into it and Ctrl+A would.
func focusField(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(ed(path))),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select?.()`),
	)
	if err != nil {
		t.Fatalf("focus %s: %v", path, err)
	}
}

// activePath is the path of the field whose editor has focus, or what has
// focus otherwise.
func activePath(ctx context.Context) string {
	p, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.activeElement; const f = a?.closest?.(".field"); return f ? f.dataset.path : (a?.tagName || "") + (a?.className ? "." + a.className : ""); })()`))
	return p
}

// waitFor waits until the JavaScript condition holds.
func waitFor(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	deadline := time.Now().Add(ceiling)
	for time.Now().Before(deadline) {
		if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); ok {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	// What the page says in its status regions (the save state, the
	// find count, a page's sentence), to tell a slow page from a wrong one.
	said, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[role="status"]')].filter((e) => e.textContent.trim()).map((e) => (e.id || e.className) + ": " + e.textContent.trim())`))
	// And what it looked like, for the person reading the failure.
	if shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := filepath.Join(os.TempDir(), strings.ReplaceAll(t.Name(), "/", "_")+"-failed.png")
		if os.WriteFile(name, shot, 0o644) == nil {
			t.Logf("the page as it was: %s", name)
		}
	}
	t.Fatalf("%s (the page says %q)", what, said)
}

// at reads a dotted path of a JSON document.
func at(t *testing.T, doc json.RawMessage, path string) string {
	t.Helper()
	v, _ := review.At(doc, strings.Split(path, "."))
	return string(v)
}

// TestRejectDialogRejects: Shift+R opens the dialog, the note is typed,
// Ctrl+Enter inside the dialog submits the rejection, never an approval.
func TestRejectDialogRejects(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	// The run opens in a field; Shift+R is the document's key.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "R", chromedp.ModifierShift)
	waitFor(t, ctx, `document.getElementById("reject-dialog").open && document.activeElement.id === "rejectionNote"`, "Shift+R did not open the dialog with the note focused")
	typeText(t, ctx, "Wrong vendor")
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runQH), "Ctrl+Enter in the dialog did not decide the run")
	got := s.apiGet("/api/v1/runs/" + runQH)
	if at(t, got, "status") != `"REJECTED"` || at(t, got, "rejectionNote") != `"Wrong vendor"` {
		t.Fatalf("after Ctrl+Enter in the reject dialog: status %s, note %s", at(t, got, "status"), at(t, got, "rejectionNote"))
	}
}

// TestTabAndEnterMoveFieldToField: a skip link reaches the first field in
// one key; Tab goes from field to field, never to a field's secondary
// buttons, so Enter after Tab saves nothing and empties nothing.
func TestTabAndEnterMoveFieldToField(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	// From the top of the page (the run opened in a field).
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex")`)); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Tab)
	if a := activePath(ctx); !strings.Contains(a, "skip") {
		t.Fatalf("the first Tab reached %q, want the skip link", a)
	}
	press(t, ctx, kb.Enter)
	if a := activePath(ctx); a != "invoice_number" {
		t.Fatalf("the skip link led to %q, want the first field", a)
	}
	for _, want := range []string{"invoice_date", "customer_number"} {
		press(t, ctx, kb.Tab)
		if a := activePath(ctx); a != want {
			t.Fatalf("Tab reached %q, want %q", a, want)
		}
	}
	press(t, ctx, kb.Enter)
	stayed(t, ctx, "Enter on an unchanged field")
	if v := value(t, ctx, ed("customer_number")); v == "" {
		t.Fatal("Enter after Tab emptied the field")
	}
	if a := activePath(ctx); a != "total" {
		t.Fatalf("Enter moved to %q, want the next field total", a)
	}
	if audit := at(t, s.apiGet("/api/v1/runs/"+runQH), "edits"); audit != "" && audit != "null" && audit != "[]" && audit != "{}" {
		t.Fatalf("moving through fields recorded changes: %s", audit)
	}
}

// rowCount is how many rows of a list the page shows.
func rowCount(ctx context.Context, list string) int {
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.outputs .field[data-list=`+jsString(list)+`]').length`))
	return n
}

// approveByKey approves with Ctrl+Enter from where the focus is and waits
// for the next run to open.
func approveByKey(t *testing.T, ctx context.Context, runID string) {
	t.Helper()
	press(t, ctx, kb.Enter, chromedp.ModifierCtrl)
	waitFor(t, ctx, `document.body.dataset.runId !== `+jsString(runID), "Ctrl+Enter did not approve the run")
}

// TestRowsInPlace: rows of a list are added, inserted, moved and removed by
// button and by key, in place (no reload, focus kept on the row), one save
// each; what the page shows is what the API returns.
func TestRowsInPlace(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	rows := rowCount(ctx, "line_items")
	if rows < 2 {
		t.Fatalf("the demo run shows %d line items; the test needs two", rows)
	}
	// The button, with the mouse.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-action="add-row"][data-list="line_items"]`))); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, ctx)
	stayed(t, ctx, "adding a row")
	if n := rowCount(ctx, "line_items"); n != rows+1 {
		t.Fatalf("after adding a row the page shows %d rows, want %d", n, rows+1)
	}
	if state, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-state"))); strings.Contains(state, "Saving") {
		t.Fatalf("the state stays %q", state)
	}
	// The new row's first cell has focus: type its description.
	if a := activePath(ctx); !strings.HasPrefix(a, "line_items["+itoa(rows)+"].") {
		t.Fatalf("after adding a row focus is on %q, want the new row", a)
	}
	typeText(t, ctx, "Extra line")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	// Move the new row up by key from its cell: focus follows the row.
	focusField(t, ctx, "line_items["+itoa(rows)+"].description")
	press(t, ctx, kb.ArrowUp, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[`+itoa(rows-1)+`].description"`, "focus did not follow the moved row")
	if v := value(t, ctx, ed("line_items["+itoa(rows-1)+"].description")); v != "Extra line" {
		t.Fatalf("the moved row reads %q", v)
	}
	stayed(t, ctx, "moving a row")
	// Adding a row, typing in it and moving it is one change: the list's.
	if state, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-state"))); state != "Saved · 1 changed" {
		t.Fatalf("after moving a row the page says %q", state)
	}
	// Remove the first row by key.
	focusField(t, ctx, "line_items[0].description")
	first := value(t, ctx, ed("line_items[0].description"))
	press(t, ctx, kb.Delete, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelectorAll('.outputs .field[data-list="line_items"]').length === `+itoa(rows), "the row was not removed")
	if v := value(t, ctx, ed("line_items[0].description")); v == first {
		t.Fatalf("the first row is still %q", v)
	}
	approveByKey(t, ctx, runQH)
	got := s.apiGet("/api/v1/runs/" + runQH)
	var items []map[string]any
	json.Unmarshal([]byte(at(t, got, "outputs.0.reviewedOutput.line_items.value")), &items)
	if len(items) != rows || items[rows-2]["description"] != "Extra line" {
		t.Fatalf("reviewedOutput line_items = %v, want %d rows with the added one second to last", items, rows)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPickUnderABoxAndReset: in text mode the words under another field's
// box can be picked; Reset then restores the value and its location, so
// the decision's citation is the model's and edits say unedited.
func TestPickUnderABoxAndReset(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	focusField(t, ctx, "invoice_number")
	press(t, ctx, "t", chromedp.ModifierAlt) // text mode, from inside the field
	waitFor(t, ctx, `document.getElementById("pages").classList.contains("show-text")`, "Alt+T did not show the text")
	// 296664039561 lies under account_number's box: a real click there.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.block[data-text="296664039561"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_number"] .ed').value === "296664039561"`, "the text under a box was not picked")
	stayed(t, ctx, "picking text")
	if a := activePath(ctx); a != "invoice_number" {
		t.Fatalf("after a pick focus is on %q, want the field", a)
	}
	press(t, ctx, kb.Backspace, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_number"] .ed').value === "42183017"`, "Alt+Backspace did not reset the value")
	stayed(t, ctx, "reset by key")
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("pages").classList.contains("show-text")`)); !on {
		t.Fatal("text mode was lost")
	}
	approveByKey(t, ctx, runAWS)
	got := s.apiGet("/api/v1/runs/" + runAWS)
	out := "stepRuns.1.result.extractRun.reviewedOutput"
	if v := at(t, got, out+".value.invoice_number"); v != `"42183017"` {
		t.Fatalf("invoice_number = %s", v)
	}
	if ref := at(t, got, out+".metadata.invoice_number.citations.0.referenceText"); ref != `"42183017"` {
		t.Fatalf("after reset the citation reads %s, want the model's 42183017", ref)
	}
	if e := at(t, got, "stepRuns.1.result.extractRun.edits.invoice_number"); e != "" && e != "null" {
		t.Fatalf("edits records the reset field: %s", e)
	}
}

// TestEnterSavesOnce: Enter saves a change once (the audit has one entry,
// shown at once in the history); a value the server reads differently is
// shown as stored; a refused value keeps focus and what was typed.
func TestEnterSavesOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	focusField(t, ctx, "customer_number")
	typeText(t, ctx, "1.234,56")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	press(t, ctx, kb.Tab, chromedp.ModifierShift) // back, which fires a change event of its own
	if v := value(t, ctx, ed("customer_number")); v != "1234.56" {
		t.Fatalf("customer_number shows %q, want it as stored, 1234.56", v)
	}
	waitFor(t, ctx, `document.querySelector("#audit summary").textContent.includes("(1)")`, "the history does not show the one change")
	var audit struct{ Data []any }
	json.Unmarshal(s.apiGet("/api/v1/runs/"+runQH+"/audit"), &audit)
	if len(audit.Data) != 1 {
		t.Fatalf("one Enter recorded %d audit entries: %v", len(audit.Data), audit.Data)
	}
	focusField(t, ctx, "invoice_date")
	typeText(t, ctx, "not a date")
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_date"]').classList.contains("invalid")`, "a bad date was not refused")
	if a := activePath(ctx); a != "invoice_date" {
		t.Fatalf("after a refused save focus moved to %q", a)
	}
	if v := value(t, ctx, ed("invoice_date")); v != "not a date" {
		t.Fatalf("the refused text became %q", v)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.field[data-path="invoice_date"] .problem`)))
	if !strings.Contains(msg, "not a date") {
		t.Fatalf("the message does not quote what was typed: %q", msg)
	}
	press(t, ctx, kb.Escape)
	if v := value(t, ctx, ed("invoice_date")); v != "2014-05-07" {
		t.Fatalf("Esc left %q", v)
	}
	// Alt+N empties the field in place; Alt+Backspace brings it back.
	press(t, ctx, "n", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_date"] .ed').value === "" && document.querySelector('.field[data-path="invoice_date"]').classList.contains("edited")`, "Alt+N did not empty the field")
	stayed(t, ctx, "set empty by key")
	if a := activePath(ctx); a != "invoice_date" {
		t.Fatalf("after Alt+N focus is on %q", a)
	}
	press(t, ctx, kb.Backspace, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector('.field[data-path="invoice_date"] .ed').value === "2014-05-07"`, "Alt+Backspace did not bring the value back")
}

// TestClassInPlace: changing the class shows names, never raw JSON, and
// none of the model's confidence; reset brings the model's class back; the
// decision carries the reviewer's class without the model's reasoning.
func TestClassInPlace(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	const class = `#ed-dpr_demo_qh_classify-class`
	panel := `.field[data-output="dpr_demo_qh_classify"]`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(class))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Escape) // close the list the click opened; the select keeps focus
	press(t, ctx, kb.ArrowDown)
	press(t, ctx, kb.Enter) // a list is looked through with the arrows, chosen with Enter
	waitFor(t, ctx, `document.querySelector(`+jsString(panel+" .was")+`)?.textContent.includes("invoice")`, "the panel does not say which class the model chose")
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(panel)))
	if strings.Contains(text, "{") || strings.Contains(text, "95%") {
		t.Fatalf("after a class change the panel reads %q", text)
	}
	stayed(t, ctx, "a class change")
	// Enter went on to the next field: back to the class to reset it.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(class))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.Backspace, chromedp.ModifierAlt)
	waitFor(t, ctx, `!document.querySelector(`+jsString(panel+" .was")+`) && document.querySelector(`+jsString(panel)+`).textContent.includes("95%")`, "reset did not bring the model's class back")
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(class))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.ArrowDown)
	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `!!document.querySelector(`+jsString(panel+" .was")+`)`, "the second change was not saved")
	approveByKey(t, ctx, runQH)
	got := s.apiGet("/api/v1/runs/" + runQH)
	if v := at(t, got, "outputs.1.reviewedOutput"); v != `{"id":"classification3","type":"credit_note"}` {
		t.Fatalf("the reviewed class is %s", v)
	}
}

// TestSplitsInPlace: a sub-document is added with the next valid range, its
// type chosen from the splitter's types; Enter stays in the row; the
// decision carries what the page showed.
func TestSplitsInPlace(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-action="add-split"]`))); err != nil {
		t.Fatal(err)
	}
	rows := `.splits-editor tbody tr`
	waitFor(t, ctx, `document.querySelectorAll(`+jsString(rows)+`).length === 2`, "no row was added")
	ranges, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(`+jsString(rows)+`)].map((tr) => tr.querySelector('[data-part="startPage"]').value + "-" + tr.querySelector('[data-part="endPage"]').value).join(",")`))
	if ranges != "1-1,2-2" {
		t.Fatalf("a new sub-document of a 2-page document: ranges %s, want 1-1,2-2", ranges)
	}
	if a, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.part`)); a != "type" {
		t.Fatalf("focus is on %q, want the new row's type", a)
	}
	press(t, ctx, kb.ArrowDown) // the first configured type
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	if a, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.closest("tr")?.dataset.split + "/" + document.activeElement.dataset.part`)); a != "1/identifier" {
		t.Fatalf("Enter in the type went to %q, want the identifier of the same row", a)
	}
	typeText(t, ctx, "p2")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	stayed(t, ctx, "editing sub-documents")
	// The thumbnails show the two sub-documents.
	labels, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".thumbs .split-label")].map((l) => l.textContent).join(",")`))
	if labels != "1 · invoice,2 · invoice" {
		t.Fatalf("the thumbnails name the sub-documents %q", labels)
	}
	approveByKey(t, ctx, runQH)
	var subs []map[string]any
	json.Unmarshal([]byte(at(t, s.apiGet("/api/v1/runs/"+runQH), "outputs.2.reviewedOutput.subDocuments")), &subs)
	if len(subs) != 2 || subs[1]["type"] != "invoice" || subs[1]["identifier"] != "p2" || subs[1]["startPage"] != 2.0 || subs[1]["classificationId"] != "split_invoice" || subs[0]["endPage"] != 1.0 {
		t.Fatalf("reviewed sub-documents: %v", subs)
	}
}

// TestOthersOnTheRun: a supervisor watching sees the holder's edit as it is
// saved; when the supervisor releases the holder's claim, the holder's page
// turns read-only at once and keeps what was being typed in view; a
// decision by someone else stays said.
func TestOthersOnTheRun(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo", "--feed-poll", "1h")
	ana := openRun(t, s, "ana@example.com", runQH)
	s.user("sam@example.com", review.RoleSupervisor)
	sam := browser(t)
	signIn(t, sam, s.base, "sam@example.com")
	if err := chromedp.Do(sam, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(`#locked`)), settled()); err != nil {
		t.Fatal(err)
	}
	focusField(t, ana, "notes")
	typeText(t, ana, "Checked with the vendor")
	press(t, ana, kb.Enter)
	waitSaved(t, ana)
	waitFor(t, sam, `document.querySelector('.field[data-path="notes"] .ed').value === "Checked with the vendor"`, "the watcher did not see the edit")
	// Ana types and has not confirmed when the claim goes.
	focusField(t, ana, "due_date")
	typeText(t, ana, "2014-06-30")
	if err := chromedp.Do(sam, chromedp.Click(chromedp.CSS(`#locked button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sam, `document.body.dataset.editable === "true"`, "the release did not give the supervisor the run")
	waitFor(t, ana, `document.body.dataset.editable === "false" && !!document.querySelector("#locked")`, "the holder's page stayed editable after the release")
	// The notice is drawn by the refresh, the typed text kept in it after.
	waitFor(t, ana, `document.querySelector("#locked .copyable")?.textContent === "2014-06-30"`, "what was being typed is not kept in view")
	if err := chromedp.Do(sam, chromedp.Click(chromedp.CSS(`[data-action="approve"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, `document.getElementById("decision-notice").textContent.includes("Approved by sam@example.com")`, "the decision was not said")
	waitFor(t, ana, `document.getElementById("locked")?.textContent.includes("Approved by sam@example.com")`, "the page does not show the decision")
	if n, _ := chromedp.Run(ana, chromedp.Text(chromedp.CSS(`#decision-notice`))); !strings.Contains(n, "Decided while you were here") {
		t.Fatalf("the decision notice was overwritten: %q", n)
	}
}

// TestTypedTextSurvivesAClosedTab: text typed and not confirmed is offered
// back when the run is opened again, and Enter saves it. (A tab closed
// normally confirms what its field holds, as leaving the field does; this
// one dies, as a tab does when the browser or the machine goes first.)
func TestTypedTextSurvivesAClosedTab(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	tab, closeTab := chromedp.NewContext(ctx)
	if err := chromedp.Do(tab, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled()); err != nil {
		t.Fatal(err)
	}
	focusField(t, tab, "notes")
	typeText(t, tab, "Half a thought")
	crashTab(t, tab)
	closeTab()
	if a := s.apiGet("/api/v1/runs/" + runQH + "/audit"); strings.Contains(string(a), "Half a thought") {
		t.Fatalf("the dead tab saved: %s", a)
	}
	again, closeAgain := chromedp.NewContext(ctx)
	defer closeAgain()
	if err := chromedp.Do(again, chromedp.Navigate(s.base+"/runs/"+runQH), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled()); err != nil {
		t.Fatal(err)
	}
	if v := value(t, again, ed("notes")); v != "Half a thought" {
		t.Fatalf("the typed text was lost: notes = %q", v)
	}
	if ok, _ := chromedp.Run(again, chromedp.Evaluate[bool](`document.querySelector('.field[data-path="notes"]').classList.contains("restored")`)); !ok {
		t.Fatal("the restored text is not marked as not saved")
	}
	if err := chromedp.Do(again, chromedp.Focus(chromedp.CSS(ed("notes")))); err != nil {
		t.Fatal(err)
	}
	press(t, again, kb.Enter)
	waitSaved(t, again)
	approveByKey(t, again, runQH)
	if v := at(t, s.apiGet("/api/v1/runs/"+runQH), "outputs.0.reviewedOutput.notes.value"); v != `"Half a thought"` {
		t.Fatalf("notes = %s", v)
	}
}

// TestEveryKeyInTheHelp: each key the help lists for the document and for
// moving between fields does what it says, from the page and from a field.
func TestEveryKeyInTheHelp(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	js := func(expr string) string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		return v
	}
	zoom := func() string { return js(`document.getElementById("zoom-level").textContent`) }
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "]")
	waitFor(t, ctx, `document.getElementById("page-now").textContent === "2"`, "] did not go to the next page")
	press(t, ctx, "[")
	waitFor(t, ctx, `document.getElementById("page-now").textContent === "1"`, "[ did not go back")
	z := zoom()
	press(t, ctx, "+")
	if zoom() == z {
		t.Fatal("+ did not zoom in")
	}
	press(t, ctx, "-")
	press(t, ctx, "-")
	if zoom() == z {
		t.Fatal("- did not zoom out")
	}
	press(t, ctx, "0")
	if zoom() != z {
		t.Fatalf("0 did not fit the width: %s, was %s", zoom(), z)
	}
	press(t, ctx, "9")
	if zoom() == z {
		t.Fatal("9 did not fit the page")
	}
	for _, k := range []struct{ key, button string }{{"t", "text"}, {"d", "draw"}} {
		press(t, ctx, k.key)
		if js(`document.querySelector('[data-viewer="`+k.button+`"]').getAttribute("aria-pressed")`) != "true" {
			t.Fatalf("%s did not turn %s on", k.key, k.button)
		}
	}
	press(t, ctx, kb.Escape)
	if js(`document.querySelector('[data-viewer="draw"]').getAttribute("aria-pressed")`) != "false" {
		t.Fatal("Esc did not stop drawing")
	}
	// From a field, with Alt.
	focusField(t, ctx, "invoice_number")
	press(t, ctx, "]", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.getElementById("page-now").textContent === "2"`, "Alt+] in a field did not turn the page")
	if a := activePath(ctx); a != "invoice_number" {
		t.Fatalf("a document key moved focus to %q", a)
	}
	press(t, ctx, "o", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector('.page[data-index="2"]').dataset.turn === "90"`, "Alt+O in a field did not turn the page")
	if a := activePath(ctx); a != "invoice_number" {
		t.Fatalf("turning the page moved focus to %q", a)
	}
	// The next field needing attention, from a field and from the page.
	press(t, ctx, "a", chromedp.ModifierAlt)
	first := activePath(ctx)
	if first == "invoice_number" || js(`document.activeElement.closest(".field").classList.contains("attention") + ""`) != "true" {
		t.Fatalf("Alt+A went to %q", first)
	}
	// Esc twice: the first undoes typing, the second leaves for the document.
	typeText(t, ctx, "x")
	press(t, ctx, kb.Escape)
	if a := activePath(ctx); a != first {
		t.Fatalf("the first Esc left the field for %q", a)
	}
	press(t, ctx, kb.Escape)
	if a := js(`document.activeElement.id`); a != "pages" {
		t.Fatalf("the second Esc went to %q, want the document", a)
	}
	press(t, ctx, "a")
	if a := activePath(ctx); a == "" || a == "DIV" {
		t.Fatalf("a from the document went to %q", a)
	}
	// ? opens the help, which lists these keys.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#pages"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "?")
	help := js(`document.getElementById("help-dialog").open ? document.getElementById("help-keys").textContent : ""`)
	for _, want := range []string{"next page", "zoom in", "next field needing attention", "approve and open the next run", "reject with a note", "insert a row", "back to the queue", "turn the page", "find text in the document"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help lacks %q", want)
		}
	}
	press(t, ctx, kb.Escape) // closes the help
	// g then q: the queue; there, n opens the next run nobody holds.
	press(t, ctx, "g")
	press(t, ctx, "q")
	waitFor(t, ctx, `location.pathname === "/" && !!document.querySelector(".next-form")`, "g q did not open the queue")
	if err := chromedp.Do(ctx, settled()); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "n")
	waitFor(t, ctx, `location.pathname.startsWith("/runs/")`, "n on the queue did not open a run")
}

// TestLineItemsGrid: a list of records is a table whose columns are the
// records' fields with people's names; Tab goes along the row; a cell's
// row lights its boxes together; a changed cell says what it was; the
// attention filter keeps the rows the model was unsure of.
func TestLineItemsGrid(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	js := func(expr string) string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		return v
	}
	if h := js(`[...document.querySelectorAll('.field[data-path="line_items"] .grid thead th')].map((th) => th.textContent.trim()).filter((s) => s && !/^Row/.test(s)).join(",")`); h != "Description,Amount" {
		t.Fatalf("the grid's columns are %q", h)
	}
	focusField(t, ctx, "line_items[1].description")
	if rows := js(`[...document.querySelectorAll(".box.row-active")].map((b) => b.dataset.refField.match(/^line_items\[\d+\]/)?.[0]).filter((v, i, a) => a.indexOf(v) === i).join(",")`); rows != "line_items[1]" {
		t.Fatalf("focusing a cell lit the boxes of %q, want its row", rows)
	}
	press(t, ctx, kb.Tab)
	if a := activePath(ctx); a != "line_items[1].amount" {
		t.Fatalf("Tab from a cell went to %q, want the next cell of the row", a)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`)); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "1.88")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	if title := js(`document.querySelector('.field[data-path="line_items[1].amount"]').title`); !strings.Contains(title, "was “1.87”") {
		t.Fatalf("the changed cell's title is %q", title)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#attention-only`))); err != nil {
		t.Fatal(err)
	}
	shown := js(`[...document.querySelectorAll(".grid-row")].filter((r) => r.offsetParent).map((r) => r.dataset.row).join(",")`)
	want := js(`[...document.querySelectorAll(".grid-row.attention")].map((r) => r.dataset.row).join(",")`)
	if shown != want {
		t.Fatalf("with the attention filter rows %q show, want %q", shown, want)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#attention-only`))); err != nil {
		t.Fatal(err)
	}
	approveByKey(t, ctx, runAWS)
	if v := at(t, s.apiGet("/api/v1/runs/"+runAWS), "stepRuns.1.result.extractRun.reviewedOutput.value.line_items.1.amount"); v != "1.88" {
		t.Fatalf("line_items[1].amount = %s", v)
	}
}

// TestUndoADecision: after Ctrl+Enter the next run opens saying what was
// decided, with Undo; Alt+U takes the decision back and reopens the run, held by
// the reviewer, and the API shows it waiting again.
func TestUndoADecision(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo", "--undo-window", "10m")
	ctx := openRun(t, s, "rev@example.com", runQH)
	approveByKey(t, ctx, runQH)
	waitFor(t, ctx, `!!document.getElementById("undo-notice") && !location.search.includes("decided")`, "the next run does not offer to undo")
	if err := chromedp.Do(ctx, settled()); err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#undo-notice")))
	if !strings.Contains(notice, "Approved QualityHosting.pdf") {
		t.Fatalf("the notice reads %q", notice)
	}
	// The next run opens with the cursor in a field, where U types: Alt+U.
	press(t, ctx, "u", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.body.dataset.runId === `+jsString(runQH)+` && document.body.dataset.editable === "true"`, "Alt+U did not reopen the decided run")
	if st := at(t, s.apiGet("/api/v1/runs/"+runQH), "status"); st != `"NEEDS_REVIEW"` {
		t.Fatalf("after undo the run is %s", st)
	}
}

// TestNarrowScreenAndPanelWidth: at 1024 px the review page fits without
// scrolling sideways; the divider widens the field panel by key and by drag,
// and the width is kept for the next run.
func TestNarrowScreenAndPanelWidth(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 768), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(ed("notes"))), settled()); err != nil {
		t.Fatal(err)
	}
	js := func(expr string) float64 {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](expr))
		return v
	}
	if w := js(`document.documentElement.scrollWidth`); w > 1024 {
		t.Fatalf("at 1024 px the page is %v px wide", w)
	}
	if r := js(`document.querySelector('[data-action="approve"]').getBoundingClientRect().right`); r > 1024 {
		t.Fatalf("Approve is off screen at %v px", r)
	}
	width := func() float64 { return js(`document.getElementById("fields").getBoundingClientRect().width`) }
	before := width()
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(".splitter"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, kb.ArrowLeft)
	press(t, ctx, kb.ArrowLeft)
	if after := width(); after < before+60 {
		t.Fatalf("two ← made the panel %v px, was %v", after, before)
	}
	// A drag with the mouse, to the left by 100 px.
	x := js(`document.querySelector(".splitter").getBoundingClientRect().left + 3`)
	dragged := width()
	err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, 400, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x-50, 400, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x-100, 400, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x-100, 400, chromedp.ButtonLeft),
	)
	if err != nil {
		t.Fatal(err)
	}
	if after := width(); after < dragged+90 {
		t.Fatalf("dragging 100 px made the panel %v px, was %v", after, dragged)
	}
	kept := width()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/"+runAWS), chromedp.WaitVisible(chromedp.CSS(ed("invoice_number")))); err != nil {
		t.Fatal(err)
	}
	if w := width(); w < kept-1 || w > kept+1 {
		t.Fatalf("the next run's panel is %v px, want the %v chosen", w, kept)
	}
}
