package views

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/reviewer-app/reviewer/review"
)

// TestGridColumnsAreTheTables: a grid's columns are as wide as the
// field-type table says their cells' type is; text, and a type the table
// does not know, share what the others leave.
func TestGridColumnsAreTheTables(t *testing.T) {
	vm := runPage("")
	var cols []ColumnVM
	for _, ft := range []review.FieldType{review.TypeString, review.TypeNumber, review.TypeCurrency, "barcode", review.TypeDate} {
		cols = append(cols, ColumnVM{Key: "." + string(ft), Label: string(ft), Type: ft})
	}
	vm.Outputs[0].Fields = append(vm.Outputs[0].Fields, FieldVM{Field: review.Field{Path: "line_items", Type: review.TypeArray}, Row: -1, Grid: &GridVM{Columns: cols}})
	var widths []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "col" {
			w := ""
			for _, a := range n.Attr {
				if a.Key == "style" {
					w = strings.TrimSuffix(strings.TrimPrefix(a.Val, "width:"), ";")
				}
			}
			widths = append(widths, w)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(parse(t, RunPage(vm)))
	// The row's number, the columns, the row's buttons.
	if want := []string{"", "", "5.5em", "10em", "", "7.5em", ""}; !slices.Equal(widths, want) {
		t.Fatalf("the columns are %q wide, want %q", widths, want)
	}
}
