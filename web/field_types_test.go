package web_test

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"testing"

	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestRunPageCarriesFieldTypes: the review page carries the field-type
// table its scripts read (the one review keeps), and every editor on it
// names a type the table has, so the browser never meets a type it does
// not know how to edit.
func TestRunPageCarriesFieldTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	e.needsReview("qualityhosting_2025.json", func(p string) string { return p })
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	_, page := get(t, rev, e.srv.URL+"/runs/workflow_run_demo_qh_2025")
	m := regexp.MustCompile(`<body[^>]* data-field-types="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page does not carry the field-type table")
	}
	var carried []review.TypeInfo
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &carried); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(carried, review.FieldTypes()) {
		t.Fatalf("the page carries %+v, want %+v", carried, review.FieldTypes())
	}
	editors := regexp.MustCompile(`class="(?:ed|ed-group[^"]*)"[^>]* data-type="([a-z]+)"`).FindAllStringSubmatch(page, -1)
	if len(editors) < 5 {
		t.Fatalf("%d editors on the page", len(editors))
	}
	for _, ed := range editors {
		if !slices.ContainsFunc(carried, func(ti review.TypeInfo) bool { return string(ti.Type) == ed[1] }) && ed[1] != "class" && ed[1] != "splits" {
			t.Errorf("an editor of type %q, not in the table", ed[1])
		}
	}
}
