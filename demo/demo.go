// Package demo holds the demo documents and their Extend outputs, and loads
// them into a running reviewer through its real, signed webhook endpoint.
//
// The documents are real, MIT-licensed invoices (see demo/README.md for
// each file's source and licence); every reference in the outputs was taken
// from the words' positions in the PDFs, so the boxes land on the text.
package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

//go:embed runs/*.json files/* rules.json
var content embed.FS

// Rules returns the demo workflows' validation rules, by workflow id: the
// file `reviewer rules import` reads.
func Rules() (map[string][]review.Rule, error) {
	b, err := content.ReadFile("rules.json")
	if err != nil {
		return nil, err
	}
	var rs map[string][]review.Rule
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("demo rules: %w", err)
	}
	return rs, nil
}

// DuplicateKeys returns the demo workflows' duplicate key fields, by
// workflow id: its invoices are the same when their numbers are, so the
// three runs of each of two invoices are flagged; the other workflows are
// keyed by their documents' checksums.
func DuplicateKeys() map[string][]string {
	return map[string][]string{
		"workflow_demo_invoices":  {"invoice_number"},
		"workflow_demo_utilities": {"invoice_number"},
	}
}

// ServiceLevels returns how long the demo workflows' runs may wait before
// they are due, by workflow id: at the demo's start the mailroom packet
// that has waited over four hours is late, and the QualityHosting invoice
// that has waited 7 h 40 min is due within the hour.
func ServiceLevels() map[string]time.Duration {
	return map[string]time.Duration{
		"workflow_demo_mailroom":  4 * time.Hour,
		"workflow_demo_legacy":    8 * time.Hour,
		"workflow_demo_invoices":  24 * time.Hour,
		"workflow_demo_utilities": 24 * time.Hour,
	}
}

// Run is a demo workflow run: the payload Extend would send with
// workflow_run.needs_review, the documents it names, and what a reviewer
// did with it earlier in the day, if anything.
type Run struct {
	Name    string // the payload's file under runs/, and the tag of a copy ("aws_2026.json+aws_sep")
	ID      string
	Payload json.RawMessage
	Files   map[string]string // file id → name under files/
	Decided *Decision
	// Escalated is the reviewer who sent the run to a supervisor earlier in
	// the day, and why: the escalation queue is not empty on the first screen.
	Escalated *Escalation
	// Truth is the document's values where the model's differ: what a
	// careful second reviewer gives when QA draws the run.
	Truth []Edit
}

// Decision is what a reviewer already did with a demo run.
type Decision struct {
	At      time.Time // when: a while after the run arrived, as the day went
	By      string
	Approve bool
	Note    string
	Edits   []Edit
	// Active is the time the reviewer had the run's page focused before
	// deciding, reported by the page as it is spent (every half minute).
	Active time.Duration
}

// Escalation is a run a reviewer could not decide and sent to a
// supervisor, with the reason they gave.
type Escalation struct {
	At         time.Time
	By, Reason string
}

// Edit is one field a reviewer corrected before deciding.
type Edit struct {
	Output, Path string
	Text, Code   string
}

// visit is one run of the demo's working day: a payload under runs/, as it
// is or as another run of the same document (another month's invoice, a
// duplicate sent twice), how long ago it was submitted, and what became of it.
type visit struct {
	run       string        // a payload under runs/
	tag, as   string        // a copy: every "demo_<tag>" id becomes "demo_<as>"
	name      string        // the copy's name
	age       time.Duration // since the document was submitted to Extend
	decision  *Decision
	escalated *Escalation
}

// decidedAfter is how long after its arrival each decided run of the
// demo's day was decided: less than the youngest decided run's age, so
// every decision lies in the past.
const decidedAfter = 15 * time.Minute

// day is the demo: a queue that has been worked since the morning.
var day = []visit{
	{run: "qualityhosting_2025.json", age: 7*time.Hour + 40*time.Minute},
	{run: "fiber_2026.json", tag: "fiber", as: "fiber_june", name: "Free fibre invoice, June 2015", age: 6*time.Hour + 55*time.Minute,
		decision: &Decision{By: "ana@example.com", Approve: true, Edits: []Edit{{Output: "exr_demo_fiber_june", Path: "due_date", Text: "2015-07-05"}}, Active: 2*time.Minute + 10*time.Second}},
	{run: "aws_2026.json", tag: "aws", as: "aws_july", name: "AWS invoice, July 2014", age: 6*time.Hour + 10*time.Minute,
		decision: &Decision{By: "ben@example.com", Approve: true, Edits: []Edit{{Output: "exr_demo_aws_july", Path: "purchase_order", Text: "PO-2014-0817"}}, Active: 1*time.Minute + 45*time.Second}},
	{run: "nics_rotated_2026.json", age: 5*time.Hour + 25*time.Minute},
	{run: "qualityhosting_2025.json", tag: "qh", as: "qh_june", name: "QualityHosting invoice, June", age: 5 * time.Hour,
		decision: &Decision{By: "ana@example.com", Approve: true, Edits: []Edit{{Output: "dpr_demo_qh_june_extract", Path: "customer_number", Text: "11082"}}, Active: 2*time.Minute + 40*time.Second}},
	{run: "packet_2026.json", age: 4*time.Hour + 5*time.Minute},
	{run: "aws_2026.json", tag: "aws", as: "aws_copy", name: "AWS invoice, August 2014 (sent twice)", age: 3*time.Hour + 30*time.Minute,
		decision: &Decision{By: "ben@example.com", Note: "Duplicate: the same invoice 42183017 is waiting as workflow_run_demo_aws_2026.", Active: 55 * time.Second}},
	{run: "article_2026.json", age: 2*time.Hour + 50*time.Minute},
	{run: "story_2026.json", age: 2*time.Hour + 15*time.Minute,
		escalated: &Escalation{By: "ben@example.com", Reason: "Not a letter to us: an eight-page film summary. Which team takes it?"}},
	{run: "packet_2026.json", tag: "packet", as: "packet_nov", name: "Mailroom packet, November scan", age: 100 * time.Minute,
		decision: &Decision{By: "chris@example.com", Approve: true, Active: 3*time.Minute + 20*time.Second}},
	{run: "fiber_2026.json", age: 75 * time.Minute},
	{run: "article_2026.json", tag: "article", as: "article_bounced", name: "Scanned post: returned paper", age: 40 * time.Minute,
		decision: &Decision{By: "chris@example.com", Note: "Not ours: a returned journal article, sent back to the mailroom.", Active: 40 * time.Second}},
	{run: "aws_2026.json", age: 25 * time.Minute},
	{run: "fiber_2026.json", tag: "fiber", as: "fiber_aug", name: "Free fibre invoice, August 2015", age: 8 * time.Minute},
}

// Runs returns every run of the demo's day, in the order they arrived,
// submitted to Extend at their ages before now.
func Runs(now time.Time) ([]Run, error) {
	var out []Run
	for _, v := range day {
		b, err := content.ReadFile("runs/" + v.run)
		if err != nil {
			return nil, err
		}
		name := v.run
		if v.as != "" {
			b = bytes.ReplaceAll(b, []byte("demo_"+v.tag), []byte("demo_"+v.as))
			name += "+" + v.as
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(b, &payload); err != nil {
			return nil, fmt.Errorf("demo %s: %w", v.run, err)
		}
		if v.name != "" {
			payload["name"], _ = json.Marshal(v.name)
		}
		payload["initialRunAt"], _ = json.Marshal(now.Add(-v.age).UTC().Format(time.RFC3339))
		r, err := newRun(name, payload)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", v.run, err)
		}
		if v.decision != nil {
			d := *v.decision
			d.At = now.Add(-v.age + decidedAfter)
			r.Decided = &d
		}
		if v.escalated != nil {
			e := *v.escalated
			e.At = now.Add(-v.age + decidedAfter)
			r.Escalated = &e
		}
		out = append(out, r)
	}
	return out, nil
}

// Payloads returns each payload under runs/ once, as it is, in a stable
// order: fixtures for tests.
func Payloads() ([]Run, error) {
	names, err := content.ReadDir("runs")
	if err != nil {
		return nil, err
	}
	var out []Run
	for _, n := range names {
		b, err := content.ReadFile("runs/" + n.Name())
		if err != nil {
			return nil, err
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(b, &payload); err != nil {
			return nil, fmt.Errorf("demo %s: %w", n.Name(), err)
		}
		r, err := newRun(n.Name(), payload)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", n.Name(), err)
		}
		r.Payload = b // byte for byte
		out = append(out, r)
	}
	return out, nil
}

func newRun(name string, payload map[string]json.RawMessage) (Run, error) {
	var head struct {
		ID    string `json:"id"`
		Files []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"files"`
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return Run{}, err
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return Run{}, err
	}
	r := Run{Name: name, ID: head.ID, Payload: b, Files: map[string]string{}}
	for _, f := range head.Files {
		r.Files[f.ID] = f.Name
	}
	return r, nil
}

// File opens a demo document by its name under files/.
func File(name string) (io.Reader, error) {
	b, err := content.ReadFile(path.Join("files", path.Base(name)))
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// Event wraps a payload in Extend's envelope, as a webhook body.
func Event(id, typ string, payload json.RawMessage) []byte {
	b, _ := json.Marshal(struct {
		EventID   string          `json:"eventId"`
		EventType string          `json:"eventType"`
		Payload   json.RawMessage `json:"payload"`
	}{id, typ, payload})
	return b
}

// Send posts a webhook body to url signed with secret, as Extend does.
func Send(ctx context.Context, client *http.Client, url, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(review.HeaderSignature, review.Sign(secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, resp.Body) // drained, so the connection is reused
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("webhook answered %s: %s", resp.Status, b)
	}
	return nil
}

// Payload returns the payload of the demo run in runs/name.
func Payload(name string) (json.RawMessage, error) {
	return content.ReadFile("runs/" + name)
}

// Arrival returns a maker of distinct 20 KB workflow runs for load tests
// and benchmarks: the 2026 NICS report run with its table of states grown
// to 20 KB of cited rows, as a long document's line items make Extend's
// payloads (every row a value, a confidence and a box, so decoding and
// applying cost what a real run of that size costs), with every id of it
// (the run's, its file's, its step's and its output's hold "demo_nics")
// made tag's. Its document is nics-background-checks-2015-11-rotated.pdf.
func Arrival() (func(tag string) json.RawMessage, error) {
	b, err := content.ReadFile("runs/nics_rotated_2026.json")
	if err != nil {
		return nil, err
	}
	b, err = growStates(b, arrivalSize)
	if err != nil {
		return nil, err
	}
	tmpl := string(b)
	return func(tag string) json.RawMessage {
		return json.RawMessage(strings.ReplaceAll(tmpl, "demo_nics", tag))
	}, nil
}

// arrivalSize is the size of Arrival's runs: Extend's payload for a
// document of a few pages with a table.
const arrivalSize = 20 << 10

// growStates adds rows to the extraction's table of states, each cited a
// row beside the last (the page is turned: rows go along x), until the
// compact run is size bytes.
func growStates(run []byte, size int) ([]byte, error) {
	var whole map[string]any
	if err := json.Unmarshal(run, &whole); err != nil {
		return nil, err
	}
	steps, _ := whole["stepRuns"].([]any)
	step, _ := steps[0].(map[string]any)
	out := dig(step, "result", "extractRun", "output")
	value, meta := dig(out, "value"), dig(out, "metadata")
	cits, _ := dig(meta, "states[2].name")["citations"].([]any)
	if len(cits) == 0 {
		return nil, fmt.Errorf("demo run: no cited table of states")
	}
	cit := cits[0].(map[string]any)
	states, _ := value["states"].([]any)
	for i := len(states); ; i++ {
		b, err := json.Marshal(whole)
		if err != nil || len(b) >= size {
			return b, err
		}
		name := fmt.Sprintf("State %d", i+1)
		states = append(states, map[string]any{"name": name})
		value["states"] = states
		var poly []any
		for _, p := range cit["polygon"].([]any) {
			p := p.(map[string]any)
			poly = append(poly, map[string]any{"x": p["x"].(float64) - 7.2*float64(i-2), "y": p["y"]})
		}
		meta[fmt.Sprintf("states[%d].name", i)] = map[string]any{"ocrConfidence": 0.9, "citations": []any{map[string]any{
			"page": cit["page"], "fileId": cit["fileId"], "polygon": poly, "referenceText": name,
		}}}
	}
}

// dig walks m's nested objects by keys; nil when one is missing.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}
