package main

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestEachEditorKindSaves: the browser knows a field's editor only by the
// kind the page writes on it (data-editor), and each kind sends its value
// as such: a yes or no chosen by keyboard, an amount typed with a decimal
// comma beside its code, a signature's name and its date typed the
// European way (stored as YYYY-MM-DD). The history says what was saved
// (its numbers read back through a float: 40.10 reads 40.1).
func TestEachEditorKindSaves(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runQH)
	part := func(path, name string) string {
		return `.field[data-path="` + path + `"] [data-part="` + name + `"]`
	}
	focus := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](`document.activeElement.select?.()`)); err != nil {
			t.Fatal(err)
		}
	}
	before := len(auditOf(t, s, runQH))
	focus(ed("is_paid"))
	typeText(t, ctx, "y")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	focus(part("total", "amount"))
	typeText(t, ctx, "40,10")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	focus(part("signature", "printed_name"))
	typeText(t, ctx, "Ana Lima")
	focus(part("signature", "signature_date")) // leaving the name confirms it
	typeText(t, ctx, "4.3.18")
	press(t, ctx, kb.Enter)
	waitSaved(t, ctx)
	waitFor(t, ctx, `document.querySelector(`+jsString(part("signature", "signature_date"))+`).value === "2018-03-04"`, "the signature's date is not shown as saved")
	last := map[string]string{}
	for _, a := range auditOf(t, s, runQH)[before:] {
		b, _ := json.Marshal(a["after"])
		last[a["path"].(string)] = string(b)
	}
	for path, want := range map[string]string{
		"is_paid":   `true`,
		"total":     `{"amount":40.1,"iso_4217_currency_code":"EUR"}`,
		"signature": `{"is_signed":false,"printed_name":"Ana Lima","signature_date":"2018-03-04","title_or_role":null}`,
	} {
		if last[path] != want {
			t.Errorf("%s saved as %s, want %s", path, last[path], want)
		}
	}
}
