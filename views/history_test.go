package views

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// TestHistorySentences: every kind of audit entry reads as a sentence a
// person says, without JSON, empty quotes or the machine's words.
func TestHistorySentences(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	rows := `[{"description":"Hosting","quantity":1,"amount":{"amount":10,"iso_4217_currency_code":"EUR"}},{"description":"Domain","quantity":2,"amount":{"amount":4.5,"iso_4217_currency_code":"EUR"}},{"description":"Support","quantity":1,"amount":null}]`
	moved := `[{"description":"Domain","quantity":2,"amount":{"amount":4.5,"iso_4217_currency_code":"EUR"}},{"description":"Hosting","quantity":1,"amount":{"amount":10,"iso_4217_currency_code":"EUR"}},{"description":"Support","quantity":1,"amount":null}]`
	added := strings.TrimSuffix(rows, "]") + `,{"description":"Setup fee","quantity":2,"amount":{"amount":7.00,"iso_4217_currency_code":"EUR"}}]`
	empty := strings.TrimSuffix(rows, "]") + `,{"description":null,"quantity":null,"amount":null}]`
	removed := `[{"description":"Hosting","quantity":1,"amount":{"amount":10,"iso_4217_currency_code":"EUR"}},{"description":"Support","quantity":1,"amount":null}]`
	block := review.RuleResult{Rule: "has a PO", Severity: review.SeverityBlock}
	warn := review.RuleResult{Rule: "lines add up", Severity: review.SeverityWarn}
	for _, c := range []struct {
		name string
		a    review.AuditEntry
		want string
	}{
		{"typed", review.AuditEntry{Action: review.ActionEdit, Path: "invoice_number", Before: raw(`"3006449"`), After: raw(`"30064449"`), How: review.HowTyped},
			`set Invoice number to “30064449” (was “3006449”)`},
		{"typed into an empty field", review.AuditEntry{Action: review.ActionEdit, Path: "vat_id", Before: raw(`null`), After: raw(`"DE123"`), How: review.HowTyped},
			`set VAT ID to “DE123”`},
		{"cleared", review.AuditEntry{Action: review.ActionEdit, Path: "po_number", Before: raw(`"PO-1"`), After: raw(`null`), How: review.HowTyped},
			`cleared PO number (was “PO-1”)`},
		{"an amount", review.AuditEntry{Action: review.ActionEdit, Path: "total", Before: raw(`{"amount":34.73,"iso_4217_currency_code":"EUR"}`), After: raw(`{"amount":35.73,"iso_4217_currency_code":"UAH"}`)},
			`set Total to “35.73 UAH” (was “34.73 EUR”)`},
		{"a cell", review.AuditEntry{Action: review.ActionEdit, Path: "line_items[2].unit_price", Before: raw(`5`), After: raw(`5.5`), How: review.HowClicked},
			`set Line items row 3 unit price to “5.5” (was “5”), picked from the page`},
		{"drawn", review.AuditEntry{Action: review.ActionEdit, Path: "date", Before: raw(`"2025-01-02"`), After: raw(`"2025-01-03"`), How: review.HowDrawn},
			`set Date to “2025-01-03” (was “2025-01-02”), by a box drawn on the page`},
		{"re-pointed", review.AuditEntry{Action: review.ActionEdit, Path: "date", Before: raw(`"2025-01-02"`), After: raw(`"2025-01-02"`), How: review.HowDrawn},
			`pointed Date at another place on the page, by a box drawn on the page`},
		{"reset", review.AuditEntry{Action: review.ActionEdit, Path: "date", Before: raw(`"2025-01-03"`), After: raw(`"2025-01-02"`), How: review.HowReset},
			`put Date back to the model's “2025-01-02”`},
		{"row moved", review.AuditEntry{Action: review.ActionEdit, Path: "line_items", Before: raw(rows), After: raw(moved)},
			`moved row 1 of Line items below row 2`},
		{"row added", review.AuditEntry{Action: review.ActionEdit, Path: "line_items", Before: raw(rows), After: raw(added)},
			`added row 4 to Line items: Setup fee, 2, 7.00 EUR`},
		{"empty row added", review.AuditEntry{Action: review.ActionEdit, Path: "line_items", Before: raw(rows), After: raw(empty)},
			`added row 4 to Line items (empty)`},
		{"row removed", review.AuditEntry{Action: review.ActionEdit, Path: "line_items", Before: raw(rows), After: raw(removed)},
			`removed row 2 of Line items: Domain, 2, 4.5 EUR`},
		{"class", review.AuditEntry{Action: review.ActionEdit, Path: review.PathClass, Before: raw(`{"id":"c1","type":"invoice","confidence":0.9}`), After: raw(`{"id":"c2","type":"receipt"}`), How: review.HowTyped},
			`changed the class from “invoice” to “receipt”`},
		{"class reset", review.AuditEntry{Action: review.ActionEdit, Path: review.PathClass, Before: raw(`{"id":"c2","type":"receipt"}`), After: raw(`{"id":"c1","type":"invoice"}`), How: review.HowReset},
			`put the class back to the model's “invoice”`},
		{"splits", review.AuditEntry{Action: review.ActionEdit, Path: review.PathSplits, Before: raw(`[{"type":"invoice","startPage":1,"endPage":2}]`), After: raw(`[{"type":"invoice","startPage":1,"endPage":1},{"type":"report","startPage":2,"endPage":2}]`)},
			`set the sub-documents to page 1 invoice, page 2 report (were pages 1-2 invoice)`},
		{"approve", review.AuditEntry{Action: review.ActionApprove}, `approved the run`},
		{"approve with rules passing", review.AuditEntry{Action: review.ActionApprove, Rules: []review.RuleResult{{Rule: "x", Severity: review.SeverityBlock, Passed: true}}}, `approved the run`},
		{"approve over a warning", review.AuditEntry{Action: review.ActionApprove, Rules: []review.RuleResult{warn}}, `approved the run with the warning “lines add up”`},
		{"override", review.AuditEntry{Action: review.ActionApprove, Note: "PO sent separately", Rules: []review.RuleResult{block, warn}},
			`approved the run over the blocking rule “has a PO” and with the warning “lines add up”: “PO sent separately”`},
		{"reject", review.AuditEntry{Action: review.ActionReject, Note: "Not ours"}, `rejected the run: “Not ours”`},
		{"reopen", review.AuditEntry{Action: review.ActionReopen}, `reopened the run`},
		{"undo", review.AuditEntry{Action: review.ActionUndo}, `took the decision back`},
		{"discard", review.AuditEntry{Action: review.ActionDiscard}, `discarded the saved changes`},
		{"document", review.AuditEntry{Action: review.ActionReplaceDocument}, `replaced the document`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := History(c.a); got != c.want {
				t.Errorf("History = %s\n          want %s", got, c.want)
			}
		})
	}
}

// TestLabels: field names read as words, acronyms in capitals.
func TestLabels(t *testing.T) {
	for key, want := range map[string]string{"vat": "VAT", "vat_amount": "VAT amount", "line_items": "Line items", "[2]": "Row 3", "po_number": "PO number", "unit price": "Unit price", "supplier_vat_id": "Supplier VAT ID"} {
		if got := Label(key); got != want {
			t.Errorf("Label(%q) = %q, want %q", key, got, want)
		}
	}
}
