package web_test

import (
	"encoding/json"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestPagesDrawnAndReadByTheRenderer: through the one wiring with the real
// renderer, a PDF's page comes back as a PNG of the width asked, and its
// words with their places as fractions of the page, as web's Pages carries
// them from package pages.
func TestPagesDrawnAndReadByTheRenderer(t *testing.T) {
	e := newEnvWith(t, web.Config{}, envOptions{pdfium: true})
	// "Invoice" set in 24 pt Helvetica at 72 pt from the left and 92 pt
	// below the top of a letter page.
	doc := hostile.OnePage("0 0 612 792", "/Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>",
		hostile.Stream("", []byte("BT /F1 24 Tf 72 700 Td (Invoice) Tj ET")))
	_, blob := e.uploaded(doc)
	rev := e.signIn("rev@example.com", review.RoleReviewer)

	resp, body := get(t, rev, e.srv.URL+"/pages/"+blob+"/1?w=240")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("page image: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(strings.NewReader(body))
	if err != nil || cfg.Width != 240 || cfg.Height != 311 && cfg.Height != 310 {
		t.Fatalf("page image %dx%d (%v), want 240 wide as the letter page is", cfg.Width, cfg.Height, err)
	}

	resp, body = get(t, rev, e.srv.URL+"/pages/"+blob+"/1/words")
	var got struct{ Words []web.Word }
	if err := json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || err != nil {
		t.Fatalf("words: %s %v %s", resp.Status, err, body)
	}
	if len(got.Words) != 1 || got.Words[0].Text != "Invoice" {
		t.Fatalf("words %+v, want Invoice", got.Words)
	}
	r := got.Words[0].Rect
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.02 }
	if !near(r.Left, 72.0/612) || !near(r.Bottom, 92.0/792) || r.Right <= r.Left || r.Top >= r.Bottom || r.Top < 0 || r.Right > 1 {
		t.Fatalf("Invoice at %+v, want from %.3f across and ending %.3f down", r, 72.0/612, 92.0/792)
	}
}
