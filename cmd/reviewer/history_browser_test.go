package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestHistoryReadsAsPeopleSay: rows moved, added and typed into by
// keyboard are told in the run's history as a person says them, without
// JSON; the API keeps the machine form (the list before and after).
func TestHistoryReadsAsPeopleSay(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	rows := rowCount(ctx, "line_items")
	first := js(t, ctx, `document.querySelector('.field[data-path="line_items[0].description"] .ed').value`)

	focusField(t, ctx, "line_items[0].description")
	press(t, ctx, kb.ArrowDown, chromedp.ModifierAlt)
	waitFor(t, ctx, `document.querySelector('.field[data-path="line_items[1].description"] .ed')?.value === `+jsString(first), "Alt+↓ did not move the first row down")
	waitSaved(t, ctx)
	focusField(t, ctx, "line_items["+itoa(rows-1)+"].description")
	press(t, ctx, "=", chromedp.ModifierAlt)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "line_items[`+itoa(rows)+`].description"`, "Alt+= added no row")
	typeText(t, ctx, "Setup fee")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)

	want := []string{
		"moved row 1 of Line items below row 2",
		"added row " + itoa(rows+1) + " to Line items (empty)",
		"set Line items row " + itoa(rows+1) + " description to “Setup fee”",
	}
	waitFor(t, ctx, `document.querySelectorAll("#audit li").length >= 3`, "the history did not grow")
	history := js(t, ctx, `[...document.querySelectorAll("#audit li")].map((li) => li.textContent.replace(/\s+/g, " ").trim()).join("\n")`)
	for _, w := range want {
		if !strings.Contains(history, w) {
			t.Errorf("the history lacks %q", w)
		}
	}
	if strings.ContainsAny(history, "{[") || strings.Contains(history, "(was ,") || strings.Contains(history, "typed") {
		t.Errorf("the history reads as the machine writes it:\n%s", history)
	}
	if t.Failed() {
		t.Fatalf("the history reads:\n%s", history)
	}
	var moved map[string]any
	for _, a := range auditOf(t, s, runQH) {
		if a["path"] == "line_items" {
			moved = a
			break
		}
	}
	var before, after []map[string]any
	b, _ := json.Marshal(moved["before"])
	a, _ := json.Marshal(moved["after"])
	if json.Unmarshal(b, &before) != nil || json.Unmarshal(a, &after) != nil || len(before) != rows || after[1]["description"] != first {
		t.Fatalf("the API's history of the move is %v", moved)
	}
}
