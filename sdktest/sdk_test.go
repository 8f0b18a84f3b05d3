package sdktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/web"
)

const secret = "wss_sdk_test"

// sdkRuns are the runs the SDK reads: demo payloads, two in batch_1.
var sdkRuns = []struct {
	payload, batch string
}{
	{"aws_2026.json", "batch_1"},
	{"fiber_2026.json", "batch_1"},
	{"packet_2026.json", ""},
	{"story_2026.json", "batch_2"},
	{"article_2026.json", ""},
}

// TestExtendSDK runs Extend's own TypeScript SDK (sdk.mjs, with extend-ai
// installed from package-lock.json) against reviewer started by the one
// wiring on a loopback port: lists paged to the end with each filter, a
// reviewed, a rejected and a waiting run retrieved, metadata updated, a
// document fetched through its link, and the SDK's typed errors for 401,
// 403, 404 and 429. A missing Node is a failure: make test installs it.
func TestExtendSDK(t *testing.T) {
	node := sdkNode(t)

	ctx, cancel := context.WithCancel(context.Background())
	in, err := instance.New(ctx, instance.Config{
		Addr: "127.0.0.1:0", Data: t.TempDir(), ExtendURL: "http://127.0.0.1:1", FastPasswordHash: true,
		CompileCache: filepath.Join(os.TempDir(), "reviewer-test-wazero"), Web: web.Config{WebhookSecrets: []string{secret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("instance: %v", err)
		}
	})

	// The runs arrive through the signed webhook, as Extend sends them.
	ids := make([]string, len(sdkRuns))
	for i, r := range sdkRuns {
		p, err := demo.Payload(r.payload)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		json.Unmarshal(p, &m)
		if r.batch != "" {
			m["batchId"], _ = json.Marshal(r.batch)
		}
		p, _ = json.Marshal(m)
		run, err := review.DecodeRun(p)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = run.ID
		if err := demo.Send(ctx, http.DefaultClient, in.URL+"/webhooks/extend", secret, demo.Event("evt_sdk_"+strconv.Itoa(i), review.EventRunNeedsReview, p)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		counts, err := in.Store.EventCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts["pending"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events still pending after a minute: %v", counts)
		}
	}
	// The invoice's document, as if fetched from Extend.
	pdf, err := demo.File("AmazonWebServices.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Store.PutFile(ctx, "file_demo_aws", pdf, 1<<30); err != nil {
		t.Fatal(err)
	}

	// One reviewed with a correction, one rejected; the rest wait.
	const reviewed, rejected, waiting = "workflow_run_demo_aws_2026", "workflow_run_demo_fiber_2026", "workflow_run_demo_packet_2026"
	sup := &review.User{Email: "sup@example.com", Role: review.RoleSupervisor}
	po := "PO-2014-0817"
	saved, err := in.Desk.SaveEdit(ctx, reviewed, sup.Email, desk.Change{OutputID: "exr_demo_aws", Path: "purchase_order", Text: &po})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Desk.Decide(ctx, reviewed, sup, desk.Verdict{Version: saved.Version, Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := in.Desk.Decide(ctx, rejected, sup, desk.Verdict{Note: "Not ours."}); err != nil {
		t.Fatal(err)
	}

	var waitingIDs, batch1, letters []string
	for i, r := range sdkRuns {
		id := ids[i]
		if id != reviewed && id != rejected {
			waitingIDs = append(waitingIDs, id)
		}
		if r.batch == "batch_1" {
			batch1 = append(batch1, id)
		}
		if r.payload == "story_2026.json" || r.payload == "article_2026.json" {
			letters = append(letters, id)
		}
	}
	type filter struct {
		Query map[string]string `json:"query"`
		IDs   []string          `json:"ids"`
	}
	expect, _ := json.Marshal(map[string]any{
		"reviewed": reviewed, "rejected": rejected, "waiting": waiting, "file": "file_demo_aws",
		"filters": []filter{
			{map[string]string{}, ids},
			{map[string]string{"sortBy": "createdAt", "sortDir": "asc"}, ids},
			{map[string]string{"sortBy": "updatedAt", "sortDir": "asc"}, ids},
			{map[string]string{"status": "NEEDS_REVIEW"}, waitingIDs},
			{map[string]string{"status": "PROCESSED"}, []string{reviewed}},
			{map[string]string{"status": "REJECTED"}, []string{rejected}},
			{map[string]string{"status": "FAILED"}, []string{}},
			{map[string]string{"workflowId": "workflow_demo_letters"}, letters},
			{map[string]string{"batchId": "batch_1"}, batch1},
			{map[string]string{"fileNameContains": "fiber"}, []string{rejected}},
		},
	})

	token := func(name string, role review.Role) string {
		tok, err := in.Store.CreateToken(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cmd := exec.CommandContext(ctx, node, "sdk.mjs")
	cmd.Env = append(os.Environ(), "REVIEWER_URL="+in.URL, "REVIEWER_TOKEN="+token("sdk", review.RoleSupervisor),
		"REVIEWER_READER="+token("sdk-reader", review.RoleReviewer), "REVIEWER_BURST="+token("sdk-burst", review.RoleReviewer),
		"REVIEWER_EXPECT="+string(expect))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("node sdk.mjs:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "sdk: all checks passed") {
		t.Fatalf("Extend's SDK against reviewer: %v", err)
	}
}
