package review_test

import (
	"testing"

	"github.com/reviewer-app/reviewer/review"
)

// TestFraction covers every rule of CONTRACT.md section 5.
func TestFraction(t *testing.T) {
	letter := review.PageSize{Width: 612, Height: 792}
	image := review.PageSize{Width: 463, Height: 1013}
	// nics-background-checks: MediaBox 1008×612 with /Rotate 90, displayed 612×1008.
	rotated := review.PageSize{Width: 612, Height: 1008}
	r := func(l, t, rt, b float64) review.Rect { return review.Rect{Left: l, Top: t, Right: rt, Bottom: b} }
	tests := []struct {
		name string
		ref  review.Ref
		page review.PageSize
		want review.Rect
		ok   bool
	}{
		{"citation with its own page size (2026 page.width/height)",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(306, 198, 612, 396), PageWidth: 612, PageHeight: 792}, letter,
			r(0.5, 0.25, 1, 0.5), true},
		{"citation page size wins over the rendered page",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(637.5, 825, 1275, 1651), PageWidth: 1275, PageHeight: 1651}, letter,
			r(0.5, 825.0/1651, 1, 1), true},
		{"citation without page size: page points",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(61.2, 79.2, 122.4, 158.4)}, letter,
			r(0.1, 0.1, 0.2, 0.2), true},
		{"citation without page size on an image: pixels",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(46.3, 101.3, 463, 1013)}, image,
			r(0.1, 0.1, 1, 1), true},
		{"legacy box in points",
			review.Ref{Kind: review.RefBox, HasBox: true, Rect: r(153, 198, 306, 396)}, letter,
			r(0.25, 0.25, 0.5, 0.5), true},
		{"legacy box already in fractions",
			review.Ref{Kind: review.RefBox, HasBox: true, Rect: r(0.1, 0.2, 0.3, 0.4)}, letter,
			r(0.1, 0.2, 0.3, 0.4), true},
		{"parse block by metadata.page size",
			review.Ref{Kind: review.RefBlock, HasBox: true, Rect: r(10, 10, 20, 20), PageWidth: 100, PageHeight: 200}, letter,
			r(0.1, 0.05, 0.2, 0.1), true},
		{"rotated page, size given unrotated: swapped",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(61.2, 100.8, 306, 504), PageWidth: 1008, PageHeight: 612}, rotated,
			r(0.1, 0.1, 0.5, 0.5), true},
		{"rotated page, size given as displayed: kept",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(61.2, 100.8, 306, 504), PageWidth: 612, PageHeight: 1008}, rotated,
			r(0.1, 0.1, 0.5, 0.5), true},
		{"rotated page, no size: the displayed page",
			review.Ref{Kind: review.RefBox, HasBox: true, Rect: r(61.2, 100.8, 306, 504)}, rotated,
			r(0.1, 0.1, 0.5, 0.5), true},
		{"unrotated landscape page of a mixed document keeps its size",
			review.Ref{Kind: review.RefCitation, HasBox: true, Rect: r(79.2, 61.2, 396, 306), PageWidth: 792, PageHeight: 612}, review.PageSize{Width: 792, Height: 612},
			r(0.1, 0.1, 0.5, 0.5), true},
		{"upside-down corners are put right and clamped",
			review.Ref{Kind: review.RefBox, HasBox: true, Rect: r(700, 800, 306, 396)}, letter,
			r(0.5, 0.5, 1, 1), true},
		{"upright page, size given in the other orientation: swapped, as Extend's viewer does",
			review.Ref{Kind: review.RefBlock, HasBox: true, Rect: r(61.2, 79.2, 306, 396), PageWidth: 792, PageHeight: 612}, letter,
			r(0.1, 0.1, 0.5, 0.5), true},
		{"manual box is fractions",
			review.Ref{Kind: review.RefManual, HasBox: true, Rect: r(0.2, 0.2, 0.4, 0.3)}, review.PageSize{},
			r(0.2, 0.2, 0.4, 0.3), true},
		{"no box", review.Ref{Kind: review.RefCitation, Page: 1}, letter, review.Rect{}, false},
		{"points but page size unknown", review.Ref{Kind: review.RefBox, HasBox: true, Rect: r(10, 10, 20, 20)}, review.PageSize{}, review.Rect{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.ref.Fraction(tt.page)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !near(got.Left, tt.want.Left) || !near(got.Top, tt.want.Top) || !near(got.Right, tt.want.Right) || !near(got.Bottom, tt.want.Bottom) {
				t.Fatalf("Fraction = %+v, want %+v", got, tt.want)
			}
		})
	}
}
