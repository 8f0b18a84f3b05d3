package web_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

// TestFeedbackToExtend: an approval under a workflow's rule, set on the
// deliveries page with the workflow's own Extend key, adds the reviewed
// outputs to an Extend evaluation set in one batch and mirrors the review
// state into the run's metadata, through the outbox, retried after a
// failure, against a fake Extend API that checks the key and version
// headers; the run's page and the deliveries page say which items were
// added, when, and the ids Extend gave them.
func TestFeedbackToExtend(t *testing.T) { pgtest.Each(t, testFeedbackToExtend) }

func testFeedbackToExtend(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]json.RawMessage{}
	failures := 1
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_test" || r.Header.Get("x-extend-api-version") != review.Version2026 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got[r.URL.Path] = append(got[r.URL.Path], b)
		var req struct{ Items []json.RawMessage }
		json.Unmarshal(b, &req)
		var created []map[string]string
		for i := range req.Items {
			created = append(created, map[string]string{"object": "evaluation_set_item", "id": "evi_" + strconv.Itoa(i)})
		}
		json.NewEncoder(w).Encode(map[string]any{"evaluationSetItems": created})
	}))
	defer fake.Close()
	snapshot := func() map[string][]json.RawMessage {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(got)
	}

	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e := newEnvWith(t, web.Config{}, envOptions{extendURL: "http://127.0.0.1:1", extendKey: "sk_server", now: now})
	for i, r := range invoiceRuns(t) {
		e.post(demo.Event("evt_"+strconv.Itoa(i), review.EventRunNeedsReview, r.Payload), secret, now())
	}
	e.process()
	c := e.signIn("rev@example.com", review.RoleReviewer)
	ctx := context.Background()
	admin := e.signIn("admin@example.com", review.RoleAdmin)
	resp, _ := admin.PostForm(e.srv.URL+"/admin/evaluation-sets", url.Values{"workflow": {"workflow_demo_legacy"}, "evaluation_set": {"es_demo"},
		"runs": {review.EvalApproved}, "mirror_metadata": {"1"}, "api_url": {fake.URL}, "api_key": {"sk_test"}})
	if resp.StatusCode != 303 {
		t.Fatalf("set the evaluation set: %s", resp.Status)
	}
	if status, out := edit(t, e, c, map[string]any{"version": 0, "outputId": "dpr_demo_qh_extract", "path": "notes", "text": "checked"}); status != 200 {
		t.Fatalf("edit: %d %v", status, out)
	}
	resp, _ = c.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {"1"}})
	if resp.StatusCode != 303 {
		t.Fatalf("approve: %s", resp.Status)
	}
	// The instance's outbound worker makes the calls; the first fails and
	// is retried once the (test's) clock passes its backoff.
	var items []json.RawMessage
	waitFor(t, func() bool {
		clock.Add(int64(15 * time.Second)) // past the first backoff (10-12 s)
		mu.Lock()
		items = got["/evaluation_sets/es_demo/items"]
		received := len(items) >= 1 && len(got["/workflow_runs/"+qh]) >= 1
		mu.Unlock()
		// Received is not yet recorded: the worker writes the attempt after
		// the answer comes back.
		calls, _ := e.store.RecentCalls(ctx, 10)
		recorded := len(calls) > 0
		for _, call := range calls {
			recorded = recorded && call.State == review.DeliveryDelivered
		}
		return received && recorded
	})
	g := snapshot()
	if len(items) != 1 { // one batch
		t.Fatalf("evaluation set calls: %d", len(items))
	}
	var first struct {
		Items []struct {
			FileID         string `json:"fileId"`
			ExpectedOutput struct {
				Value map[string]json.RawMessage `json:"value"`
			} `json:"expectedOutput"`
		} `json:"items"`
	}
	json.Unmarshal(items[0], &first)
	if len(first.Items) != 3 { // extraction, classification, split
		t.Fatalf("evaluation set items: %s", items[0])
	}
	if first.Items[0].FileID != "file_demo_qualityhosting" || string(first.Items[0].ExpectedOutput.Value["notes"]) != `"checked"` {
		t.Fatalf("item = %s", items[0])
	}
	meta := g["/workflow_runs/"+qh]
	if len(meta) != 1 {
		t.Fatalf("metadata calls: %d", len(meta))
	}
	var m struct {
		Metadata map[string]string `json:"metadata"`
	}
	json.Unmarshal(meta[0], &m)
	if m.Metadata["reviewer:decision"] != "approved" || m.Metadata["reviewer:reviewedBy"] != "rev@example.com" {
		t.Fatalf("metadata = %s", meta[0])
	}
	calls, _ := e.store.RecentCalls(ctx, 10)
	for _, call := range calls {
		if call.State != review.DeliveryDelivered {
			t.Fatalf("call %s: %s after %d attempts (%s)", call.Path, call.State, call.Attempts, call.LastError)
		}
	}
	_, page := get(t, c, e.srv.URL+"/runs/"+qh)
	for _, want := range []string{"Added to evaluation set es_demo at ", ", item id evi_0.", ", item id evi_2.", "Sent POST /workflow_runs/" + qh} {
		if !strings.Contains(page, want) {
			t.Errorf("the run's page does not say %q", want)
		}
	}
	_, deliveries := get(t, admin, e.srv.URL+"/admin/deliveries")
	for _, want := range []string{`data-evaluation-set="workflow_demo_legacy"`, "item of evaluation set es_demo, item id evi_1", "sent at "} {
		if !strings.Contains(deliveries, want) {
			t.Errorf("the deliveries page does not say %q", want)
		}
	}

	// Reopened and approved again, the run's outputs are updated in the
	// set, not added twice.
	if resp, _ := admin.PostForm(e.srv.URL+"/runs/"+qh+"/reopen", nil); resp.StatusCode != 303 {
		t.Fatalf("reopen: %s", resp.Status)
	}
	get(t, c, e.srv.URL+"/runs/"+qh) // claims it
	rv, err := e.store.Review(ctx, qh)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.PostForm(e.srv.URL+"/runs/"+qh+"/approve", url.Values{"version": {strconv.Itoa(rv.Version)}}); resp.StatusCode != 303 {
		t.Fatalf("approve again: %s", resp.Status)
	}
	waitFor(t, func() bool {
		clock.Add(int64(15 * time.Second))
		mu.Lock()
		defer mu.Unlock()
		return len(got["/evaluation_sets/es_demo/items/evi_0"])+len(got["/evaluation_sets/es_demo/items/evi_1"])+len(got["/evaluation_sets/es_demo/items/evi_2"]) == 3
	})
	g = snapshot()
	if n := len(g["/evaluation_sets/es_demo/items"]); n != 1 {
		t.Errorf("items added in %d calls, want the first decision's one", n)
	}
	var update map[string]json.RawMessage
	json.Unmarshal(g["/evaluation_sets/es_demo/items/evi_0"][0], &update)
	if len(update) != 1 || update["expectedOutput"] == nil {
		t.Errorf("update body %s", g["/evaluation_sets/es_demo/items/evi_0"][0])
	}
}
