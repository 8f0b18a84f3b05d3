package pages

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"

	"github.com/reviewer-app/reviewer/review"
)

// Word is a word of a page's own text and where it is, in fractions of
// the page as displayed: the text layer of a born-digital PDF, which a
// reviewer clicks to use or draws a box around.
type Word struct {
	Text string      `json:"text"`
	Rect review.Rect `json:"rect"`
}

// MaxWords caps the words read of one page.
const MaxWords = 20_000

// What reading a page's text holds beside PDFium: each character as
// go-pdfium hands it over, and each word kept.
const (
	charCost = 160
	wordCost = 96
)

// Words returns the words of page (1-based) of the document in file, read
// by PDFium's text extraction within the budget (counted by characters
// before they are handed over) and kept: none for an image, which has no
// text of its own.
func (r *Renderer) Words(ctx context.Context, hash, file string, page int) ([]Word, error) {
	out := filepath.Join(r.dir, hash[:2], hash, strconv.Itoa(page)+"-words.json")
	if b, err := os.ReadFile(out); err == nil {
		var ws []Word
		if err := json.Unmarshal(b, &ws); err == nil {
			return ws, nil
		}
	}
	v, err, _ := r.flight.Do(out, func() (any, error) {
		path, kind, err := r.drawable(ctx, hash, file)
		if err != nil {
			return nil, err
		}
		if kind != KindPDF {
			return []Word{}, nil
		}
		var ws []Word
		err = r.withDoc(ctx, hash, path, false, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
			tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: byIndex(doc, page-1)})
			if err != nil {
				return err
			}
			chars, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
			inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
			if err != nil {
				return err
			}
			release, err := r.budget.Take(ctx, int64(chars.Count)*charCost+MaxWords*wordCost)
			if err != nil {
				return err
			}
			defer release()
			ws, err = pageWords(inst, doc, page)
			return err
		})
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(ws)
		return ws, writeAtomic(out, b)
	})
	if err != nil {
		return nil, fmt.Errorf("words of page %d: %w", page, err)
	}
	return v.([]Word), nil
}

// pageWords reads a page's characters and joins them into words: a space
// or line end, a jump back or down (a new line), or a gap wider than half
// a character's height ends a word. Positions go through PDFium's own
// page-to-device mapping, so /Rotate and crop boxes are applied as the page
// is drawn.
func pageWords(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, n int) ([]Word, error) {
	page := byIndex(doc, n-1)
	sz, err := inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: doc, Index: n - 1})
	if err != nil {
		return nil, err
	}
	// The mapping is affine: three points give it. Device units are whole
	// numbers, so the page is mapped 100 times its size in points.
	w, h := float64(sz.Size.Width)*100, float64(sz.Size.Height)*100
	dev := func(x, y float64) (float64, float64, error) {
		res, err := inst.FPDF_PageToDevice(&requests.FPDF_PageToDevice{Page: page, SizeX: int(w), SizeY: int(h), PageX: x, PageY: y})
		if err != nil {
			return 0, 0, err
		}
		return float64(res.DeviceX) / w, float64(res.DeviceY) / h, nil
	}
	ox, oy, err := dev(0, 0)
	if err != nil {
		return nil, err
	}
	xx, xy, err := dev(1000, 0)
	if err != nil {
		return nil, err
	}
	yx, yy, err := dev(0, 1000)
	if err != nil {
		return nil, err
	}
	to := func(x, y float64) (float64, float64) {
		return ox + (xx-ox)*x/1000 + (yx-ox)*y/1000, oy + (xy-oy)*x/1000 + (yy-oy)*y/1000
	}
	text, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{Page: page, Mode: requests.GetPageTextStructuredModeChars})
	if err != nil {
		return nil, err
	}
	var words []Word
	var cur strings.Builder
	var box responses.CharPosition // the word so far, in page space (y up)
	flush := func() {
		if cur.Len() > 0 && len(words) < MaxWords {
			x0, y0 := to(box.Left, box.Top)
			x1, y1 := to(box.Right, box.Bottom)
			words = append(words, Word{Text: cur.String(), Rect: review.Rect{Left: math.Min(x0, x1), Top: math.Min(y0, y1), Right: math.Max(x0, x1), Bottom: math.Max(y0, y1)}})
		}
		cur.Reset()
	}
	for _, c := range text.Chars {
		p := c.PointPosition
		if strings.TrimFunc(c.Text, unicode.IsSpace) == "" || p.Right <= p.Left && p.Top <= p.Bottom {
			flush()
			continue
		}
		if cur.Len() > 0 {
			size := math.Max(box.Top-box.Bottom, p.Top-p.Bottom)
			if p.Left < box.Right-size || p.Left > box.Right+size/2 || math.Abs(p.Bottom-box.Bottom) > size/2 {
				flush()
			}
		}
		if cur.Len() == 0 {
			box = p
		} else {
			box = responses.CharPosition{Left: math.Min(box.Left, p.Left), Top: math.Max(box.Top, p.Top), Right: math.Max(box.Right, p.Right), Bottom: math.Min(box.Bottom, p.Bottom)}
		}
		cur.WriteString(c.Text)
	}
	flush()
	return words, nil
}
