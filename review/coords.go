package review

// Rect is an axis-aligned rectangle, origin top-left, y down.
type Rect struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Right  float64 `json:"right"`
	Bottom float64 `json:"bottom"`
}

// RefKind says where a reference came from, which decides its units.
type RefKind string

// Reference kinds (CONTRACT.md section 5).
const (
	RefBox      RefKind = "box"      // legacy boundingBoxes: points, pixels, or fractions
	RefCitation RefKind = "citation" // JSON Schema citation polygon
	RefBlock    RefKind = "block"    // PARSE block polygon or boundingBox
	RefManual   RefKind = "manual"   // drawn by a reviewer: already fractions
)

// Ref is one place on a page that a field was read from. Rect is as Extend
// gave it; Fraction turns it into fractions of the displayed page.
type Ref struct {
	Kind   RefKind
	FileID string
	Page   int // 1-based
	HasBox bool
	Rect   Rect
	// PageWidth and PageHeight are the page size sent with the reference, if
	// any: Extend's citations and parse blocks carry one.
	PageWidth, PageHeight float64
	Text                  string
}

// PageSize is a page as displayed: width and height after /Rotate is applied,
// in PDF points or image pixels.
type PageSize struct {
	Width, Height float64
}

// Fraction returns the reference's rectangle as fractions 0..1 of the
// displayed page, following CONTRACT.md section 5. ok is false when the
// reference has no box or its units cannot be resolved.
func (r Ref) Fraction(page PageSize) (Rect, bool) {
	if !r.HasBox {
		return Rect{}, false
	}
	if r.Kind == RefManual || (r.Kind == RefBox && r.Rect.within01()) {
		return r.Rect.clamp(), true
	}
	w, h := r.PageWidth, r.PageHeight
	if w > 0 && h > 0 {
		// Coordinates are in the displayed frame, but the size given with
		// them may be the page's unrotated one (/Rotate 90 or 270). A given
		// size whose orientation differs from the page as displayed is that
		// case, and is swapped: the page's own /Rotate need not be known
		// (reading it means loading every page), and Extend's own viewer
		// decides the same way.
		if page.Width > 0 && page.Width != page.Height && w != h && (w > h) != (page.Width > page.Height) {
			w, h = h, w
		}
	} else {
		w, h = page.Width, page.Height
	}
	if w <= 0 || h <= 0 {
		return Rect{}, false
	}
	return Rect{
		Left:   r.Rect.Left / w,
		Top:    r.Rect.Top / h,
		Right:  r.Rect.Right / w,
		Bottom: r.Rect.Bottom / h,
	}.clamp(), true
}

func (r Rect) within01() bool {
	for _, v := range [...]float64{r.Left, r.Top, r.Right, r.Bottom} {
		if v < 0 || v > 1 {
			return false
		}
	}
	return true
}

func (r Rect) clamp() Rect {
	c := func(v float64) float64 { return min(max(v, 0), 1) }
	if r.Left > r.Right {
		r.Left, r.Right = r.Right, r.Left
	}
	if r.Top > r.Bottom {
		r.Top, r.Bottom = r.Bottom, r.Top
	}
	return Rect{c(r.Left), c(r.Top), c(r.Right), c(r.Bottom)}
}

// Point is a polygon vertex.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// bounds returns the rectangle enclosing a polygon.
func bounds(poly []Point) (Rect, bool) {
	if len(poly) == 0 {
		return Rect{}, false
	}
	r := Rect{poly[0].X, poly[0].Y, poly[0].X, poly[0].Y}
	for _, p := range poly[1:] {
		r.Left, r.Right = min(r.Left, p.X), max(r.Right, p.X)
		r.Top, r.Bottom = min(r.Top, p.Y), max(r.Bottom, p.Y)
	}
	return r, true
}

// Turned is the rectangle on a page turned by deg degrees clockwise (0, 90,
// 180 or 270), in fractions of the page as turned: how a reviewer's view
// of a page scanned sideways shows the model's boxes. Untwist is its
// inverse, for a box drawn on the turned page.
func (r Rect) Turned(deg int) Rect {
	switch norm(deg) {
	case 90:
		return Rect{Left: 1 - r.Bottom, Top: r.Left, Right: 1 - r.Top, Bottom: r.Right}
	case 180:
		return Rect{Left: 1 - r.Right, Top: 1 - r.Bottom, Right: 1 - r.Left, Bottom: 1 - r.Top}
	case 270:
		return Rect{Left: r.Top, Top: 1 - r.Right, Right: r.Bottom, Bottom: 1 - r.Left}
	}
	return r
}

// Untwist is the rectangle drawn on a page turned by deg degrees, in
// fractions of the page as the document has it.
func (r Rect) Untwist(deg int) Rect { return r.Turned(360 - norm(deg)) }

// Turn is a page's view rotation: 0, 90, 180 or 270 degrees clockwise.
func Turn(deg int) int { return norm(deg) }

func norm(deg int) int { return ((deg/90)%4*90 + 360) % 360 }
