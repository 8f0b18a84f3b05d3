package views

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/reviewer-app/reviewer/review"
)

// Component tests of what the pages say: each page is rendered with a view
// model as the handlers fill it, its HTML parsed, and its text read as a
// person reads it (text nodes and the attributes that are read out). No
// template syntax may leak into it, and the key sentences must be there.

var (
	now     = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	earlier = now.Add(-90 * time.Minute)
	// templateSyntax is a component call or an expression written where
	// templ takes text: "@person(", "{ vm.Note }".
	templateSyntax = regexp.MustCompile(`@[A-Za-z_][\w.]*\(|[{}]`)
)

func page(title string, role review.Role) Page {
	return Page{
		Title: title,
		User:  &review.User{Email: "ana@example.com", Name: "Ana Lima", Role: role},
		Asset: func(name string) string { return "/static/" + name },
		People: func(email string) string {
			return map[string]string{"ana@example.com": "Ana Lima", "ben@example.com": "Ben Okafor"}[email]
		},
	}
}

// parse renders c and parses its HTML.
func parse(t *testing.T, c templ.Component) *html.Node {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func skipped(n *html.Node) bool {
	return n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head")
}

// pieces are what a person reads on a page, one piece a line: the text of
// every node outside scripts and styles, and the attributes assistive
// technology reads out.
func pieces(n *html.Node) []string {
	if skipped(n) {
		return nil
	}
	var out []string
	if n.Type == html.TextNode {
		if s := strings.Join(strings.Fields(n.Data), " "); s != "" {
			out = append(out, s)
		}
	}
	for _, a := range n.Attr {
		if a.Key == "title" || a.Key == "aria-label" || a.Key == "placeholder" || a.Key == "alt" {
			out = append(out, a.Val)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, pieces(c)...)
	}
	return out
}

// flow is the text of n as a browser runs it together, spaces collapsed:
// the sentence a person reads.
func flow(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if skipped(n) {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// said is the flow of each element of a class.
func said(t *testing.T, c templ.Component, class string) []string {
	t.Helper()
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key == "class" && slices.Contains(strings.Fields(a.Val), class) {
				out = append(out, flow(n))
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(parse(t, c))
	return out
}

func runPage(decision string) RunPageVM {
	conf := 0.58
	vm := RunPageVM{
		Page: page("QualityHosting.pdf", review.RoleAdmin),
		Run:  review.RunSummary{ID: "workflow_run_1", WorkflowName: "Invoices", Status: review.StatusNeedsReview},
		Name: "QualityHosting.pdf",
		Files: []DocFileVM{{ID: "file_1", Name: "QualityHosting.pdf", Pages: []DocPageVM{
			{N: 1, Index: 1, Width: 612, Height: 792, Image: "/runs/workflow_run_1/files/file_1/pages/1", Split: 1, SplitLabel: "1 · invoice",
				Boxes: []BoxVM{{Field: "invoice_number", Rect: review.Rect{Left: .1, Top: .1, Right: .2, Bottom: .12}, Band: "low", Title: "Invoice number"}}},
		}}},
		Pages:    1,
		Editable: decision == "",
		Review:   review.Review{Version: 3, Decision: decision, DecidedBy: "ben@example.com", Note: "Wrong vendor: the invoice is not ours"},
		Audit: []review.AuditEntry{
			{At: earlier, Actor: "ana@example.com", Action: review.ActionEdit, Path: "invoice_number", Before: json.RawMessage(`"3006449"`), After: json.RawMessage(`"30064449"`), How: "typed"},
			{At: earlier, Actor: "ben@example.com", Action: review.ActionApprove, Note: "Checked by phone", Rules: []review.RuleResult{{Rule: "lines add up", Severity: review.SeverityBlock}}},
			{At: earlier, Actor: "ana@example.com", Action: review.ActionReopen},
			{At: earlier, Actor: "ana@example.com", Action: review.ActionUndo},
			{At: earlier, Actor: "ana@example.com", Action: review.ActionDiscard},
			{At: earlier, Actor: "ana@example.com", Action: review.ActionReplaceDocument},
		},
		Checks: []review.RuleResult{
			{Rule: "lines add up", Severity: review.SeverityBlock, Message: "The lines do not add up to the total.", Fields: []string{"total"}},
			{Rule: "has a number", Severity: review.SeverityWarn, Passed: true},
		},
		CanOverride: true,
		Edited:      1,
		Outputs: []OutputVM{{
			ID: "dpr_1", Type: review.OutputExtract, Name: "extract", Editable: decision == "",
			Fields: []FieldVM{
				{Field: review.Field{Path: "invoice_number", Name: "invoice_number", Type: "string"}, OutputID: "dpr_1", Shown: review.Shown{Text: "30064449"}, Band: Band(conf), Score: Percent(conf),
					Where: "p. 1", Edited: true, Original: "3006449", Row: -1, Label: "Invoice number", Rules: []string{"The lines do not add up to the total."}},
			},
		}},
	}
	return vm
}

// TestPagesSayNoTemplateSyntax renders every page and reads its text.
func TestPagesSayNoTemplateSyntax(t *testing.T) {
	conf := 0.9
	summary := review.RunSummary{ID: "workflow_run_1", WorkflowName: "Invoices", FileName: "QualityHosting.pdf", PageCount: 2, MinConfidence: &conf,
		QueuedAt: &earlier, Decision: review.DecisionApproved, DecidedBy: "ben@example.com", DecidedAt: &earlier, ClaimedBy: "ben@example.com", ClaimExpires: now.Add(time.Hour)}
	rules := []RuleFormVM{{Index: "0", Rule: review.Rule{Name: "lines add up", Expr: "total.amount == sum(line_items.map(i, i.amount))", Message: "Lines must add up.", Severity: review.SeverityBlock, Fields: []string{"total"}}, Tried: "Fails on workflow_run_1.", Passed: false}}
	for _, c := range []struct {
		name string
		page templ.Component
		want []string
	}{
		{"run waiting", RunPage(runPage("")), []string{"Approve", "Reject", "1 of 2 pass", "Blocks approval", "set Invoice number to “30064449” (was “3006449”)", "reopened the run", "took the decision back", "discarded the saved changes", "replaced the document", "approved the run over the blocking rule “lines add up”: “Checked by phone”"}},
		{"run approved", RunPage(runPage(review.DecisionApproved)), []string{"Approved by", "Ben Okafor"}},
		{"run rejected", RunPage(runPage(review.DecisionRejected)), []string{"Rejected by", "Ben Okafor", "Wrong vendor: the invoice is not ours"}},
		{"queue", QueuePage(QueuePageVM{Page: page("Queue", review.RoleReviewer), Runs: []review.RunSummary{summary}, Now: now, Count: "1", Me: "ana@example.com"}), []string{"Review queue", "1 waiting", "QualityHosting.pdf", "Ben Okafor", "1h 30m"}},
		{"queue empty", QueuePage(QueuePageVM{Page: page("Queue", review.RoleAdmin), Now: now, Setup: &SetupHint{WebhookURL: "http://127.0.0.1/webhooks/extend"}}), []string{"Nothing is waiting"}},
		{"decided", DecidedPage(DecidedPageVM{Page: page("Decided", review.RoleReviewer), Runs: []review.RunSummary{summary}, Now: now}), []string{"Decided runs", "Approved", "Ben Okafor", "1h 30m ago"}},
		{"dashboard", DashboardPage(DashboardPageVM{Page: page("Dashboard", review.RoleSupervisor), D: review.Dashboard{Now: now, Waiting: 3, Oldest: &earlier, SLA: 4 * time.Hour,
			ByWorkflow: []review.WorkflowDepth{{ID: "wf", Name: "Invoices", Waiting: 3, Oldest: earlier}}, PerDay: []review.Bucket{{Label: "Mon", Count: 2}},
			Reviewers:   []review.ReviewerStats{{Email: "ben@example.com", Approved: 2}},
			Corrections: []review.FieldCorrections{{WorkflowName: "Invoices", Path: "invoice_number", Edited: 1, Decided: 3}},
			RuleFails:   []review.RuleFailures{{WorkflowName: "Invoices", Rule: "lines add up", Severity: review.SeverityBlock, Failed: 1}}}}), []string{"3", "waiting", "Fields corrected most", "1 of 3", "33%", "Ben Okafor"}},
		{"corrections", CorrectedRunsPage(CorrectedRunsVM{Page: page("Corrections", review.RoleSupervisor), Path: "invoice_number", Runs: []review.RunSummary{summary}, Now: now}), []string{"Runs where", "invoice_number", "was corrected"}},
		{"corrections of no field", CorrectedRunsPage(CorrectedRunsVM{Page: page("Corrections", review.RoleSupervisor), Now: now}), []string{"Corrected runs"}},
		{"error signed in", ErrorPage(ErrorPageVM{Page: page("Forbidden", review.RoleReviewer), Status: 403, Message: "This page is for supervisors and above."}), []string{"Forbidden", "Back to the queue"}},
		{"error signed out", ErrorPage(ErrorPageVM{Page: Page{Title: "Not Found", Asset: func(n string) string { return n }}, Status: 404, Message: "There is no page here."}), []string{"Sign in"}},
		{"login", LoginPage(LoginPageVM{Page: Page{Title: "Sign in", Asset: func(n string) string { return n }}, Error: "Wrong email or password."}), []string{"Sign in to reviewer", "Wrong email or password."}},
		{"setup", SetupPage(SetupPageVM{Page: Page{Title: "Setup", Asset: func(n string) string { return n }}}), []string{"Create administrator"}},
		{"settings", SettingsPage(SettingsVM{Page: page("Settings", review.RoleAdmin), SLAHours: 4, Rules: []RuleVM{{Workflow: review.Workflow{ID: "wf", Name: "Invoices"}, Sample: 5}}}), []string{"Dashboard wait limit", "Validation rules are on the Rules page"}},
		{"rules", RulesPage(RulesVM{Page: page("Validation rules", review.RoleSupervisor), Validation: []WorkflowRulesVM{{Workflow: review.Workflow{ID: "wf", Name: "Invoices"}, Rules: rules}}}),
			[]string{"Validation rules", "Condition total.amount == sum", "Fails on workflow_run_1."}},
		{"users", UsersPage(UsersVM{Page: page("Users", review.RoleAdmin), Users: []review.User{{Email: "ben@example.com", Name: "Ben Okafor", Role: review.RoleReviewer}},
			Tokens: []review.Token{{Name: "erp", Role: review.RoleReviewer, CreatedAt: earlier}}, Log: []review.AdminEntry{{At: earlier, Actor: "ana@example.com", Action: "add user", Target: "ben@example.com"}}}), []string{"Users and API tokens", "ben@example.com", "erp"}},
		{"deliveries", DeliveriesPage(DeliveriesVM{Page: page("Deliveries", review.RoleAdmin), Destinations: []review.Destination{{URL: "https://erp.example.com/hook"}},
			Deliveries: []review.Delivery{{RunID: "workflow_run_1", URL: "https://erp.example.com/hook", EventType: "workflow_run.reviewed", State: "failed", Attempts: 2, LastError: "connection refused", CreatedAt: earlier}}}), []string{"Deliveries", "https://erp.example.com/hook", "connection refused", "At least 16 characters; deliveries are signed with it."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := parse(t, c.page)
			for _, line := range pieces(doc) {
				if m := templateSyntax.FindString(line); m != "" {
					t.Errorf("template syntax %q in the text %q", m, line)
				}
				if strings.Contains(line, "reopend") || strings.Contains(line, " 1 blocking rules") || strings.Contains(line, " 1 amounts") {
					t.Errorf("a misspelt sentence: %q", line)
				}
			}
			text := flow(doc)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("the page does not say %q; it says:\n%s", w, text)
				}
			}
		})
	}
}

// TestDecisionSaysWho: a decided run says who decided in one sentence, by
// name, with the note of a rejection.
func TestDecisionSaysWho(t *testing.T) {
	for decision, want := range map[string]string{
		review.DecisionApproved: "Approved by Ben Okafor",
		review.DecisionRejected: "Rejected by Ben Okafor: Wrong vendor: the invoice is not ours",
	} {
		if got := said(t, RunPage(runPage(decision)), "decision"); len(got) != 1 || got[0] != want {
			t.Errorf("a run %s says %q, want %q", decision, got, want)
		}
	}
}

// TestCountsAgree: a count agrees with its noun.
func TestCountsAgree(t *testing.T) {
	vm := runPage("")
	if got := said(t, RunPage(vm), "override-why"); len(got) != 1 || !strings.Contains(got[0], "although 1 blocking rule fails?") {
		t.Errorf("the override dialog asks %q", got)
	}
	vm.Checks = append(vm.Checks, review.RuleResult{Rule: "due after issue", Severity: review.SeverityBlock, Message: "Due before issued."})
	if got := said(t, RunPage(vm), "override-why"); len(got) != 1 || !strings.Contains(got[0], "although 2 blocking rules fail?") {
		t.Errorf("the override dialog asks %q", got)
	}
}

func TestPercentRounds(t *testing.T) {
	for c, want := range map[float64]string{0.58: "58%", 0.576: "58%", 0.999: "100%", 0.5: "50%", 0: "0%"} {
		if got := Percent(c); got != want {
			t.Errorf("Percent(%v) = %s, want %s", c, got, want)
		}
	}
}

// TestDuplicateSaysWhatIsShared: the duplicate note says in one plain
// sentence what the two runs share and who decided the other, by name.
func TestDuplicateSaysWhatIsShared(t *testing.T) {
	run := review.RunSummary{ID: "workflow_run_1", WorkflowName: "Mailroom", FileName: "packet.pdf", QueuedAt: &earlier,
		Duplicate: &review.Duplicate{RunID: "workflow_run_2", FileName: "packet.pdf", Decision: review.DecisionApproved, DecidedBy: "ben@example.com", DecidedAt: &earlier,
			Key: review.ChecksumKeyPrefix + "aae402f204e1ffff"}}
	want := "Has a duplicate Same file (sha256 aae402f204e1…) as the later run packet.pdf workflow_run_2: approved by Ben Okafor at 2026-03-02 08:30 UTC."
	got := said(t, QueuePage(QueuePageVM{Page: page("Queue", review.RoleReviewer), Runs: []review.RunSummary{run}, Now: now, Count: "1"}), "duplicate")
	if len(got) != 1 || got[0] != want {
		t.Errorf("the queue says %q, want %q", got, want)
	}
}

// TestDurationsSayNoZeroPart: a service level of 4 hours is "4h", not
// "4h 0m" ("past the 4h 0m SLA", "due within 1h 0m").
func TestDurationsSayNoZeroPart(t *testing.T) {
	for d, want := range map[time.Duration]string{4 * time.Hour: "4h", time.Hour + 30*time.Minute: "1h 30m", 2 * time.Minute: "2m", 90 * time.Second: "1m 30s", 45 * time.Second: "45s", 0: "–"} {
		if got := duration(d); got != want {
			t.Errorf("duration(%s) = %q, want %q", d, got, want)
		}
	}
}
