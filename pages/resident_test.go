package pages_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/internal/docx"
	"github.com/reviewer-app/reviewer/internal/pdfiumtest"
	"github.com/reviewer-app/reviewer/pages"
)

// TestResidentOffice: Word documents are laid out by one LibreOffice kept
// running between them (the real one); when it is killed, between
// documents or while it has one, the document is still laid out, by a new
// one; a document it is still busy with at the deadline is shown as its
// text, and it is replaced (killed with everything it started) for the
// next; it is replaced after a document when it has grown past its memory
// bound, and after its number of documents.
func TestResidentOffice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := pages.Open(ctx, dir, pages.Options{CompileCache: pdfiumtest.Cache(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	layOut := func(t *testing.T, want int) string {
		t.Helper()
		n++
		hash, path := save(t, dir, docx.Write(fmt.Sprintf("Invoice %d", n), "\f", "Terms: 30 days"))
		kind, sizes, err := r.Inspect(ctx, hash, path)
		if err != nil || kind != "docx" || len(sizes) != want {
			t.Fatalf("Inspect = %q %v %v, want docx with %d pages (%s)", kind, sizes, err, want, r.AsText(hash))
		}
		return hash
	}
	// office returns the LibreOffice program under the resident's launcher.
	office := func(t *testing.T, group int) int {
		t.Helper()
		out, err := exec.Command("pgrep", "-g", strconv.Itoa(group), "soffice.bin").Output()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil || pid == 0 {
			t.Fatalf("no soffice.bin in process group %d: %v %q", group, err, out)
		}
		return pid
	}
	resident := func(t *testing.T) int {
		t.Helper()
		pid := pages.OfficePID(r)
		if pid == 0 {
			t.Fatal("no LibreOffice is kept running")
		}
		return pid
	}

	layOut(t, 2)
	first := resident(t)
	layOut(t, 2)
	if got := resident(t); got != first {
		t.Fatalf("the second document had LibreOffice %d, the first %d: not kept running", got, first)
	}

	t.Run("killed between documents", func(t *testing.T) {
		dead := office(t, first)
		syscall.Kill(dead, syscall.SIGKILL)
		// Between documents: it has finished dying before the next arrives
		// (one arriving while it dies starts a LibreOffice of its own).
		waitFor(t, func() bool {
			out, _ := exec.Command("pgrep", "-r", "R,S,D,T,t", "-g", strconv.Itoa(first), "soffice.bin").Output()
			return len(out) == 0
		})
		layOut(t, 2)
		if got := resident(t); got == first {
			t.Fatal("the dead LibreOffice was not replaced")
		}
	})

	t.Run("killed while it has a document", func(t *testing.T) {
		busy := office(t, resident(t))
		syscall.Kill(busy, syscall.SIGSTOP)
		n++
		hash, path := save(t, dir, docx.Write(fmt.Sprintf("Invoice %d", n), "\f", "Terms: 30 days"))
		pages := make(chan int, 1)
		go func() {
			_, sizes, err := r.Inspect(ctx, hash, path)
			if err != nil {
				t.Error(err)
			}
			pages <- len(sizes)
		}()
		// The document is handed over once a second soffice runs with it.
		waitFor(t, func() bool {
			out, _ := exec.Command("pgrep", "-f", "convert-to.*"+filepath.Join(dir, "office")).Output()
			return len(out) > 0
		})
		syscall.Kill(busy, syscall.SIGKILL)
		if got := <-pages; got != 2 {
			t.Fatalf("the document LibreOffice had when killed has %d pages, want 2 (%s)", got, r.AsText(hash))
		}
		layOut(t, 2)
	})

	t.Run("busy at the deadline", func(t *testing.T) {
		group := resident(t)
		syscall.Kill(office(t, group), syscall.SIGSTOP) // as if the document never ended
		undo := pages.SetOfficeTimeout(2 * time.Second)
		hash := layOut(t, 0)
		undo()
		if why := r.AsText(hash); !strings.Contains(why, "took longer than 2s") {
			t.Errorf("AsText = %q", why)
		}
		// A process killed finishes dying in its own time, and waits a while
		// to be reaped: wait until none of the group runs (a ceiling, not a
		// deadline: one that outlived its kill fails here).
		waitFor(t, func() bool {
			out, _ := exec.Command("pgrep", "-r", "R,S,D,T,t", "-g", strconv.Itoa(group)).Output()
			return len(out) == 0
		})
		layOut(t, 2)
	})

	t.Run("grown", func(t *testing.T) {
		defer pages.SetOfficeBounds(1, 100)()
		layOut(t, 2)
		if pid := pages.OfficePID(r); pid != 0 {
			t.Errorf("LibreOffice %d was kept past its memory bound", pid)
		}
	})

	t.Run("served its documents", func(t *testing.T) {
		defer pages.SetOfficeBounds(512<<20, 1)()
		layOut(t, 2)
		before := resident(t)
		layOut(t, 2)
		if got := resident(t); got == before {
			t.Errorf("LibreOffice %d laid out a second document past its bound of one", got)
		}
	})
}

// waitFor waits for cond, checked every 20 ms, for at most two minutes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

// TestResidentOfficeLeftOver: a LibreOffice left running on the data
// directory by a server that ended without stopping it (here, a renderer
// not closed) is stopped by the next one, which lays documents out with a
// LibreOffice of its own.
func TestResidentOfficeLeftOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	layOut := func(t *testing.T, text string) *pages.Renderer {
		t.Helper()
		r, err := pages.Open(ctx, dir, pages.Options{CompileCache: pdfiumtest.Cache(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		hash, path := save(t, dir, docx.Write(text, "\f", "Terms: 30 days"))
		if kind, sizes, err := r.Inspect(ctx, hash, path); err != nil || kind != "docx" || len(sizes) != 2 {
			t.Fatalf("Inspect = %q %v %v, want docx with 2 pages (%s)", kind, sizes, err, r.AsText(hash))
		}
		return r
	}
	before := pages.OfficePID(layOut(t, "Invoice 1"))
	after := pages.OfficePID(layOut(t, "Invoice 2"))
	if after == 0 || after == before {
		t.Fatalf("LibreOffice %d after, %d before: want a new one", after, before)
	}
	if out, _ := exec.Command("pgrep", "-r", "R,S,D,T,t", "-g", strconv.Itoa(before)).Output(); len(out) > 0 {
		t.Errorf("the LibreOffice left over is still running: %s", out)
	}
}
