package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// fileTypes are the media types of Extend's file types that a browser
// shows as they are; others are served as bytes.
var fileTypes = map[string]string{"PDF": "application/pdf", "CSV": "text/csv; charset=utf-8", "TXT": "text/plain; charset=utf-8"}

// getFile answers GET /files/{id}: Extend's File, with a presignedUrl to
// the document as stored here that works for fileLinkLifetime, or null
// while the document is not here.
func (s *Server) getFile(w http.ResponseWriter, r *http.Request) error {
	f, updated, err := s.store.FileRecord(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var link *string
	meta := map[string]any{}
	if f.Blob != "" && f.FetchState == review.FileFetched {
		u := s.fileLink(f, s.now().Add(fileLinkLifetime))
		link = &u
		if doc, found, err := s.store.Document(r.Context(), f.Blob); err == nil && found && len(doc.Pages) > 0 {
			meta["pageCount"] = len(doc.Pages)
		}
	}
	var typ *string
	if f.Type != "" {
		typ = &f.Type
	}
	at := updated.Format(timeFormat)
	writeJSON(w, http.StatusOK, struct {
		Object       string          `json:"object"`
		ID           string          `json:"id"`
		Name         string          `json:"name"`
		Type         *string         `json:"type"`
		PresignedURL *string         `json:"presignedUrl"`
		ParentFileID *string         `json:"parentFileId"`
		Contents     json.RawMessage `json:"contents"`
		Metadata     map[string]any  `json:"metadata"`
		CreatedAt    string          `json:"createdAt"`
		UpdatedAt    string          `json:"updatedAt"`
	}{"file", f.ID, f.Name, typ, link, nil, json.RawMessage("null"), meta, at, at})
	return nil
}

// fileLink is a link to a stored document that works until expires and
// only for these bytes: it is signed with the instance's URL key over the
// file, its content's hash and the expiry.
func (s *Server) fileLink(f review.File, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return s.cfg.BaseURL + "/files/" + url.PathEscape(f.ID) + "/content?" + url.Values{"expires": {exp}, "signature": {s.fileSignature(f, exp)}}.Encode()
}

func (s *Server) fileSignature(f review.File, expires string) string {
	m := hmac.New(sha256.New, s.extend.urlKey)
	m.Write([]byte(f.ID + "\n" + f.Blob + "\n" + expires))
	return hex.EncodeToString(m.Sum(nil))
}

// fileContent serves the document a signed link names, while the link
// lasts. The signature is the only key: the link works without a token,
// as Extend's presigned URLs do.
func (s *Server) fileContent(w http.ResponseWriter, r *http.Request) error {
	refused := review.Errorf(review.EFORBIDDEN, "This document link is not valid or has expired: ask GET /files/{id} for a new one.")
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return refused
	}
	f, _, err := s.store.FileRecord(r.Context(), r.PathValue("id"))
	if review.ErrorCode(err) == review.ENOTFOUND || f.Blob == "" {
		return refused
	}
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(q.Get("signature")), []byte(s.fileSignature(f, q.Get("expires")))) {
		return refused
	}
	path, err := s.store.BlobPath(f.Blob)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	if t := fileTypes[f.Type]; t != "" {
		h.Set("Content-Type", t)
	} else if t := mime.TypeByExtension(filepath.Ext(f.Name)); t != "" {
		h.Set("Content-Type", t)
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	// Always an attachment: a document is never shown as a page of this
	// site (an HTML file would run there).
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	if disposition == "" { // a name it cannot encode
		disposition = "attachment"
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", info.ModTime(), file)
	return nil
}
