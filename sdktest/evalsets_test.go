package sdktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/outbound"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// recorded is one request the recording Extend received.
type recorded struct {
	Method, Path, Auth, Version, ContentType string
	Body                                     any
}

// TestEvalItemsAsTheSDKSends: the evaluation-set items reviewer's outbound
// worker sends for an approved run are the request Extend's own SDK
// (evaluationSetItems.create) sends for the same items: method, path,
// key, API version, content type and body alike; and the SDK reads the
// recording server's answer, made as Extend makes it, for the same ids
// the worker kept.
func TestEvalItemsAsTheSDKSends(t *testing.T) {
	node := sdkNode(t)
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("x-extend-api-version"), r.Header.Get("Content-Type"), nil}
		var body struct {
			Items []struct {
				FileID         string          `json:"fileId"`
				ExpectedOutput json.RawMessage `json:"expectedOutput"`
			} `json:"items"`
		}
		json.Unmarshal(b, &rec.Body)
		json.Unmarshal(b, &body)
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		var items []map[string]any
		for i, it := range body.Items {
			items = append(items, map[string]any{"object": "evaluation_set_item", "id": "evi_" + string(rune('a'+i)), "evaluationSetId": "ev_sdk",
				"file": map[string]any{"object": "file", "id": it.FileID, "name": "a.pdf", "type": "PDF", "parentFileId": nil, "metadata": map[string]any{},
					"createdAt": "2026-12-07T05:00:00Z", "updatedAt": "2026-12-07T05:00:00Z"},
				"expectedOutput": it.ExpectedOutput, "createdBy": nil})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"evaluationSetItems": items})
	}))
	defer srv.Close()

	ctx := context.Background()
	s, err := storage.Open(ctx, t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := demo.Payload("aws_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := review.Interpret(review.Event{ID: "evt_1", Type: review.EventRunNeedsReview, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	run, err := review.DecodeRun(p)
	if err != nil {
		t.Fatal(err)
	}
	rule := review.FeedbackRule{WorkflowID: run.Workflow.ID, EvaluationSetID: "ev_sdk", APIURL: srv.URL, APIKey: "sk_sdk"}
	if err := s.SetFeedbackRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	d := review.Decision{Approved: true, By: "ana@example.com", At: time.Now()}
	reviewed, err := run.Reviewed(nil, d, func(string, int) review.PageSize { return review.PageSize{Width: 612, Height: 792} })
	if err != nil {
		t.Fatal(err)
	}
	_, items, err := review.FeedbackCalls(rule, run, d, reviewed, nil)
	if err != nil || len(items) < 2 {
		t.Fatalf("items %d, %v", len(items), err)
	}
	if err := s.Decide(ctx, run.ID, 0, d, reviewed, nil, review.Outbound{Items: items}); err != nil {
		t.Fatal(err)
	}
	w := outbound.NewWorker(s, extend.New("http://127.0.0.1:1", "", true), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n, err := w.DeliverDue(ctx); n != len(items) || err != nil {
		t.Fatalf("delivered %d of %d: %v", n, len(items), err)
	}
	calls, err := s.RunCalls(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, c := range calls {
		kept = append(kept, c.Result)
	}

	mu.Lock()
	sent, _ := json.Marshal(got[0].Body.(map[string]any)["items"])
	mu.Unlock()
	cmd := exec.Command(node, "evalsets.mjs")
	cmd.Env = append(os.Environ(), "EXTEND_URL="+srv.URL, "EXTEND_KEY=sk_sdk", "EXTEND_SET=ev_sdk", "EXTEND_ITEMS="+string(sent))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node evalsets.mjs: %v\n%s", err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d requests, want the worker's and the SDK's", len(got))
	}
	ours, sdk := got[0], got[1]
	// The SDK names its version by its own default; the worker's must be that.
	if !reflect.DeepEqual(ours, sdk) {
		t.Fatalf("reviewer sent %+v\nthe SDK sent %+v", ours, sdk)
	}
	var ids []string
	json.Unmarshal([]byte(strings.TrimSpace(out.String())), &ids)
	if strings.Join(ids, " ") != strings.Join(kept, " ") || len(ids) != len(items) {
		t.Fatalf("the SDK read ids %v, the worker kept %v", ids, kept)
	}
}

// sdkNode finds node and installs the pinned SDK when missing.
func sdkNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: `make sdk` (run by make test) installs Debian's nodejs and npm")
	}
	if _, err := os.Stat("node_modules/extend-ai/package.json"); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm is not installed: `make sdk` (run by make test) installs Debian's nodejs and npm")
		}
		if out, err := exec.Command(npm, "ci", "--no-audit", "--no-fund").CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	return node
}
