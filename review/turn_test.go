package review

import "testing"

func TestTurned(t *testing.T) {
	r := Rect{Left: 0.1, Top: 0.2, Right: 0.3, Bottom: 0.6}
	for deg, want := range map[int]Rect{
		0:   r,
		90:  {Left: 0.4, Top: 0.1, Right: 0.8, Bottom: 0.3},
		180: {Left: 0.7, Top: 0.4, Right: 0.9, Bottom: 0.8},
		270: {Left: 0.2, Top: 0.7, Right: 0.6, Bottom: 0.9},
		450: {Left: 0.4, Top: 0.1, Right: 0.8, Bottom: 0.3},
		-90: {Left: 0.2, Top: 0.7, Right: 0.6, Bottom: 0.9},
	} {
		got := r.Turned(deg)
		if d := max(abs(got.Left-want.Left), abs(got.Top-want.Top), abs(got.Right-want.Right), abs(got.Bottom-want.Bottom)); d > 1e-9 {
			t.Errorf("turned %d: %+v, want %+v", deg, got, want)
		}
		back := got.Untwist(deg)
		if d := max(abs(back.Left-r.Left), abs(back.Top-r.Top), abs(back.Right-r.Right), abs(back.Bottom-r.Bottom)); d > 1e-9 {
			t.Errorf("untwisted %d: %+v, want %+v", deg, back, r)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
