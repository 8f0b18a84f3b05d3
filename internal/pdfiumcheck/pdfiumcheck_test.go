package pdfiumcheck

import (
	"context"
	"testing"
	"time"
)

// TestUnchecked: only a context from Unchecked, or derived from one (the
// renderer's context is the one Open was given, with deadlines and
// cancellation added), turns the checks off; any other keeps them.
func TestUnchecked(t *testing.T) {
	t.Parallel()
	if IsUnchecked(context.Background()) {
		t.Fatal("a plain context turns the termination checks off")
	}
	ctx, cancel := context.WithTimeout(Unchecked(context.Background()), time.Hour)
	defer cancel()
	if !IsUnchecked(ctx) {
		t.Fatal("a context derived from Unchecked keeps the termination checks")
	}
}
