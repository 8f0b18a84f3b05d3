package web

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/reviewer-app/reviewer/review"
)

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
		_, head, err := s.pages.Sniff(part)
		if err != nil {
			return err
		}
		err = s.desk.ReplaceFile(r.Context(), run.ID, fileID, userFrom(r.Context()).Email, io.MultiReader(bytes.NewReader(head), part), maxUpload)
		if err != nil {
			if review.ErrorCode(err) != review.EINTERNAL {
				return err
			}
			return review.Errorf(review.EINVALID, "storing the upload: %v", err)
		}
		http.Redirect(w, r, "/runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
		return nil
	}
}
