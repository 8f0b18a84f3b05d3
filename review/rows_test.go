package review

import (
	"slices"
	"testing"
)

func TestRowOrigins(t *testing.T) {
	model := `[{"d":"a"},{"d":"b"},{"d":"c"},{"d":"d"}]`
	for _, c := range []struct {
		name, now string
		want      []int
	}{
		{"unchanged", model, []int{0, 1, 2, 3}},
		{"a cell changed", `[{"d":"a"},{"d":"B"},{"d":"c"},{"d":"d"}]`, []int{0, 1, 2, 3}},
		{"a row inserted", `[{"d":"a"},{"d":null},{"d":"b"},{"d":"c"},{"d":"d"}]`, []int{0, -1, 1, 2, 3}},
		{"a row inserted and a later one changed", `[{"d":"a"},{"d":null},{"d":"b"},{"d":"C"},{"d":"d"}]`, []int{0, -1, 1, 2, 3}},
		{"a row removed", `[{"d":"a"},{"d":"c"},{"d":"d"}]`, []int{0, 2, 3}},
		{"a row moved down", `[{"d":"a"},{"d":"c"},{"d":"b"},{"d":"d"}]`, []int{0, 2, 1, 3}},
		{"a row added at the end", `[{"d":"a"},{"d":"b"},{"d":"c"},{"d":"d"},{}]`, []int{0, 1, 2, 3, -1}},
		{"a changed row comes from the row left between", `[{"d":"a"},{"d":"a"}]`, []int{0, 1}},
		{"two rows swapped and one changed", `[{"d":"b"},{"d":"a"},{"d":"X"},{"d":"d"}]`, []int{1, 0, 2, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := RowOrigins([]byte(c.now), []byte(model)); !slices.Equal(got, c.want) {
				t.Errorf("RowOrigins = %v, want %v", got, c.want)
			}
		})
	}
	if got := RowOrigins([]byte(`[{"d":"a"},{"d":"a"}]`), []byte(`[{"d":"a"},{"d":"a"}]`)); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("two equal rows: %v", got)
	}
}
