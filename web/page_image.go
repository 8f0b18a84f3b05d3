package web

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"

	"github.com/reviewer-app/reviewer/review"
)

// pageImage serves one page of a document: a PDF page rendered to PNG at
// the requested width (cached), or an image document as it is (its
// thumbnail, when the browser shows it but the server decodes it). The URL
// names the blob by content hash, so the answer never changes and may be
// cached for good. A server busy decoding asks the browser to come back.
func (s *Server) pageImage(w http.ResponseWriter, r *http.Request) error {
	return retryLater(w, s.servePageImage(w, r))
}

func (s *Server) servePageImage(w http.ResponseWriter, r *http.Request) error {
	blob := r.PathValue("blob")
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no page %q", r.PathValue("page"))
	}
	doc, err := s.document(r.Context(), blob)
	if err != nil {
		return err
	}
	if n < 1 || n > len(doc.Pages) {
		return review.Errorf(review.ENOTFOUND, "the document has %s, not %d", review.Count(len(doc.Pages), "page", "pages"), n)
	}
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return err
	}
	contentType := "image/" + doc.Kind
	turn, _ := strconv.Atoi(r.URL.Query().Get("turn"))
	turn = review.Turn(turn)
	// A PDF's page is rendered; an image the browser may not show (TIFF) or
	// that is to be turned is decoded here as displayed; JPEG and PNG go
	// as they are.
	if s.pages.Drawn(doc.Kind) || !s.pages.Served(doc.Kind) || turn != 0 {
		width := nearestWidth(s.pages.Widths(), r.URL.Query().Get("w"))
		if !s.pages.Drawn(doc.Kind) && r.URL.Query().Get("w") == "" {
			width = 0 // an image at its own size, unless a thumbnail is asked for
		}
		path, err = s.pages.PNG(r.Context(), blob, path, n, width)
		if err != nil {
			return err
		}
		contentType = "image/png"
	}
	if turn != 0 {
		if path, err = s.pages.Turned(r.Context(), blob, path, turn); err != nil {
			return err
		}
		contentType = "image/png"
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+blob[:16]+"-"+strconv.Itoa(n)+"-"+r.URL.Query().Get("w")+"-"+strconv.Itoa(turn)+`"`)
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// retryLater asks the client to come back in a moment when err says the
// server is busy (decoding other documents, say).
func retryLater(w http.ResponseWriter, err error) error {
	if review.ErrorCode(err) == review.EUNAVAILABLE {
		w.Header().Set("Retry-After", "2")
	}
	return err
}

// nearestWidth picks the smallest of widths at least as wide as asked.
func nearestWidth(widths []int, s string) int {
	want, _ := strconv.Atoi(s)
	for _, w := range widths {
		if w >= want {
			return w
		}
	}
	return widths[len(widths)-1]
}

// turnPage turns a page of a run's document a quarter, clockwise or
// (by=-90) back, for everyone who views it (desk.TurnPage), and answers
// the page's turn.
func (s *Server) turnPage(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no page %q", r.PathValue("page"))
	}
	by := r.PostFormValue("by")
	if by != "90" && by != "-90" {
		return review.Errorf(review.EINVALID, "a page turns by 90 or -90 degrees, not %q", by)
	}
	turn, err := s.desk.TurnPage(r.Context(), r.PostFormValue("run"), userFrom(r.Context()), r.PathValue("blob"), n, by == "90")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"turn": turn})
	return nil
}

// pageTurns answers how each page of a document is turned, in degrees
// clockwise by page number ({"2": 90}): what a page reads when another
// viewer turned one.
func (s *Server) pageTurns(w http.ResponseWriter, r *http.Request) error {
	turns, err := s.store.PageTurns(r.Context(), r.PathValue("blob"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, turns)
	return nil
}

// pageWords answers the words of a page of a document with their places
// in fractions of the page (not turned for viewing): the text layer of a
// born-digital PDF that came without Extend's parsed text; none for an
// image.
func (s *Server) pageWords(w http.ResponseWriter, r *http.Request) error {
	blob := r.PathValue("blob")
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no page %q", r.PathValue("page"))
	}
	doc, err := s.document(r.Context(), blob)
	if err != nil {
		return err
	}
	if n < 1 || n > len(doc.Pages) {
		return review.Errorf(review.ENOTFOUND, "the document has %s, not %d", review.Count(len(doc.Pages), "page", "pages"), n)
	}
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return retryLater(w, err)
	}
	words, err := s.pages.Words(r.Context(), blob, path, n)
	if err != nil {
		return retryLater(w, err)
	}
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	writeJSON(w, http.StatusOK, map[string]any{"words": words})
	return nil
}

// readBox reads the text inside a box drawn on a page without a text layer
// (a scan): {"left","top","right","bottom"} in fractions of the page as the
// document has it; answered {"text"}.
func (s *Server) readBox(w http.ResponseWriter, r *http.Request) error {
	blob := r.PathValue("blob")
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil {
		return review.Errorf(review.ENOTFOUND, "no page %q", r.PathValue("page"))
	}
	var box review.Rect
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&box); err != nil {
		return review.Errorf(review.EINVALID, "send the box as JSON fractions of the page: %v", err)
	}
	doc, err := s.document(r.Context(), blob)
	if err != nil {
		return err
	}
	if n < 1 || n > len(doc.Pages) {
		return review.Errorf(review.ENOTFOUND, "the document has %s, not %d", review.Count(len(doc.Pages), "page", "pages"), n)
	}
	path, err := s.store.BlobPath(blob)
	if err != nil {
		return retryLater(w, err)
	}
	text, err := s.pages.Read(r.Context(), blob, path, n, box)
	if err != nil {
		return retryLater(w, err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"text": text})
	return nil
}
