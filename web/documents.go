package web

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"

	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
)

// pageImage serves one page of a document: a PDF page rendered to PNG at
// the requested width (cached), or an image document as it is. The URL
// names the blob by content hash, so the answer never changes and may be
// cached for good.
func (s *Server) pageImage(w http.ResponseWriter, r *http.Request) error {
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
		return review.Errorf(review.ENOTFOUND, "the document has %d pages, not %d", len(doc.Pages), n)
	}
	path, _ := s.store.BlobPath(blob)
	contentType := "image/" + doc.Kind
	if doc.Kind == pages.KindPDF {
		width := nearestWidth(r.URL.Query().Get("w"))
		path, err = s.renderer.PNG(r.Context(), blob, path, n, width)
		if err != nil {
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
	h.Set("ETag", `"`+blob[:16]+"-"+strconv.Itoa(n)+"-"+r.URL.Query().Get("w")+`"`)
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// nearestWidth picks the smallest rendered width at least as wide as asked.
func nearestWidth(s string) int {
	want, _ := strconv.Atoi(s)
	for _, w := range pages.Widths {
		if w >= want {
			return w
		}
	}
	return pages.Widths[len(pages.Widths)-1]
}

// maxUpload bounds an uploaded document.
const maxUpload = 256 << 20

// uploadFile takes a run's document from the browser, for installations
// without an Extend API key. The content decides what it is, not the name.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) error {
	run, err := s.store.Run(r.Context(), r.PathValue("runID"))
	if err != nil {
		return err
	}
	fileID := r.PathValue("fileID")
	if !slices.ContainsFunc(run.Files, func(f review.File) bool { return f.ID == fileID }) {
		return review.Errorf(review.ENOTFOUND, "run %s has no file %q", run.ID, fileID)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return review.Errorf(review.EINVALID, "send the document as multipart/form-data: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return review.Errorf(review.EINVALID, "no document in the form (field \"document\")")
		}
		if err != nil {
			return review.Errorf(review.EINVALID, "reading the upload: %v", err)
		}
		if _, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition")); params["name"] != "document" {
			continue
		}
		head := make([]byte, pages.SniffLen)
		k, _ := io.ReadFull(part, head)
		if _, err := pages.Sniff(head[:k]); err != nil {
			return err
		}
		hash, err := s.store.PutRunFile(r.Context(), run.ID, fileID, userFrom(r.Context()).Email, io.MultiReader(bytes.NewReader(head[:k]), part), maxUpload)
		if err != nil {
			if review.ErrorCode(err) != review.EINTERNAL {
				return err
			}
			return review.Errorf(review.EINVALID, "storing the upload: %v", err)
		}
		if _, err := s.desk.Learn(r.Context(), hash); err != nil {
			return err
		}
		http.Redirect(w, r, "/runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
		return nil
	}
}
