package review

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// RowOrigins says, for each row of a list as it is now, which row of the
// model's list it came from, or -1 for a row added. A row inserted, moved
// or removed shifts the rows after it: compared by index, every one of
// them would read as changed. A row equal to a model row came from it (the
// nearest, if several are equal); a changed row came from a model row
// left over between the rows around it that came from the model.
func RowOrigins(now, model json.RawMessage) []int {
	var rows, was []json.RawMessage
	json.Unmarshal(now, &rows)
	json.Unmarshal(model, &was)
	from := make([]int, len(rows))
	used := make([]bool, len(was))
	equal := map[string][]int{}
	for j, w := range was {
		k := string(canonical(w))
		equal[k] = append(equal[k], j)
	}
	for i, r := range rows {
		from[i] = -1
		best := -1
		for _, j := range equal[string(canonical(r))] {
			if !used[j] && (best < 0 || distance(j, i) < distance(best, i)) {
				best = j
			}
		}
		if best >= 0 {
			from[i], used[best] = best, true
		}
	}
	var free []int // model rows no row equals, in order
	for j := range was {
		if !used[j] {
			free = append(free, j)
		}
	}
	next := make([]int, len(rows)) // the model row of the next row that came from one
	after := len(was)
	for i := len(rows) - 1; i >= 0; i-- {
		next[i] = after
		if from[i] >= 0 {
			after = from[i]
		}
	}
	before := -1
	for i := range rows {
		if from[i] >= 0 {
			before = from[i]
			continue
		}
		k := sort.SearchInts(free, before+1)
		if k < len(free) && free[k] < next[i] {
			from[i], before = free[k], free[k]
			free = slices.Delete(free, k, k+1)
		}
	}
	return from
}

func distance(a, b int) int { return max(a-b, b-a) }

// RowPath is where a field of a row of list is in the model's output,
// given the rows' origins (RowOrigins): in the row it came from. False for
// a field of a row added. Other paths are where they are.
func RowPath(from []int, list, path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, list+"[")
	end := strings.IndexByte(rest, ']')
	if !ok || from == nil || end < 0 {
		return path, true
	}
	row, err := strconv.Atoi(rest[:end])
	switch {
	case err != nil || row < 0 || row >= len(from):
		return path, true
	case from[row] < 0:
		return "", false
	}
	return list + "[" + strconv.Itoa(from[row]) + "]" + rest[end+1:], true
}

// ModelPath is where a field of the output as reviewed (now) is in the
// model's (model): a reset or a comparison of a cell reads the row it came
// from, not the row now at its index.
func ModelPath(now, model *Output, path string) (string, bool) {
	list, _, ok := strings.Cut(path, "[")
	if !ok {
		return path, true
	}
	l, ok := now.Field(list)
	ml, mok := model.Field(list)
	if !ok || !mok || !l.Type.IsList() {
		return path, true
	}
	return RowPath(RowOrigins(l.Value, ml.Value), list, path)
}
