package review

import "testing"

// TestNote: a note keeps its words, line breaks and tabs, and right-to-left
// text, but loses the controls that would make it read otherwise on a page
// (a bidirectional override turning "approve" around) and the spaces
// around it.
func TestNote(t *testing.T) {
	for in, want := range map[string]string{
		"  the VAT number is unreadable \n":          "the VAT number is unreadable",
		"line one\nline two\tend":                    "line one\nline two\tend",
		"do not \u202eevorppa\u202c this":            "do not evorppa this",
		"isolate \u2067x\u2069 and nul \x00 bell \a": "isolate x and nul  bell",
		"שלום עולם":                                  "שלום עולם",
		"\u202e\u202d":                               "",
	} {
		if got := Note(in); got != want {
			t.Errorf("Note(%q) = %q, want %q", in, got, want)
		}
	}
}
