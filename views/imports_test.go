package views

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestViewsImportOnlyReview: the views draw view models and the domain's
// types; a document's reading (content) or drawing (pages) is the web
// package's to turn into view models.
func TestViewsImportOnlyReview(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/reviewer-app/reviewer/") && path != "github.com/reviewer-app/reviewer/review" {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
