// Package extend is reviewer's client for Extend's REST API: it fetches
// documents (GET /files/{id}, then the file's presigned URL) and large
// webhook payloads delivered as signed download links.
package extend

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/egress"
	"github.com/reviewer-app/reviewer/review"
)

// DefaultVersion is the API version asked for when a run does not say.
const DefaultVersion = review.Version2026

// Client talks to one Extend API base URL with one API key.
type Client struct {
	BaseURL string
	APIKey  string
	HTTP    *http.Client

	allowPrivate bool
}

// New returns a client with a bounded timeout on every request. It reaches
// private addresses only at the API's own host and port, and at a
// presigned URL's while it downloads that URL's file (DownloadFile),
// unless allowPrivate (an on-premise setup): a signed data URL or redirect
// cannot aim it at the machine's neighbours, the API host's other ports
// included.
func New(baseURL, apiKey string, allowPrivate bool) *Client {
	c := &Client{BaseURL: strings.TrimRight(baseURL, "/"), APIKey: apiKey, allowPrivate: allowPrivate}
	var trusted []string
	if hp, ok := egress.HostPort(c.BaseURL); ok {
		trusted = append(trusted, hp)
	}
	c.HTTP = egress.Client(egress.Options{Timeout: 2 * time.Minute, AllowPrivate: allowPrivate, Trusted: trusted})
	return c
}

// Configured reports whether the client can call the API at all.
func (c *Client) Configured() bool { return c != nil && c.APIKey != "" }

// File is what GET /files/{id} says of a document.
type File struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	PresignedURL string `json:"presignedUrl"`
}

// GetFile asks Extend for a file's record, which carries a presigned
// download URL valid for 15 minutes.
func (c *Client) GetFile(ctx context.Context, id, version string) (File, error) {
	if version == "" {
		version = DefaultVersion
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/files/"+url.PathEscape(id), nil)
	if err != nil {
		return File{}, fmt.Errorf("get file %s: %w", id, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("x-extend-api-version", version)
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return File{}, fmt.Errorf("get file %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return File{}, statusError("get file "+id, resp)
	}
	// 2024-12-23 wrapped resources as {success, file}; later versions do not.
	var body struct {
		File
		Wrapped *File `json:"file"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return File{}, fmt.Errorf("get file %s: %w", id, err)
	}
	f := body.File
	if body.Wrapped != nil {
		f = *body.Wrapped
	}
	if f.PresignedURL == "" {
		return f, fmt.Errorf("get file %s: Extend gave no presignedUrl", id)
	}
	return f, nil
}

// DownloadFile opens f from the presigned URL the API gave for it: the
// URL's host and port are trusted, having come from the API itself, for
// this download only. The caller closes the body.
func (c *Client) DownloadFile(ctx context.Context, f File) (io.ReadCloser, error) {
	return c.Download(egress.Trust(ctx, f.PresignedURL), f.PresignedURL)
}

// Download opens a URL that needs no API key (a presigned file URL or a
// signed data URL). The caller closes the body.
func (c *Client) Download(ctx context.Context, link string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if errors.Is(err, egress.ErrPrivate) {
		return nil, fmt.Errorf("download: %w (the link points at a private address; start reviewer with --extend-allow-private for an on-premise setup)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, statusError("download", resp)
	}
	return resp.Body, nil
}

// StatusError is an unexpected HTTP answer. Temporary tells whether trying
// again later may help.
type StatusError struct {
	Op      string
	Status  int
	Snippet string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Snippet)
}

// Temporary reports whether a retry may succeed: server errors, rate limits
// and timeouts; not a missing file or a refused key.
func (e *StatusError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

func statusError(op string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return &StatusError{Op: op, Status: resp.StatusCode, Snippet: strings.TrimSpace(string(b))}
}

// As is a client for another Extend account (a workflow's own API URL
// and key), the empty ones this client's, reaching private addresses as
// this one does: the URL an admin gives is trusted as --extend-api-url is.
func (c *Client) As(baseURL, apiKey string) *Client {
	if baseURL == "" && apiKey == "" {
		return c
	}
	return New(cmp.Or(strings.TrimRight(baseURL, "/"), c.BaseURL), cmp.Or(apiKey, c.APIKey), c.allowPrivate)
}

// Post sends a JSON body to an API path (POST /workflow_runs/{id}) and
// returns the status and the start of the answer.
func (c *Client) Post(ctx context.Context, path, version string, body []byte) (int, string, error) {
	a, err := c.Send(ctx, path, version, body, 512)
	return a.Status, strings.TrimSpace(string(a.Body)), err
}

// Answer is what the API answered a call.
type Answer struct {
	Status     int
	Body       []byte        // up to the limit the caller gave
	RetryAfter time.Duration // what a 429 or 503 asked for; 0 when it did not
}

// Send posts a JSON body to an API path and reads up to limit bytes of the
// answer.
func (c *Client) Send(ctx context.Context, path, version string, body []byte, limit int64) (Answer, error) {
	if !c.Configured() {
		return Answer{}, ErrNoKey
	}
	if version == "" {
		version = DefaultVersion
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("x-extend-api-version", version)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("post %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	return Answer{Status: resp.StatusCode, Body: b, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}, nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// ErrNoKey is returned for a call that needs an API key when none is set.
var ErrNoKey = errors.New("no Extend API key is configured (--extend-api-key)")
