package instance

import (
	"context"
	"io"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/web"
)

// Documents measures, draws and reads stored documents: what the desk
// measures when a document arrives and what the web server draws and
// reads. Package pages is the real one (renderer); tests of the web
// server that draw no page give a stand-in (Config.Documents).
type Documents interface {
	desk.Measurer
	web.Pages
	web.Contents
}

// renderer is package pages as the web server asks for it, in the web
// server's own types.
type renderer struct {
	*pages.Renderer
	Kinds
}

// Kinds answers what the web server asks of a document's kind, as
// packages pages and content tell it: the renderer's answers, and a
// stand-in's that draws nothing.
type Kinds struct{}

func (Kinds) Sniff(r io.Reader) (string, []byte, error) {
	head := make([]byte, pages.SniffLen)
	n, _ := io.ReadFull(r, head)
	kind, err := pages.Sniff(head[:n])
	return kind, head[:n], err
}

func (Kinds) Drawn(kind string) bool  { return pages.Drawn(kind) }
func (Kinds) Served(kind string) bool { return pages.Served(kind) }
func (Kinds) Widths() []int           { return pages.Widths }
func (Kinds) Reads(kind string) bool  { return content.Is(kind) }

func (r renderer) Words(ctx context.Context, hash, file string, page int) ([]web.Word, error) {
	ws, err := r.Renderer.Words(ctx, hash, file, page)
	out := make([]web.Word, len(ws))
	for i, w := range ws {
		out[i] = web.Word(w)
	}
	return out, err
}

func (r renderer) Decoding() web.Decoding {
	b := r.Budget()
	return web.Decoding{Held: b.Held(), Peak: b.Peak(), Busy: b.Busy()}
}

func (r renderer) Content(ctx context.Context, hash, file, kind string) (web.Content, error) {
	d, err := r.Renderer.Content(ctx, hash, file, kind)
	c := web.Content{Kind: d.Kind, Text: d.Text, Cut: d.Cut, CellKept: content.MaxCell}
	for _, sh := range d.Sheets {
		c.Sheets = append(c.Sheets, web.Sheet(sh))
	}
	return c, err
}

// AsText says why a Word document is shown as its text; the other kinds
// without pages have none to show.
func (r renderer) AsText(hash, kind string) string {
	if kind != content.KindDOCX {
		return ""
	}
	return r.Renderer.AsText(hash)
}
