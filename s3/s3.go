// Package s3 keeps objects in an S3-compatible store (AWS S3, MinIO,
// versitygw, Garage, Ceph…), addressed path-style (endpoint/bucket/key),
// as self-hosted stores expect. It speaks the five calls reviewer needs
// (put, get, head, head bucket) signed with AWS Signature V4
// itself: the SDKs bring dozens of modules for the same few requests, and
// a document's name is already the SHA-256 of its bytes, which is what a
// signed upload needs.
package s3

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxErrorBody bounds how much of an error answer is read for its message.
const maxErrorBody = 4 << 10

// Client is one bucket, and a prefix in it, of an S3-compatible store.
type Client struct {
	Endpoint  *url.URL // scheme and host (and port) of the store
	Bucket    string
	Prefix    string // keys are Prefix + key; "" or ending in "/"
	Region    string // us-east-1 unless the store says otherwise
	AccessKey string
	SecretKey string
	HTTP      *http.Client
	Now       func() time.Time
}

// validBucket and validPrefix keep names to what every store accepts and
// what needs no escaping in a signed path.
var (
	validBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	validPrefix = regexp.MustCompile(`^[A-Za-z0-9._/-]*$`)
)

// Env is where New reads the endpoint and credentials: the variables the
// AWS tools read (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), each also from a file named by
// its _FILE twin.
type Env func(key string) (string, error)

// New returns the client of a --blobs value, s3://bucket/prefix.
func New(blobs string, env Env) (*Client, error) {
	u, err := url.Parse(blobs)
	if err != nil || u.Scheme != "s3" || !validBucket.MatchString(u.Host) {
		return nil, fmt.Errorf("%q is not s3://bucket/prefix (a bucket name is 3 to 63 lowercase letters, digits, dots and hyphens)", blobs)
	}
	prefix := strings.Trim(u.Path, "/")
	if !validPrefix.MatchString(prefix) {
		return nil, fmt.Errorf("the prefix %q may hold letters, digits, '.', '_', '-' and '/' only", prefix)
	}
	if prefix != "" {
		prefix += "/"
	}
	get := func(keys ...string) (string, error) {
		for _, k := range keys {
			v, err := env(k)
			if err != nil || v != "" {
				return v, err
			}
		}
		return "", nil
	}
	endpoint, err := get("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	if err != nil {
		return nil, err
	}
	region, err := get("AWS_REGION", "AWS_DEFAULT_REGION")
	if err != nil {
		return nil, err
	}
	access, err := get("AWS_ACCESS_KEY_ID")
	if err != nil {
		return nil, err
	}
	secret, err := get("AWS_SECRET_ACCESS_KEY")
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		endpoint = "https://s3.amazonaws.com"
	}
	e, err := url.Parse(endpoint)
	if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL %q is not an http(s) URL", endpoint)
	}
	if access == "" || secret == "" {
		return nil, errors.New("--blobs s3://… needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE twins)")
	}
	if region == "" {
		region = "us-east-1"
	}
	return &Client{Endpoint: &url.URL{Scheme: e.Scheme, Host: e.Host}, Bucket: u.Host, Prefix: prefix, Region: region, AccessKey: access, SecretKey: secret,
		HTTP: &http.Client{}, Now: time.Now}, nil
}

// String names the bucket and prefix, for messages.
func (c *Client) String() string { return "s3://" + c.Bucket + "/" + c.Prefix }

// Put stores size bytes from body under key; sum is their SHA-256 in hex,
// which the store checks.
func (c *Client) Put(ctx context.Context, key string, body io.Reader, size int64, sum string) error {
	resp, err := c.do(ctx, http.MethodPut, key, body, size, sum)
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	resp.Body.Close()
	return nil
}

// Get returns the object under key; fs.ErrNotExist when there is none.
func (c *Client) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, key, nil, 0, emptySHA256)
	if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	return resp.Body, nil
}

// Exists tells whether key holds an object.
func (c *Client) Exists(ctx context.Context, key string) (bool, error) {
	resp, err := c.do(ctx, http.MethodHead, key, nil, 0, emptySHA256)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("s3 head %s: %w", key, err)
	}
	resp.Body.Close()
	return true, nil
}

// Ping checks that the bucket exists and the credentials reach it, and
// says which setting to fix when they do not. It lists at most one key,
// not HEAD: a HEAD answer has no body, so it cannot tell a wrong secret
// from a missing bucket.
func (c *Client) Ping(ctx context.Context) error {
	resp, err := c.send(ctx, http.MethodGet, "/"+c.Bucket, "list-type=2&max-keys=1", nil, 0, emptySHA256)
	if err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var e struct{ Code, Message string }
	xml.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&e)
	where := c.Endpoint.String()
	switch e.Code {
	case "NoSuchBucket":
		return fmt.Errorf("%s: the bucket %q does not exist at %s: create it, or correct --blobs", c, c.Bucket, where)
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
		return fmt.Errorf("%s: the store at %s knows no access key %q: check AWS_ACCESS_KEY_ID", c, where, c.AccessKey)
	case "SignatureDoesNotMatch":
		return fmt.Errorf("%s: the store at %s refused the signature of access key %q: check AWS_SECRET_ACCESS_KEY (and AWS_REGION, now %q)", c, where, c.AccessKey, c.Region)
	case "AccessDenied":
		return fmt.Errorf("%s: access key %q may not list the bucket %q at %s: grant it s3:ListBucket, s3:GetObject and s3:PutObject there", c, c.AccessKey, c.Bucket, where)
	}
	return fmt.Errorf("%s: %s from %s: %s %s", c, resp.Status, where, e.Code, e.Message)
}

// do sends one signed request for key (the bucket itself when key is "")
// and returns a 2xx answer; 404 is fs.ErrNotExist.
func (c *Client) do(ctx context.Context, method, key string, body io.Reader, size int64, sum string) (*http.Response, error) {
	path := "/" + c.Bucket
	if key != "" {
		path += "/" + c.Prefix + key
	}
	resp, err := c.send(ctx, method, path, "", body, size, sum)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fs.ErrNotExist
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
}

// send sends one signed request for path with the query, already in
// canonical (sorted, escaped) form, and returns any answer.
func (c *Client) send(ctx context.Context, method, path, query string, body io.Reader, size int64, sum string) (*http.Response, error) {
	u := *c.Endpoint
	u.Path = path
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	c.sign(req, sum)
	return c.HTTP.Do(req)
}

// sign adds AWS Signature V4 headers to req, whose payload has SHA-256 sum.
func (c *Client) sign(req *http.Request, sum string) {
	now := c.Now().UTC()
	amzDate := now.Format("20060102T150405Z")
	day := amzDate[:8]
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", sum)
	headers := map[string]string{"host": req.URL.Host, "x-amz-content-sha256": sum, "x-amz-date": amzDate}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	for _, k := range names {
		canon.WriteString(k + ":" + headers[k] + "\n")
	}
	signed := strings.Join(names, ";")
	request := strings.Join([]string{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, canon.String(), signed, sum}, "\n")
	scope := day + "/" + c.Region + "/s3/aws4_request"
	digest := sha256.Sum256([]byte(request))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(digest[:])
	key := hmacSHA256([]byte("AWS4"+c.SecretKey), day)
	key = hmacSHA256(key, c.Region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.AccessKey+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
