package web_test

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// blankPages stands in for package pages in the tests that draw and read
// no page, so they start no PDFium: it tells a document's kind as pages
// does and measures a PDF as one letter-sized page and an image by its
// header; it draws every page as one blank PNG, finds no words, and reads
// nothing, not even the cells of a document without pages. The tests of
// drawing, words and reading run on the real renderer (envOptions.pdfium).
type blankPages struct {
	instance.Kinds
	dir string
}

// letter is the size blankPages measures every page of a PDF at.
var letter = review.PageSize{Width: 612, Height: 792}

func (b blankPages) Inspect(_ context.Context, _, file string) (string, []review.PageSize, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	kind, head, err := b.Sniff(f)
	switch {
	case err != nil:
		return "", nil, err
	case kind == content.KindArchive:
		st, err := f.Stat()
		if err != nil {
			return "", nil, err
		}
		kind, _ = content.SniffArchive(f, st.Size())
		return kind, nil, nil
	case content.Is(kind):
		return kind, nil, nil
	case kind == pages.KindPDF:
		return kind, []review.PageSize{letter}, nil
	}
	size := letter
	if cfg, _, err := image.DecodeConfig(io.MultiReader(bytes.NewReader(head), f)); err == nil {
		size = review.PageSize{Width: float64(cfg.Width), Height: float64(cfg.Height)}
	}
	return kind, []review.PageSize{size}, nil
}

func (blankPages) DrawFirst(context.Context, string, string, string) error { return nil }

// PNG answers one blank page, whatever was asked.
func (b blankPages) PNG(context.Context, string, string, int, int) (string, error) {
	path := filepath.Join(b.dir, "blank.png")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.CreateTemp(b.dir, "blank-*") // renamed into place whole: requests at once never see half of it
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}

func (blankPages) Turned(_ context.Context, _, src string, _ int) (string, error) { return src, nil }

func (blankPages) Words(context.Context, string, string, int) ([]web.Word, error) {
	return []web.Word{}, nil
}

func (blankPages) Read(context.Context, string, string, int, review.Rect) (string, error) {
	return "", nil
}

func (blankPages) Content(_ context.Context, _, _, kind string) (web.Content, error) {
	return web.Content{Kind: kind}, review.Errorf(review.EUNPROCESSABLE, "the tests' blank pages read no %s", kind)
}

func (blankPages) AsText(string, string) string { return "" }
func (blankPages) Ready() error                 { return nil }
func (blankPages) Restarts() int64              { return 0 }
func (blankPages) Decoding() web.Decoding       { return web.Decoding{} }
