package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// TestDemoLoadsTheDayFirst: `serve --demo` says the demo's day is loaded
// as soon as its runs are (the first screen), and the measured weeks after
// it, when they are; started again on its data it says both again and adds
// nothing twice.
func TestDemoLoadsTheDayFirst(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if err := os.CopyFS(data, os.DirFS(demoDir(t))); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	events := func() map[string]int64 {
		t.Helper()
		store, err := storage.Open(ctx, data, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		n, err := store.EventCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := events()
	day, err := demo.Runs(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lines := serveDemo(t, data, pdfiumtest.Cache(t))
	if want := fmt.Sprintf("Loaded %d demo runs ", len(day)); len(lines) != 2 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("serve --demo said %q, want first %q", lines, want)
	}
	if want := fmt.Sprintf("%s %d runs", historyLoaded, demo.HistoryRuns); !strings.HasPrefix(lines[1], want) {
		t.Fatalf("serve --demo said %q, want then %q", lines[1], want)
	}
	if after := events(); !maps.Equal(before, after) {
		t.Errorf("a restart changed the events from %v to %v", before, after)
	}
	// The day has a run a reviewer sent to a supervisor, sent once.
	store, err := storage.Open(ctx, data, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var escalated []string
	for _, r := range day {
		if r.Escalated == nil {
			continue
		}
		escalated = append(escalated, r.ID)
		rv, err := store.Review(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rv.Hold.Kind != review.HoldEscalated || rv.Hold.By != r.Escalated.By || rv.Hold.Note != r.Escalated.Reason {
			t.Errorf("%s is held as %+v, want sent to a supervisor by %s", r.ID, rv.Hold, r.Escalated.By)
		}
		trail, err := store.Audit(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, e := range trail {
			if e.Action == review.ActionEscalate {
				sent++
			}
		}
		if sent != 1 {
			t.Errorf("%s was sent to a supervisor %d times over two starts, want once", r.ID, sent)
		}
	}
	if len(escalated) == 0 {
		t.Error("no run of the demo's day is sent to a supervisor")
	}
}

// serveDemo runs `serve --demo` on data until it has said what it loaded
// of the demo's day and its measured weeks, and returns those two lines.
func serveDemo(t *testing.T, data, compileCache string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ceiling) // a server that never says ends
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", data, "--compile-cache", compileCache}, noEnv, nil, pw, io.Discard)
		pw.Close()
	}()
	defer func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	var said []string
	for sc := bufio.NewScanner(pr); len(said) < 2 && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "Loaded ") || strings.HasPrefix(sc.Text(), "The demo") {
			said = append(said, sc.Text())
		}
	}
	return said
}

// TestDemoScorecardsShowActiveTime: the demo's reviewers have focused
// time on every day they decided, reported through the desk as the run
// page reports it: a believable time per run (half a minute to five
// minutes), Ben quicker than Chris over the measured weeks; the
// scorecards page shows it.
func TestDemoScorecardsShowActiveTime(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	s.user("sam@example.com", review.RoleSupervisor)
	var cards struct {
		Data []struct {
			Email         string  `json:"email"`
			Day           string  `json:"day"`
			Decided       int     `json:"decided"`
			ActiveSeconds float64 `json:"activeSeconds"`
			PerRun        float64 `json:"activeSecondsPerRun"`
		} `json:"data"`
	}
	if err := json.Unmarshal(supervisorGet(t, s, "/api/v1/scorecards?days=30"), &cards); err != nil {
		t.Fatal(err)
	}
	active, decided := map[string]float64{}, map[string]int{}
	for _, c := range cards.Data {
		if c.Decided == 0 {
			continue
		}
		if c.PerRun < 30 || c.PerRun > 300 {
			t.Errorf("%s on %s: %.0f s of focused time per run over %d runs", c.Email, c.Day, c.PerRun, c.Decided)
		}
		active[c.Email] += c.ActiveSeconds
		decided[c.Email] += c.Decided
	}
	if len(decided) < 3 || active["ben@example.com"]/float64(decided["ben@example.com"]) >= active["chris@example.com"]/float64(decided["chris@example.com"]) {
		t.Errorf("focused time per run over the weeks: %v over %v decided, want Ben quicker than Chris", active, decided)
	}
	resp, err := s.client("sam@example.com").Get(s.base + "/scorecards")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte("data-scorecard=")) || bytes.Contains(page, []byte("<td>0s (")) {
		t.Errorf("the scorecards page shows a day of no focused time, or no day")
	}
}
