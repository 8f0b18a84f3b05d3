package web

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestSafeCell: every cell, headers included, that a spreadsheet would read
// as a formula is neutralised; a whole number stays a number.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":                 "'=1+1",
		"-2+3":                 "'-2+3",
		"-1+cmd|' /C calc'!A0": "'-1+cmd|' /C calc'!A0",
		"+SUM(A1)":             "'+SUM(A1)",
		"@SUM(A1)":             "'@SUM(A1)",
		"\t=1":                 "'\t=1",
		"\r=1":                 "'\r=1",
		"-12.50":               "-12.50",
		"+7":                   "+7",
		"-1e5":                 "-1e5",
		"4.11 USD":             "4.11 USD",
		"a=1":                  "a=1",
		"":                     "",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	writeSafe(cw, []string{"run_id", "=HYPERLINK(\"x\")", "-3"})
	cw.Flush()
	if got := b.String(); got != "run_id,\"'=HYPERLINK(\"\"x\"\")\",-3\n" {
		t.Fatalf("header row %q", got)
	}
}
