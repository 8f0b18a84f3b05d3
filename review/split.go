package review

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// MaxCoverageNotes bounds what Coverage says of a split: enough to fix the
// first gaps and overlaps, and a list of thousands would bury the table.
const MaxCoverageNotes = 10

// Coverage says, in sentences, which pages of a document of pages pages
// (0 when unknown: no gap after the last sub-document is told) no
// sub-document covers and which more than one does, in page order. It
// works on the ranges, never page by page, so a range of a billion pages
// costs what a range of one does.
func Coverage(splits []Split, pages int) []string {
	type edge struct{ page, index, delta int }
	var edges []edge
	for i, s := range splits {
		if s.StartPage < 1 || s.EndPage < s.StartPage {
			continue // not a range: refused when saved
		}
		edges = append(edges, edge{s.StartPage, i, +1}, edge{s.EndPage + 1, i, -1})
	}
	if pages > 0 {
		edges = append(edges, edge{pages + 1, -1, 0})
	}
	slices.SortStableFunc(edges, func(a, b edge) int { return a.page - b.page })
	var notes []string
	in := map[int]bool{} // the sub-documents covering the pages from `from`
	from := 1
	for _, e := range edges {
		if e.page > from {
			last := e.page - 1
			if pages > 0 {
				last = min(last, pages)
			}
			if from <= last && len(notes) < MaxCoverageNotes {
				switch {
				case len(in) == 0:
					notes = append(notes, fmt.Sprintf("%s %s to no sub-document.", pageRange(from, last), plural(from, last, "belongs", "belong")))
				case len(in) > 1:
					notes = append(notes, fmt.Sprintf("%s %s in sub-documents %s.", pageRange(from, last), plural(from, last, "is", "are"), members(in)))
				}
			}
			from = e.page
		}
		switch e.delta {
		case +1:
			in[e.index] = true
		case -1:
			delete(in, e.index)
		}
	}
	return notes
}

func pageRange(first, last int) string {
	if first == last {
		return "Page " + strconv.Itoa(first)
	}
	return fmt.Sprintf("Pages %d–%d", first, last)
}

func plural(first, last int, one, more string) string {
	if first == last {
		return one
	}
	return more
}

// members names sub-documents 1-based, in order: "1 and 2", "1, 2 and 4".
func members(in map[int]bool) string {
	var n []string
	for _, i := range slices.Sorted(maps.Keys(in)) {
		n = append(n, strconv.Itoa(i+1))
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}

// SplitTypes are the types a reviewer may give a sub-document: the
// splitter's configured ones, or, when it has none, the ones its model gave
// (model, the output as Extend sent it), in the order first given.
func SplitTypes(o, model *Output) []string {
	var types []string
	for _, c := range o.Classes {
		types = append(types, c.Type)
	}
	if len(types) == 0 && model != nil {
		for _, s := range model.Splits {
			if !slices.Contains(types, s.Type) {
				types = append(types, s.Type)
			}
		}
	}
	return types
}

// SplitNotes is what a reviewer should look at in a split of a document of
// pages pages: pages in no sub-document or in several (Coverage), and
// sub-documents whose type is none of SplitTypes, a typo most likely.
func SplitNotes(o, model *Output, pages int) []string {
	notes := Coverage(o.Splits, pages)
	types := SplitTypes(o, model)
	for i, s := range o.Splits {
		if len(types) > 0 && !slices.Contains(types, s.Type) && len(notes) < MaxCoverageNotes {
			notes = append(notes, fmt.Sprintf("Sub-document %d: %q is not a type this splitter knows (%s).", i+1, s.Type, strings.Join(types, ", ")))
		}
	}
	return notes
}
