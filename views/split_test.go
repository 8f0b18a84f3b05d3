package views

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/reviewer-app/reviewer/review"
)

// TestSplitEditorSays: each sub-document's observation under its row, the
// split's notes, and, with no configured types, the model's types offered
// to the free-text type box (of each row and of the row "+ sub-document"
// adds).
func TestSplitEditorSays(t *testing.T) {
	o := OutputVM{ID: "splr_1", Type: review.OutputSplitter, Editable: true, Pages: 3,
		Splits: []review.Split{
			{ID: "split_1", Type: "invoice", StartPage: 1, EndPage: 1},
			{ID: "split_2", Type: "report", Observation: "One page of statistics.", StartPage: 3, EndPage: 3},
		},
		SplitNotes: []string{"Page 2 belongs to no sub-document."},
		KnownTypes: []string{"invoice", "report"},
	}
	if got := said(t, splits(o), "split-observation"); !slices.Equal(got, []string{"The model observed: One page of statistics."}) {
		t.Errorf("observations = %q", got)
	}
	if got := said(t, splits(o), "split-notes"); !slices.Equal(got, []string{"Page 2 belongs to no sub-document."}) {
		t.Errorf("notes = %q", got)
	}
	var lists, options []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if n.Data == "input" && a.Key == "list" {
				lists = append(lists, a.Val)
			}
			if n.Data == "option" && a.Key == "value" && n.Parent != nil && n.Parent.Data == "datalist" {
				options = append(options, a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(parse(t, splits(o)))
	if len(lists) != 3 || lists[0] != "sp-splr_1-types" || strings.Join(options, ",") != "invoice,report" {
		t.Errorf("type boxes list %q, offering %q", lists, options)
	}
}
