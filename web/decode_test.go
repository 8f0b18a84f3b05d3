package web_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/s3test"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/s3"
	"github.com/reviewer-app/reviewer/web"
)

// uploaded puts doc in place of the demo invoice's document, as a
// supervisor uploads it, and returns the run and the document's blob.
func (e *env) uploaded(doc []byte) (run, blob string) {
	e.t.Helper()
	qhRaw, _ := demo.Payload("qualityhosting_2025.json")
	e.post(demo.Event("evt_doc", review.EventRunNeedsReview, qhRaw), secret, time.Now())
	e.process()
	sup := e.signIn("sup@example.com", review.RoleSupervisor)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("document", "document")
	part.Write(doc)
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/runs/"+qh+"/files/file_demo_qualityhosting", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := sup.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("upload: %s", resp.Status)
	}
	r, err := e.store.Run(e.t.Context(), qh)
	if err != nil {
		e.t.Fatal(err)
	}
	return qh, r.Files[0].Blob
}

// TestBusyDecoderAnswers503 reproduces the hostile TIFF's page views and
// box reads: with the decoding budget taken, a page image or a box read
// waits briefly and is answered 503 with Retry-After and a sentence; once
// there is room, the thumbnail is a thumbnail.
func TestBusyDecoderAnswers503(t *testing.T) {
	e := newEnvWith(t, web.Config{}, envOptions{pdfium: true})
	_, blob := e.uploaded(hostile.SharedStripTIFF(64, 600, 600))
	rev := e.signIn("rev@example.com", review.RoleReviewer)

	b := e.renderer.Budget()
	release, err := b.Take(t.Context(), b.Max())
	if err != nil {
		t.Fatal(err)
	}
	busy := func(req *http.Request) {
		t.Helper()
		req.Header.Set("Accept", "application/json")
		resp, err := rev.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Error struct{ Message string } }
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(out.Error.Message, "busy") {
			t.Fatalf("%s %s with the budget taken: %s, Retry-After %q, %q", req.Method, req.URL.Path, resp.Status, resp.Header.Get("Retry-After"), out.Error.Message)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/pages/"+blob+"/4?w=240", nil)
	busy(req)
	req, _ = http.NewRequest("POST", e.srv.URL+"/pages/"+blob+"/5/read", strings.NewReader(`{"left":0,"top":0,"right":0.5,"bottom":0.5}`))
	req.Header.Set("Content-Type", "application/json")
	busy(req)
	release()

	resp, body := get(t, rev, e.srv.URL+"/pages/"+blob+"/4?w=240")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with room: %s %s", resp.Status, body)
	}
	if cfg, err := png.DecodeConfig(strings.NewReader(body)); err != nil || cfg.Width != 240 {
		t.Fatalf("the thumbnail: %v, %d wide", err, cfg.Width)
	}
}

// TestSharedStringWorkbookPage reproduces the 6.8 KB workbook whose one
// long shared string, named by 2,000 cells, made a run page of 4.19 GB:
// the page now holds at most the text budget, each cell written once,
// the long ones marked as cut and what was left out said.
func TestSharedStringWorkbookPage(t *testing.T) {
	e := newEnvWith(t, web.Config{}, envOptions{pdfium: true})
	run, _ := e.uploaded(hostile.SharedStringXLSX(64<<10, 2000))
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	resp, page := get(t, rev, e.srv.URL+"/runs/"+run)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the run page: %s", resp.Status)
	}
	cells := strings.Count(page, `<td class="cell cut"`)
	t.Logf("the run page: %d KiB, %d cells", len(page)>>10, cells)
	if len(page) > 2*content.MaxText+1<<20 || cells == 0 || cells > content.MaxText/content.MaxCell {
		t.Fatalf("the run page is %d bytes with %d cells marked as cut", len(page), cells)
	}
	if strings.Count(page, strings.Repeat("A", content.MaxCell)) != cells || strings.Contains(page, "data-text=\"AAAA") {
		t.Fatal("a cell's text is written more than once")
	}
	if !strings.Contains(page, "Only the first 2 MiB of the cells") {
		t.Fatal("the page does not say what was left out")
	}
}

// TestPagesWhileBlobStoreIsGone: a page of a document this instance keeps
// no copy of, while the bucket of --blobs is gone, answers 503 with
// Retry-After and a sentence naming the store (as a busy decoder does),
// and the page once the bucket is back; the handlers dropped the blob
// store's error and answered 500 "Internal error".
func TestPagesWhileBlobStoreIsGone(t *testing.T) {
	srv := s3test.Start(t)
	blobs, err := s3.New("s3://"+srv.Bucket+"/docs", srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	e := newEnvWith(t, web.Config{}, envOptions{data: data, blobs: blobs, pdfium: true})
	_, blob := e.uploaded(hostile.SharedStripTIFF(2, 60, 60))
	rev := e.signIn("rev@example.com", review.RoleReviewer)
	if err := os.Remove(filepath.Join(data, "blobs", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	bucket := filepath.Join(srv.Dir, srv.Bucket)
	if err := os.Rename(bucket, bucket+".gone"); err != nil {
		t.Fatal(err)
	}
	for _, req := range []*http.Request{
		must(http.NewRequest("GET", e.srv.URL+"/pages/"+blob+"/1?w=240", nil)),
		must(http.NewRequest("GET", e.srv.URL+"/pages/"+blob+"/1/words", nil)),
		must(http.NewRequest("POST", e.srv.URL+"/pages/"+blob+"/1/read", strings.NewReader(`{"left":0,"top":0,"right":0.5,"bottom":0.5}`))),
	} {
		req.Header.Set("Accept", "application/json")
		resp, err := rev.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Error struct{ Message string } }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(out.Error.Message, "s3://"+srv.Bucket) {
			t.Errorf("%s %s with the bucket gone: %s, Retry-After %q, %q", req.Method, req.URL.Path, resp.Status, resp.Header.Get("Retry-After"), out.Error.Message)
		}
	}
	if err := os.Rename(bucket+".gone", bucket); err != nil {
		t.Fatal(err)
	}
	resp, err := rev.Get(e.srv.URL + "/pages/" + blob + "/1?w=240")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the page once the bucket is back: %s", resp.Status)
	}
}

func must(req *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return req
}
