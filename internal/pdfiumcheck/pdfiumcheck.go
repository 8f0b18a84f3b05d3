// Package pdfiumcheck lets the benchmark start PDFium without wazero's
// termination checks, to measure what they cost a page (issue 30). The
// product never does: without them a call past its deadline runs on, and
// a hostile PDF holds an instance for as long as it likes. Only cmd/bench
// imports it; package pages reads it when PDFium starts.
package pdfiumcheck

import "context"

type key struct{}

// Unchecked returns ctx under which pages.Open starts PDFium compiled
// without termination checks (wazero's CloseOnContextDone off).
func Unchecked(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// IsUnchecked says whether ctx came from Unchecked.
func IsUnchecked(ctx context.Context) bool {
	off, _ := ctx.Value(key{}).(bool)
	return off
}
