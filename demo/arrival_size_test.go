package demo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// The load tests' runs are 20 KB of fields, not padding: what decoding and
// applying them costs is what a real run of that size costs.
func TestArrivalIsTwentyKilobytesOfCitedRows(t *testing.T) {
	arrival, err := Arrival()
	if err != nil {
		t.Fatal(err)
	}
	b := arrival("t1")
	if len(b) < 19<<10 || len(b) > 21<<10 {
		t.Errorf("arrival is %d bytes, want about 20 KB", len(b))
	}
	if strings.Contains(string(b), "padding") || strings.Contains(string(b), "demo_nics") {
		t.Errorf("arrival carries padding or an id not made its own")
	}
	c, err := review.Interpret(review.Event{ID: "e", Type: review.EventRunNeedsReview, Payload: b})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) || c.Run == nil {
		t.Fatalf("arrival is not a run: %+v", c)
	}
	run, err := review.DecodeRun(b)
	if err != nil {
		t.Fatal(err)
	}
	var rows, cited int
	for _, o := range run.Outputs {
		for _, f := range o.Fields {
			if strings.HasPrefix(f.Path, "states[") && f.Name == "name" {
				rows++
			}
			cited += len(f.Refs)
		}
	}
	if rows < 40 {
		t.Errorf("the table of states has %d rows, want the run grown by rows", rows)
	}
	t.Logf("%d bytes, %d rows, %d citations", len(b), rows, cited)
}
