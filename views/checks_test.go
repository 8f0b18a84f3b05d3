package views

import (
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/reviewer-app/reviewer/review"
)

// TestChecksListEveryFailingRule: the rules box lists each failing rule,
// blocking ones first, with the values it read, and never under a class
// the page's stylesheet hides (a blocking rule's class was "block", the
// class of the hidden text blocks over a page).
func TestChecksListEveryFailingRule(t *testing.T) {
	vm := runPage("")
	vm.Checks = []review.RuleResult{
		{Rule: "has a PO", Severity: review.SeverityWarn, Message: "Invoices need a purchase order.", Fields: []string{"purchase_order"}},
		{Rule: "lines add up", Severity: review.SeverityBlock, Message: "The lines do not add up to the total.", Fields: []string{"total", "line_items[1].amount"}},
	}
	vm.Outputs[0].Fields = append(vm.Outputs[0].Fields,
		FieldVM{Field: review.Field{Path: "total", Type: review.TypeCurrency}, Shown: review.Shown{Text: "35.73 EUR", Amount: "35.73", Code: "EUR"}, Row: -1},
		FieldVM{Field: review.Field{Path: "purchase_order", Type: review.TypeString}, Shown: review.Shown{Null: true}, Row: -1},
		FieldVM{Field: review.Field{Path: "line_items", Type: review.TypeArray}, Row: -1, Grid: &GridVM{Rows: []GridRowVM{{}, {Cells: []*FieldVM{{Field: review.Field{Path: "line_items[1].amount"}, Shown: review.Shown{Text: "5.93"}}}}}}},
	)
	got := said(t, RunPage(vm), "rule")
	want := []string{
		"Blocks approval lines add up: The lines do not add up to the total. at total (35.73 EUR), line_items[1].amount (5.93)",
		"Warning has a PO: Invoices need a purchase order. at purchase_order (empty)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the rules box reads\n%q\nwant\n%q", got, want)
	}
	if b := said(t, RunPage(vm), "block"); len(b) != 0 {
		t.Fatalf("a rule is drawn with the class of hidden blocks: %q", b)
	}
	if !strings.Contains(strings.Join(said(t, RunPage(vm), "checks"), " "), "0 of 2 pass") {
		t.Fatal("the count is wrong")
	}
}

// TestSecretRuleIsOnTheForm: the destination form says how long a secret
// must be, tied to its field for a screen reader.
func TestSecretRuleIsOnTheForm(t *testing.T) {
	var b strings.Builder
	if err := DeliveriesPage(DeliveriesVM{Page: page("Deliveries", review.RoleAdmin)}).Render(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `name="secret" required minlength="16" autocomplete="off" aria-describedby="secret-rule"`) || !strings.Contains(b.String(), `<span id="secret-rule" class="muted">At least 16 characters;`) {
		t.Fatal("the secret's rule is not on the form, or not tied to its field")
	}
}

// TestOutputHeadingsSayItOnce: an output named for what it is is headed
// once ("Split", not "split Split").
func TestOutputHeadingsSayItOnce(t *testing.T) {
	for _, c := range []struct {
		o    OutputVM
		want string
	}{
		{OutputVM{Name: "split", Type: review.OutputSplitter}, "Split"},
		{OutputVM{Name: "SPLITTER", Type: review.OutputSplitter}, "Split"},
		{OutputVM{Name: "Document type", Type: review.OutputClassify}, "Document typeClassification"},
		{OutputVM{Name: "extract", Type: review.OutputExtract}, "Extraction"},
		{OutputVM{Name: "Invoice fields", Type: review.OutputExtract}, "Invoice fieldsExtraction"},
	} {
		if got := strings.Join(said(t, OutputSection(c.o), "output"), ""); !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v is headed %q, want %q", c.o, got, c.want)
		}
	}
}

// TestListsNameRunsByTitle: two runs of one file are told apart by their
// titles in the queue, the decided list and the dashboard's corrections.
func TestListsNameRunsByTitle(t *testing.T) {
	june := review.RunSummary{ID: "workflow_run_june", Title: "Free fibre invoice, June 2015", FileName: "free_fiber.pdf", Decision: review.DecisionApproved, DecidedAt: &earlier}
	aug := review.RunSummary{ID: "workflow_run_aug", Title: "Free fibre invoice, August 2015", FileName: "free_fiber.pdf", Decision: review.DecisionApproved, DecidedAt: &earlier}
	untitled := review.RunSummary{ID: "workflow_run_x", FileName: "free_fiber.pdf", Decision: review.DecisionApproved, DecidedAt: &earlier}
	runs := []review.RunSummary{june, aug, untitled}
	for name, c := range map[string]templ.Component{
		"queue":       QueuePage(QueuePageVM{Page: page("Queue", review.RoleReviewer), Runs: runs, Now: now, Count: "3"}),
		"decided":     DecidedPage(DecidedPageVM{Page: page("Decided", review.RoleReviewer), Runs: runs, Now: now}),
		"corrections": CorrectedRunsPage(CorrectedRunsVM{Page: page("Corrections", review.RoleSupervisor), Path: "total", Runs: runs, Now: now}),
	} {
		text := flow(parse(t, c))
		for _, want := range []string{"Free fibre invoice, June 2015", "Free fibre invoice, August 2015", "free_fiber.pdf"} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s list does not say %q", name, want)
			}
		}
	}
}
