package views

import "testing"

// TestManyBoxesDrawnAsOutlines: a page holding more than ManyBoxes boxes is
// marked for its boxes to be drawn as outlines, cheap to repaint on every
// frame of a zoom; a page holding ManyBoxes is not.
func TestManyBoxesDrawnAsOutlines(t *testing.T) {
	for _, n := range []int{ManyBoxes, ManyBoxes + 1} {
		p := DocPageVM{N: 3, Index: 3, Width: 612, Height: 792, Image: "/files/f/pages/3", Boxes: make([]BoxVM, n)}
		marked := len(said(t, imagePage(DocFileVM{ID: "f"}, p), "many-boxes")) == 1
		if marked != (n > ManyBoxes) {
			t.Errorf("a page of %d boxes marked many-boxes: %v, want %v", n, marked, n > ManyBoxes)
		}
	}
}
