package extend_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reviewer-app/reviewer/egress"
	"github.com/reviewer-app/reviewer/extend"
)

// TestTrustIsTheAPIsHostAndPortAndThisFilesURL reproduces the red team's
// link: with the API at localhost on one port, a payload link to another
// port of localhost (the server's own /metrics) was fetched. Only the
// API's host and port are trusted, and a presigned URL's for the download
// of its own file: afterwards a payload link there is refused.
func TestTrustIsTheAPIsHostAndPortAndThisFilesURL(t *testing.T) {
	var reached atomic.Int32
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer metrics.Close()
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/blob/file_1" {
			reached.Add(1)
		}
		w.Write([]byte("%PDF-1.7"))
	}))
	defer storage.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"object": "file", "id": "file_1", "presignedUrl": storage.URL + "/blob/file_1?X-Amz-Signature=abc"})
	}))
	defer api.Close()
	byName := func(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }
	c := extend.New(byName(api.URL), "sk_test", false)
	ctx := context.Background()

	if _, err := c.Download(ctx, byName(metrics.URL)+"/metrics"); !errors.Is(err, egress.ErrPrivate) {
		t.Fatalf("a link to another port of the API's host: err = %v", err)
	}
	f, err := c.GetFile(ctx, "file_1", "")
	if err != nil {
		t.Fatal(err)
	}
	body, err := c.DownloadFile(ctx, f)
	if err != nil {
		t.Fatalf("the file from its presigned URL: %v", err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "%PDF-1.7" {
		t.Fatalf("downloaded %q", b)
	}
	if _, err := c.Download(ctx, storage.URL+"/latest/meta-data"); !errors.Is(err, egress.ErrPrivate) {
		t.Fatalf("a payload link to the presigned URL's host and port, after its file: err = %v", err)
	}
	if reached.Load() != 0 {
		t.Fatalf("%d requests reached what no link may", reached.Load())
	}
}
