// Package demo holds the demo documents and their Extend outputs, and loads
// them into a running reviewer through its real, signed webhook endpoint.
//
// The documents are real, MIT-licensed invoices (see demo/README.md for
// each file's source and licence); every reference in the outputs was taken
// from the words' positions in the PDFs, so the boxes land on the text.
package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

//go:embed runs/*.json files/*
var content embed.FS

// Run is a demo workflow run: the payload Extend would send with
// workflow_run.needs_review, and the documents it names.
type Run struct {
	Name    string
	Payload json.RawMessage
	Files   map[string]string // file id → name under files/
}

// Runs returns every demo run, in a stable order.
func Runs() ([]Run, error) {
	names, err := content.ReadDir("runs")
	if err != nil {
		return nil, err
	}
	var out []Run
	for _, n := range names {
		b, err := content.ReadFile("runs/" + n.Name())
		if err != nil {
			return nil, err
		}
		var head struct {
			Files []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"files"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("demo %s: %w", n.Name(), err)
		}
		r := Run{Name: n.Name(), Payload: b, Files: map[string]string{}}
		for _, f := range head.Files {
			r.Files[f.ID] = f.Name
		}
		out = append(out, r)
	}
	return out, nil
}

// File opens a demo document by its name under files/.
func File(name string) (io.Reader, error) {
	b, err := content.ReadFile(path.Join("files", path.Base(name)))
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// Event wraps a payload in Extend's envelope, as a webhook body.
func Event(id, typ string, payload json.RawMessage) []byte {
	b, _ := json.Marshal(struct {
		EventID   string          `json:"eventId"`
		EventType string          `json:"eventType"`
		Payload   json.RawMessage `json:"payload"`
	}{id, typ, payload})
	return b
}

// Send posts a webhook body to url signed with secret, as Extend does.
func Send(ctx context.Context, client *http.Client, url, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(review.HeaderSignature, review.Sign(secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, resp.Body) // drained, so the connection is reused
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("webhook answered %s: %s", resp.Status, b)
	}
	return nil
}

// Payload returns the payload of the demo run in runs/name.
func Payload(name string) (json.RawMessage, error) {
	return content.ReadFile("runs/" + name)
}
