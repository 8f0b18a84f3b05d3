package web

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// TestSumWarningsCount: the warning that line amounts do not add up counts
// its amounts as a person says them.
func TestSumWarningsCount(t *testing.T) {
	out := func(amounts ...string) review.Output {
		o := review.Output{Fields: []review.Field{
			{Path: "total", Name: "total", Type: review.TypeNumber, Value: json.RawMessage(`7`)},
			{Path: "line_items", Name: "line_items", Type: review.TypeArray},
		}}
		for i, a := range amounts {
			row := "line_items[" + strconv.Itoa(i) + "]"
			o.Fields = append(o.Fields,
				review.Field{Path: row, Name: "[" + strconv.Itoa(i) + "]", Depth: 1, Type: review.TypeObject},
				review.Field{Path: row + ".amount", Name: "amount", Depth: 2, Type: review.TypeNumber, Value: json.RawMessage(a)})
		}
		return o
	}
	for _, c := range []struct {
		amounts []string
		want    string
	}{
		{[]string{"5"}, "The only amount of line_items is 5.00, but total is 7.00."},
		{[]string{"2", "3"}, "The 2 amounts of line_items add up to 5.00, but total is 7.00."},
	} {
		if got := sumWarnings(out(c.amounts...)); !slices.Equal(got, []string{c.want}) {
			t.Errorf("%v: %q, want %q", c.amounts, got, c.want)
		}
	}
}
