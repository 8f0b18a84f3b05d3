package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/passwordtest"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/passwords"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

func open(t *testing.T, dir string) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), dir, storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func event(id, typ string, payload json.RawMessage) (review.Event, []byte) {
	body := demo.Event(id, typ, payload)
	ev, _ := review.DecodeEvent(body)
	return ev, body
}

// send appends an event and fails the test if that fails.
func send(t *testing.T, s *storage.Store, id, typ string, payload json.RawMessage) {
	t.Helper()
	ev, body := event(id, typ, payload)
	if _, err := s.AppendEvent(context.Background(), ev, body); err != nil {
		t.Fatal(err)
	}
}

// apply interprets and applies every pending event, as the ingest worker does.
func apply(t *testing.T, s *storage.Store) review.Applied {
	t.Helper()
	return applyAt(t, s, nil)
}

// applyAt is apply deciding arrivals by the clock now (nil: the time), as
// the store that was opened with it.
func applyAt(t *testing.T, s *storage.Store, now func() time.Time) review.Applied {
	t.Helper()
	a, err := desk.New(s, nil, nil, now).Arrive(context.Background(), pending(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// pending interprets every pending event.
func pending(t *testing.T, s *storage.Store) []review.EventOutcome {
	t.Helper()
	evs, err := s.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var outs []review.EventOutcome
	for _, e := range evs {
		ev, _ := review.DecodeEvent(e.Body)
		c, err := review.Interpret(ev)
		outs = append(outs, review.EventOutcome{Seq: e.Seq, Change: c, Err: err})
	}
	return outs
}

// demoPayload is a demo run: 0 the 2026 AWS invoice, 1 the 2025 QualityHosting one.
func demoPayload(t *testing.T, i int) json.RawMessage {
	p, err := demo.Payload([]string{"aws_2026.json", "qualityhosting_2025.json"}[i])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAppendEventDurableAndIdempotent(t *testing.T) {
	pgtest.Each(t, testAppendEventDurableAndIdempotent)
}

func testAppendEventDurableAndIdempotent(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	ev, body := event("evt_1", review.EventWorkflowCreated, json.RawMessage(`{"id":"workflow_1","name":"A"}`))
	fresh, err := s.AppendEvent(ctx, ev, body)
	if err != nil || !fresh {
		t.Fatalf("first append: fresh=%v err=%v", fresh, err)
	}
	fresh, err = s.AppendEvent(ctx, ev, body)
	if err != nil || fresh {
		t.Fatalf("duplicate append: fresh=%v err=%v", fresh, err)
	}
	s.Close()

	s = open(t, dir) // a new process sees what was acknowledged
	got, err := s.Event(ctx, "evt_1")
	if err != nil || string(got.Body) != string(body) || got.State != "pending" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if _, err := s.Event(ctx, "evt_nope"); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("missing event: %v", err)
	}
}

func TestAppendEventConcurrent(t *testing.T) { pgtest.Each(t, testAppendEventConcurrent) }

func testAppendEventConcurrent(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every id twice: duplicates racing each other.
			ev, body := event(fmt.Sprintf("evt_%d", i/2), "x.y", json.RawMessage(`{}`))
			if _, err := s.AppendEvent(ctx, ev, body); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counts, err := s.EventCounts(ctx)
	if err != nil || counts["pending"] != 200 {
		t.Fatalf("counts = %v, %v; want 200 pending", counts, err)
	}
}

func TestAppendAfterClose(t *testing.T) { pgtest.Each(t, testAppendAfterClose) }

func testAppendAfterClose(t *testing.T) {
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ev, body := event("evt_1", "x", nil)
	if _, err := s.AppendEvent(context.Background(), ev, body); review.ErrorCode(err) != review.EUNAVAILABLE {
		t.Fatalf("append after close: %v", err)
	}
}

func runStatus(t *testing.T, s *storage.Store, id string) review.Status {
	t.Helper()
	r, err := s.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func TestRunStatusNeverMovesBack(t *testing.T) { pgtest.Each(t, testRunStatusNeverMovesBack) }

func testRunStatusNeverMovesBack(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	payload := demoPayload(t, 0)
	id := "workflow_run_demo_aws_2026"

	send(t, s, "e1", review.EventRunNeedsReview, payload)
	apply(t, s)
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Limit: 10}); len(q) != 1 || q[0].ID != id || q[0].QueuedAt == nil || q[0].FileName != "AmazonWebServices.pdf" {
		t.Fatalf("queue = %+v", q)
	}
	send(t, s, "e2", review.EventRunCompleted, payload)
	send(t, s, "e3", review.EventRunNeedsReview, payload) // late duplicate
	send(t, s, "e4", review.EventRunFailed, payload)      // late, contradictory
	apply(t, s)
	if st := runStatus(t, s, id); st != review.StatusProcessed {
		t.Fatalf("status = %s, want PROCESSED", st)
	}
	if d, _ := s.QueueDepth(ctx); d != 0 {
		t.Fatalf("queue depth = %d", d)
	}
	counts, _ := s.EventCounts(ctx)
	if counts["done"] != 4 {
		t.Fatalf("events = %v; refused moves are still processed events", counts)
	}
}

func TestOutOfOrderDecisionFirst(t *testing.T) { pgtest.Each(t, testOutOfOrderDecisionFirst) }

func testOutOfOrderDecisionFirst(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	payload := demoPayload(t, 1)
	send(t, s, "e1", review.EventRunRejected, payload)
	send(t, s, "e2", review.EventRunNeedsReview, payload)
	apply(t, s)
	if st := runStatus(t, s, "workflow_run_demo_qh_2025"); st != review.StatusRejected {
		t.Fatalf("status = %s", st)
	}
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Limit: 10}); len(q) != 0 {
		t.Fatalf("a decided run entered the queue: %+v", q)
	}
}

func TestStepRunBeforeRun(t *testing.T) { pgtest.Each(t, testStepRunBeforeRun) }

func testStepRunBeforeRun(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	step := `{"object":"workflow_step_run","id":"workflow_step_run_late","workflowRunId":"workflow_run_demo_qh_2025","status":"PROCESSED","step":{"name":"parse","type":"PARSE"},
		"result":{"parseRun":{"id":"pr_1","output":{"chunks":[{"blocks":[{"id":"b1","type":"text","content":"Rechnung","metadata":{"page":{"number":1,"width":595.276,"height":841.89}},"boundingBox":{"left":53.9,"top":284.5,"right":122.3,"bottom":298.5}}]}]}}}}`
	send(t, s, "e1", review.EventStepRunProcessed, json.RawMessage(step))
	apply(t, s)
	send(t, s, "e2", review.EventRunNeedsReview, demoPayload(t, 1))
	a := apply(t, s)
	if len(a.Runs) != 1 {
		t.Fatalf("applied = %+v", a)
	}
	run, err := s.Run(ctx, "workflow_run_demo_qh_2025")
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Parses) != 1 || run.Parses[0].Blocks[0].Content != "Rechnung" || run.Parses[0].Blocks[0].Ref.FileID != "file_demo_qualityhosting" {
		t.Fatalf("parses = %+v", run.Parses)
	}
}

func TestProcessorRunEventUpdatesOutput(t *testing.T) {
	pgtest.Each(t, testProcessorRunEventUpdatesOutput)
}

func testProcessorRunEventUpdatesOutput(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	send(t, s, "e1", review.EventRunNeedsReview, demoPayload(t, 1))
	apply(t, s)
	upd := `{"object":"document_processor_run","id":"dpr_demo_qh_classify","type":"CLASSIFY","processorName":"Document type","output":{"id":"classification3","type":"credit_note","confidence":0.4},"config":{"classifications":[]}}`
	send(t, s, "e2", "processor_run.processed", json.RawMessage(upd))
	apply(t, s)
	run, _ := s.Run(ctx, "workflow_run_demo_qh_2025")
	for _, o := range run.Outputs {
		if o.ID == "dpr_demo_qh_classify" && (o.Class == nil || o.Class.Type != "credit_note") {
			t.Fatalf("classification = %+v", o.Class)
		}
	}
	if q, _, _ := s.Queue(ctx, review.QueueFilter{Limit: 1}); *q[0].MinConfidence != 0.4 {
		t.Fatalf("min confidence = %v", *q[0].MinConfidence)
	}
}

// TestOutputSpliceRefusedWhenRunChanged: an output event is spliced into
// the run as it was read when the splice was decided; when the run changed
// before the write, the store refuses it, and decided again it keeps both.
func TestOutputSpliceRefusedWhenRunChanged(t *testing.T) {
	pgtest.Each(t, testOutputSpliceRefusedWhenRunChanged)
}

func testOutputSpliceRefusedWhenRunChanged(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	d := desk.New(s, nil, nil, nil)
	send(t, s, "e1", review.EventRunNeedsReview, demoPayload(t, 1))
	apply(t, s)
	upd := `{"object":"document_processor_run","id":"dpr_demo_qh_classify","type":"CLASSIFY","processorName":"Document type","output":{"id":"classification3","type":"credit_note","confidence":0.4},"config":{"classifications":[]}}`
	send(t, s, "e2", "processor_run.processed", json.RawMessage(upd))
	outs := pending(t, s)
	held, err := s.OutputHolders(ctx, []string{"dpr_demo_qh_classify"})
	if err != nil {
		t.Fatal(err)
	}
	h := held["dpr_demo_qh_classify"]
	a, err := review.ArriveOutput(outs[0].Change.Output, outs[0].Change.OutputRaw, h, nil)
	if err != nil || a.Run == nil {
		t.Fatalf("ArriveOutput = %+v, %v", a, err)
	}
	outs[0].Change.OutputArrival = &a
	// Extend sends the run again, renamed, before the splice is written.
	renamed := bytes.Replace(demoPayload(t, 1), []byte(`"workflow_run_demo_qh_2025"`), []byte(`"workflow_run_demo_qh_2025","name":"renamed"`), 1)
	ev, _ := event("e3", review.EventRunNeedsReview, renamed)
	c, err := review.Interpret(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Arrive(ctx, []review.EventOutcome{{Change: c}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyEvents(ctx, outs); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("spliced into a run changed since: %v", err)
	}
	if _, err := d.Arrive(ctx, outs); err != nil {
		t.Fatal(err)
	}
	run, err := s.Run(ctx, "workflow_run_demo_qh_2025")
	if err != nil || !bytes.Contains(run.Raw, []byte(`"name":"renamed"`)) {
		t.Fatalf("the run's own change is lost: %v", err)
	}
	for _, o := range run.Outputs {
		if o.ID == "dpr_demo_qh_classify" && (o.Class == nil || o.Class.Type != "credit_note") {
			t.Fatalf("classification = %+v", o.Class)
		}
	}
}

func TestFailedEventKeptAndReplayable(t *testing.T) { pgtest.Each(t, testFailedEventKeptAndReplayable) }

func testFailedEventKeptAndReplayable(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	send(t, s, "bad", review.EventRunNeedsReview, json.RawMessage(`{"object":"workflow_run"}`))
	apply(t, s)
	failed, err := s.FailedEvents(ctx, 10)
	if err != nil || len(failed) != 1 || !strings.Contains(failed[0].Error, "workflow_run") {
		t.Fatalf("failed = %+v %v", failed, err)
	}
	if err := s.Replay(ctx, "bad"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingEvents(ctx, 10); len(p) != 1 || p[0].Attempts != 1 {
		t.Fatalf("pending after replay = %+v", p)
	}
	if err := s.Replay(ctx, "bad"); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("replaying a pending event: %v", err)
	}
}

func TestRunsPaging(t *testing.T) { pgtest.Each(t, testRunsPaging) }

func testRunsPaging(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), step: time.Second}
	s, err := storage.Open(context.Background(), t.TempDir(), storage.Options{DB: pgtest.DB(t), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range 7 {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%d","status":"NEEDS_REVIEW","workflow":{"id":"wf_%d","name":"W"}}`, i, i%2)
		send(t, s, fmt.Sprint(i), review.EventRunNeedsReview, json.RawMessage(p))
		apply(t, s)
	}
	var seen []string
	cursor := ""
	for range 10 {
		page, next, err := s.Runs(ctx, review.RunFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seen = append(seen, r.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(seen, ",") != "workflow_run_6,workflow_run_5,workflow_run_4,workflow_run_3,workflow_run_2,workflow_run_1,workflow_run_0" {
		t.Fatalf("pages = %v", seen)
	}
	odd, _, _ := s.Runs(ctx, review.RunFilter{WorkflowID: "wf_1"})
	if len(odd) != 3 {
		t.Fatalf("workflow filter: %d runs", len(odd))
	}
	if _, _, err := s.Runs(ctx, review.RunFilter{Cursor: "garbage!"}); review.ErrorCode(err) != review.EINVALID {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestUsersSessionsTokens(t *testing.T) { pgtest.Each(t, testUsersSessionsTokens) }

func testUsersSessionsTokens(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "ana@example.com", "Ana", review.RoleSupervisor, passwordtest.Hash(t, "correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "ANA@example.com", "", review.RoleReviewer, passwordtest.Hash(t, "another password")); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("duplicate email (other case): %v", err)
	}
	if _, err := s.Account(ctx, "nobody@example.com"); review.ErrorCode(err) != review.ENOTFOUND {
		t.Fatalf("unknown user: %v", err)
	}
	got, err := s.Account(ctx, "Ana@Example.com")
	if err != nil || got.ID != u.ID || got.Role != review.RoleSupervisor || !passwords.New(true).Matches(got.PasswordHash, "correct horse battery") {
		t.Fatalf("account: %+v %v", got, err)
	}
	sid, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if se, err := s.Session(ctx, sid); err != nil || se.User.Email != "ana@example.com" {
		t.Fatalf("session: %+v %v", se, err)
	}
	s.DeleteSession(ctx, sid)
	if _, err := s.Session(ctx, sid); review.ErrorCode(err) != review.EUNAUTHORIZED {
		t.Fatalf("deleted session: %v", err)
	}
	tok, err := s.CreateToken(ctx, "erp", review.RoleReviewer)
	if err != nil || !strings.HasPrefix(tok, "rvw_") {
		t.Fatalf("token %q %v", tok, err)
	}
	if got, err := s.UseToken(ctx, tok); err != nil || got.Role != review.RoleReviewer {
		t.Fatalf("token %+v %v", got, err)
	}
	if _, err := s.UseToken(ctx, tok+"x"); review.ErrorCode(err) != review.EUNAUTHORIZED {
		t.Fatalf("wrong token: %v", err)
	}
	if keys, err := s.SessionKeys(ctx); err != nil || keys != nil {
		t.Fatalf("session keys before any: %q %v", keys, err)
	}
	a, b := [][]byte{[]byte("hash a"), []byte("block a")}, [][]byte{[]byte("hash b"), []byte("block b")}
	if err := s.SetSessionKeys(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSessionKeys(ctx, b, nil); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("first keys over first keys: %v, want refused", err)
	}
	if err := s.SetSessionKeys(ctx, b, [][]byte{[]byte("hash c"), []byte("block c")}); !errors.Is(err, review.ErrRefused) {
		t.Fatalf("keys in place of keys never kept: %v, want refused", err)
	}
	if err := s.SetSessionKeys(ctx, append(b, a...), a); err != nil {
		t.Fatal(err)
	}
	if keys, err := s.SessionKeys(ctx); err != nil || len(keys) != 4 || string(keys[0]) != "hash b" || string(keys[3]) != "block a" {
		t.Fatalf("session keys: %q %v", keys, err)
	}
}

func TestFiles(t *testing.T) { pgtest.Each(t, testFiles) }

func testFiles(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	send(t, s, "e1", review.EventRunNeedsReview, demoPayload(t, 0))
	apply(t, s)
	due, err := s.DueFiles(ctx, 10)
	if err != nil || len(due) != 1 || due[0].ID != "file_demo_aws" || due[0].APIVersion != review.Version2026 {
		t.Fatalf("due = %+v %v", due, err)
	}
	if err := s.FileFailed(ctx, "file_demo_aws", "HTTP 503", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueFiles(ctx, 10); len(due) != 0 {
		t.Fatalf("file due before its retry time: %+v", due)
	}
	s.FileFailed(ctx, "file_demo_aws", "HTTP 404", time.Time{})
	f, _ := s.File(ctx, "file_demo_aws")
	if f.FetchState != review.FileFailed || f.FetchError != "HTTP 404" {
		t.Fatalf("file = %+v", f)
	}
	pdf, _ := demo.File("AmazonWebServices.pdf")
	hash, err := s.PutFile(ctx, "file_demo_aws", pdf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := s.Run(ctx, "workflow_run_demo_aws_2026")
	if run.Files[0].Blob != hash || run.Files[0].FetchState != review.FileFetched {
		t.Fatalf("run file = %+v", run.Files[0])
	}
	// A fetch that fails after the document came another way (uploaded,
	// or fetched by another instance) leaves it fetched: it was marked
	// pending again, with no link to it, and fetched once more.
	if err := s.FileFailed(ctx, "file_demo_aws", "dial tcp: connection refused", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.File(ctx, "file_demo_aws"); f.FetchState != review.FileFetched || f.Blob != hash || f.FetchError != "" {
		t.Fatalf("after a fetch failed late, the stored file is %+v", f)
	}
	b, err := s.Blobs.Open(hash)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := s.Blobs.Open("../../etc/passwd"); err == nil {
		t.Fatal("a path was accepted as a blob hash")
	}
	big := strings.NewReader(strings.Repeat("x", 2000))
	if _, err := s.PutFile(ctx, "file_2", big, 1000); err == nil {
		t.Fatal("a blob over the limit was stored")
	}
}

// TestBackupWhileWriting copies the database while events keep arriving;
// the copy opens and holds a consistent state.
func TestBackupWhileWriting(t *testing.T) { pgtest.Each(t, testBackupWhileWriting) }

func testBackupWhileWriting(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	done, first := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			ev, body := event(fmt.Sprint("w", i), "x.y", json.RawMessage(`{}`))
			s.AppendEvent(ctx, ev, body)
			if i == 0 {
				close(first) // committed: the backup must hold it
			}
		}
	}()
	<-first
	path := filepath.Join(t.TempDir(), "backup.db")
	if pgtest.Postgres(t) {
		if err := s.Backup(ctx, path); review.ErrorCode(err) != review.EINVALID {
			t.Fatalf("reviewer backup of a PostgreSQL database: %v, want a pointer to pg_dump", err)
		}
		<-done
		return
	}
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := s.Backup(ctx, path); review.ErrorCode(err) != review.ECONFLICT {
		t.Fatalf("overwriting a backup: %v", err)
	}
	dir := t.TempDir()
	data, _ := os.ReadFile(path)
	os.WriteFile(filepath.Join(dir, "reviewer.db"), data, 0o600)
	restored := open(t, dir)
	counts, err := restored.EventCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := counts["pending"]; n < 1 || n > 300 {
		t.Fatalf("restored %d events", n)
	}
}
