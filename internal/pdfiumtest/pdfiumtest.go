// Package pdfiumtest gives the tests one compiled PDFium. Compiling it
// takes about a minute under the race detector; every renderer and server
// the tests start is given the same compilation cache (pages.Options and
// --compile-cache), filled once per machine: the first test binary to need
// it compiles while the others wait for it, and later runs find it ready.
package pdfiumtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/pages"
)

var (
	once  sync.Once
	dir   string
	warmE error
)

// Cache returns the tests' compilation cache for PDFium, compiled.
func Cache(t testing.TB) string {
	t.Helper()
	once.Do(func() { dir, warmE = warm() })
	if warmE != nil {
		t.Fatalf("PDFium for the tests: %v", warmE)
	}
	return dir
}

// warm compiles PDFium into the cache unless it holds a compiled module,
// under a lock that test binaries running at once share.
func warm() (string, error) {
	dir := filepath.Join(os.TempDir(), "reviewer-test-wazero")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	done := marker()
	if _, err := os.Stat(filepath.Join(dir, done)); done != "" && err == nil {
		return dir, nil
	}
	data, err := os.MkdirTemp("", "reviewer-pdfium-warm-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(data)
	ctx := context.Background()
	r, err := pages.Open(ctx, data, pages.Options{Instances: 1, CompileCache: dir})
	if err != nil {
		return "", err
	}
	defer r.Close()
	doc := hostile.Plain()
	sum := sha256.Sum256(doc)
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(data, hash)
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		return "", err
	}
	if _, _, err := r.Inspect(ctx, hash, file); err != nil {
		return "", fmt.Errorf("compile PDFium: %w", err)
	}
	if done != "" {
		if err := os.WriteFile(filepath.Join(dir, done), nil, 0o600); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// marker names the file that says the cache holds PDFium compiled by this
// wazero, of this go-pdfium: both versions, from the binary's build
// information ("" when it has none, and the cache is then warmed again).
func marker() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var v []string
	for _, m := range bi.Deps {
		if m.Path == "github.com/tetratelabs/wazero" || m.Path == "github.com/klippa-app/go-pdfium" {
			v = append(v, m.Version)
		}
	}
	if len(v) != 2 {
		return ""
	}
	return "compiled-" + strings.Join(v, "-") + "-" + runtime.GOARCH
}
