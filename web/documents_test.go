package web_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestUploadIsScopedAndAudited reproduces the red team's finding: a
// supervisor replaced the document behind a file id for every run sharing
// it, decided runs included, with no audit entry. Now an upload shows for
// its run only, is in that run's audit trail, and a decided run refuses it.
func TestUploadIsScopedAndAudited(t *testing.T) { pgtest.Each(t, testUploadIsScopedAndAudited) }

func testUploadIsScopedAndAudited(t *testing.T) {
	e := newEnv(t, web.Config{})
	qhRaw, _ := demo.Payload("qualityhosting_2025.json")
	other := bytes.ReplaceAll(qhRaw, []byte("demo_qh"), []byte("demo_q2"))
	e.post(demo.Event("evt_a", review.EventRunNeedsReview, qhRaw), secret, time.Now())
	e.post(demo.Event("evt_b", review.EventRunNeedsReview, other), secret, time.Now())
	e.process()
	sup := e.signIn("sup@example.com", review.RoleSupervisor)

	var doc bytes.Buffer
	png.Encode(&doc, image.NewGray(image.Rect(0, 0, 40, 60)))
	upload := func(run string) *http.Response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, _ := mw.CreateFormFile("document", "scan.png")
		part.Write(doc.Bytes())
		mw.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/runs/"+run+"/files/file_demo_qualityhosting", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := sup.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := upload(qh); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %s", resp.Status)
	}
	a, err := e.store.Run(t.Context(), qh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.store.Run(t.Context(), "workflow_run_demo_q2_2025")
	if err != nil {
		t.Fatal(err)
	}
	if a.Files[0].Blob == "" || b.Files[0].Blob != "" {
		t.Fatalf("run A's document %q, run B's %q: the upload must be A's alone", a.Files[0].Blob, b.Files[0].Blob)
	}
	audit, _ := e.store.Audit(t.Context(), qh)
	if last := audit[len(audit)-1]; last.Action != review.ActionReplaceDocument || last.Actor != "sup@example.com" || !strings.HasPrefix(last.Note, "file_demo_qualityhosting") {
		t.Fatalf("audit ends with %+v", last)
	}
	resp, err := sup.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"0"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp := upload(qh); resp.StatusCode != http.StatusConflict {
		t.Fatalf("upload to a decided run: %s", resp.Status)
	}
}
