package review_test

import (
	"encoding/json"
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
