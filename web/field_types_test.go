package web_test

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestEditorsSayTheirKind: the review page writes on each field's editor
// how the field-type table says its type is edited (data-editor) and
// whether text picked from the document fills it (data-picks), which is
// all the browser knows of types: every kind of editor is there, each as
// the table has it.
func TestEditorsSayTheirKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	e.needsReview("qualityhosting_2025.json", func(p string) string { return p })
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	_, page := get(t, rev, e.srv.URL+"/runs/workflow_run_demo_qh_2025")
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[review.Editor]bool{}
	for field := range nodes(doc, func(n *html.Node) bool { return slices.Contains(strings.Fields(attr(n, "class")), "field") }) {
		var typ string
		for span := range nodes(field, func(n *html.Node) bool { return n.Data == "span" && attr(n, "class") == "type" }) {
			typ = span.FirstChild.Data
			break
		}
		if typ == "" || review.FieldType(typ).Container() {
			continue // a grid's cell shows its type in its column; a container has no editor of its own
		}
		want := review.FieldType(typ).Info()
		n := 0
		for ed := range nodes(field, func(n *html.Node) bool { return hasAttr(n, "data-editor") }) {
			n++
			if got := review.Editor(attr(ed, "data-editor")); got != want.Editor || hasAttr(ed, "data-picks") != want.Picks {
				t.Errorf("%s (%s): editor %q picks %v, want %q picks %v", attr(field, "data-path"), typ, got, hasAttr(ed, "data-picks"), want.Editor, want.Picks)
			}
			kinds[want.Editor] = true
		}
		if n != 1 {
			t.Errorf("%s (%s) has %d editors", attr(field, "data-path"), typ, n)
		}
	}
	for _, k := range []review.Editor{review.EditText, review.EditChoice, review.EditMoney, review.EditSignature} {
		if !kinds[k] {
			t.Errorf("no %s editor on the page", k)
		}
	}
}

// nodes are the elements under n (n too) that match.
func nodes(n *html.Node, match func(*html.Node) bool) func(yield func(*html.Node) bool) {
	return func(yield func(*html.Node) bool) {
		var walk func(*html.Node) bool
		walk = func(n *html.Node) bool {
			if n.Type == html.ElementNode && match(n) && !yield(n) {
				return false
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if !walk(c) {
					return false
				}
			}
			return true
		}
		walk(n)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == key })
}
