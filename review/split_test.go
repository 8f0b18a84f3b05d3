package review_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// TestSplitTypedBack types a sub-document's type wrong, saves, types the
// model's type back and approves, in both API versions: the split is the
// model's again, so the output is not edited and keeps what the model said
// of the sub-document (classificationId, observation).
func TestSplitTypedBack(t *testing.T) {
	tests := []struct {
		file, key string
		index     int
		typo      string
	}{
		{"packet_2026.json", "splits", 1, "reprot"},
		{"qualityhosting_2025.json", "subDocuments", 0, "invoce"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			run, err := review.DecodeRun(demoRun(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			model := *output(t, run, review.OutputSplitter)
			orig, ok := model.Model(review.PathSplits)
			if !ok {
				t.Fatalf("the model's sub-documents are not found")
			}
			typed := func(o *review.Output, typ string) json.RawMessage {
				splits := append([]review.Split(nil), o.Splits...)
				splits[tt.index].Type = typ
				splits[tt.index].ClassificationID, splits[tt.index].Observation = "", "" // the page sends neither
				v, _ := json.Marshal(splits)
				got, err := review.ReviseSplits(o, orig, v, 3)
				if err != nil && len(model.Classes) == 0 {
					t.Fatalf("ReviseSplits(%s): %v", typ, err)
				}
				return got
			}
			var edits []review.Edit
			current := &model
			if len(model.Classes) == 0 { // free text: the typo is saved first
				edits = append(edits, review.Edit{OutputID: model.ID, Path: review.PathSplits, Value: typed(&model, tt.typo), How: review.HowTyped})
				now, err := run.WithEdits(edits, noSizes)
				if err != nil {
					t.Fatal(err)
				}
				current = output(t, now, review.OutputSplitter)
				if current.Splits[tt.index].Type != tt.typo {
					t.Fatalf("typo not saved: %+v", current.Splits)
				}
			}
			back := typed(current, model.Splits[tt.index].Type)
			if !review.SameValue(back, orig) {
				t.Errorf("typed back = %s, want the model's %s", back, orig)
			}
			edits = append(edits, review.Edit{OutputID: model.ID, Path: review.PathSplits, Value: back, How: review.HowTyped})
			out, err := run.Reviewed(edits, review.Decision{Approved: true, By: "bo@example.com", At: time.Unix(1_800_000_000, 0)}, noSizes)
			if err != nil {
				t.Fatal(err)
			}
			loc := model.Location
			get := func(rest ...string) string { return raw(t, out, append(append([]string{}, loc...), rest...)...) }
			if got := get("edited"); got != "false" {
				t.Errorf("edited = %s after typing the model's value back", got)
			}
			if got, want := get("reviewedOutput", tt.key), string(orig); !review.SameValue(json.RawMessage(got), json.RawMessage(want)) {
				t.Errorf("reviewedOutput = %s, want %s", got, want)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	sp := func(first, last int) review.Split { return review.Split{Type: "a", StartPage: first, EndPage: last} }
	tests := []struct {
		name   string
		splits []review.Split
		pages  int
		want   string
	}{
		{"covered", []review.Split{sp(1, 2), sp(3, 3)}, 3, ""},
		{"a page between", []review.Split{sp(1, 1), sp(3, 3)}, 3, "Page 2 belongs to no sub-document."},
		{"pages after", []review.Split{sp(1, 1)}, 3, "Pages 2–3 belong to no sub-document."},
		{"pages after, count unknown", []review.Split{sp(1, 1)}, 0, ""},
		{"pages before", []review.Split{sp(3, 3)}, 3, "Pages 1–2 belong to no sub-document."},
		{"none", nil, 2, "Pages 1–2 belong to no sub-document."},
		{"overlap", []review.Split{sp(1, 2), sp(2, 3)}, 3, "Page 2 is in sub-documents 1 and 2."},
		{"three deep, out of order", []review.Split{sp(2, 4), sp(1, 5), sp(3, 3)}, 6,
			"Page 2 is in sub-documents 1 and 2. Page 3 is in sub-documents 1, 2 and 3. Page 4 is in sub-documents 1 and 2. Page 6 belongs to no sub-document."},
		{"past the end", []review.Split{sp(1, 1_000_000_000)}, 2, ""},
		{"not a range", []review.Split{sp(2, 1)}, 1, "Page 1 belongs to no sub-document."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(review.Coverage(tt.splits, tt.pages), " "); got != tt.want {
				t.Errorf("Coverage = %q, want %q", got, tt.want)
			}
		})
	}
	var many []review.Split
	for p := 1; p < 100; p += 2 {
		many = append(many, sp(p, p))
	}
	if n := len(review.Coverage(many, 100)); n != review.MaxCoverageNotes {
		t.Errorf("%d notes of 50 gaps, want %d", n, review.MaxCoverageNotes)
	}
}

// TestSplitNotesUnknownType: with no configured types a typo is saved, and
// said: the splitter's types are the ones its model gave. Configured types
// come first.
func TestSplitNotesUnknownType(t *testing.T) {
	model := &review.Output{Splits: []review.Split{{Type: "invoice", StartPage: 1, EndPage: 2}, {Type: "report", StartPage: 3, EndPage: 3}}}
	now := &review.Output{Splits: []review.Split{{Type: "invoice", StartPage: 1, EndPage: 2}, {Type: "reprot", StartPage: 3, EndPage: 3}}}
	if got := strings.Join(review.SplitTypes(now, model), ","); got != "invoice,report" {
		t.Errorf("types = %s", got)
	}
	want := `Sub-document 2: "reprot" is not a type this splitter knows (invoice, report).`
	if got := strings.Join(review.SplitNotes(now, model, 3), " "); got != want {
		t.Errorf("notes = %q, want %q", got, want)
	}
	now.Classes = []review.ClassOption{{ID: "c1", Type: "invoice"}, {ID: "c2", Type: "reprot"}}
	if got := review.SplitNotes(now, model, 3); len(got) != 0 {
		t.Errorf("a configured type is warned of: %q", got)
	}
}

// TestSplitAddedKnowsItsFile: a sub-document a reviewer adds to a split of
// one file carries that file's id, as the model's do, so a consumer never
// has to guess which file its pages are of.
func TestSplitAddedKnowsItsFile(t *testing.T) {
	run, err := review.DecodeRun(demoRun(t, "packet_2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	model := *output(t, run, review.OutputSplitter)
	orig, _ := model.Model(review.PathSplits)
	splits := []review.Split{model.Splits[0], {Type: "invoice", StartPage: 2, EndPage: 2}, model.Splits[1]}
	splits[0].EndPage = 1
	v, _ := json.Marshal(splits)
	got, err := review.ReviseSplits(&model, orig, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	var out []review.Split
	if err := json.Unmarshal(got, &out); err != nil {
		t.Fatal(err)
	}
	for i, sp := range out {
		if sp.FileID != "file_demo_packet" {
			t.Errorf("sub-document %d has fileId %q, want the file's, file_demo_packet", i+1, sp.FileID)
		}
	}
}
