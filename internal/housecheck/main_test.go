package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// TestCheckFindsWrites: in a small module shaped like reviewer, a handler
// calling a storage write through the interface it declares is found, as
// is a command calling it on the store itself and a write reached through
// another method or handed to the writer on a channel; so is a read that
// is the desk's own (the account with its password hash), through an
// interface or on the store. Other reads, allowed bookkeeping and a method
// of the same name on another type are not. Views importing more than
// review, web importing pages, and storage importing passwords (a password
// reaching storage to be hashed) are found too.
func TestCheckFindsWrites(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module " + module + "\n\ngo 1.22\n",
		"storage/store.go": `package storage

type pool struct{}

func (pool) Exec(string) {}

type Store struct {
	w       pool
	appends chan int
}

func (s *Store) Put(k string)      { s.w.Exec(k) }
func (s *Store) PutTwice(k string) { s.Put(k); s.Put(k) }
func (s *Store) Append(n int)      { s.appends <- n }
func (s *Store) Get(k string) string { return k }
func (s *Store) Account(email string) string { return email }
func (s *Store) TouchSession(id string) { s.w.Exec(id) }
func (s *Store) Close() error { return nil }
`,
		"web/web.go": `package web

type Store interface {
	Put(k string)
	Get(k string) string
	TouchSession(id string)
	Account(email string) string
}

type cache struct{}

func (cache) Put(k string) {}
func (cache) Account(email string) string { return email }

func Handle(s Store, c cache) {
	s.Put("a")
	s.Get("b")
	s.TouchSession("c")
	c.Put("d")
	s.Account("e")
	c.Account("f")
}
`,
		"ingest/ingest.go": `package ingest

type Inbox interface{ Append(n int) }

func Work(i Inbox) { i.Append(1) }
`,
		"outbound/outbound.go":   "package outbound\n",
		"review/review.go":       "package review\n\ntype Run struct{}\n",
		"pages/pages.go":         "package pages\n\ntype Word struct{}\n",
		"passwords/passwords.go": "package passwords\n\nfunc Hash(p string) []byte { return []byte(p) }\n",
		"storage/users.go":       "package storage\n\nimport \"" + module + "/passwords\"\n\nvar _ = passwords.Hash\n",
		"views/views.go": `package views

import (
	"` + module + `/review"
	"` + module + `/storage"
)

var _ = review.Run{}
var _ = storage.Store{}
`,
		"views/views_test.go": `package views

import "` + module + `/pages"

var _ = pages.Word{}
`,
		"web/draw.go": `package web

import (
	"` + module + `/pages"
	"` + module + `/review"
)

var _ = pages.Word{}
var _ = review.Run{}
`,
		"cmd/reviewer/main.go": `package main

import "` + module + `/storage"

func main() {
	s := &storage.Store{}
	s.PutTwice("x")
	s.Get("y")
	s.Account("z")
	s.Close()
}
`,
	}
	write(t, dir, files)
	if _, err := check(dir); err == nil {
		t.Fatal("the fixture's allowed list names writes it does not have, and was not refused")
	}
	saved, savedOwn := allowed, desksOwn
	t.Cleanup(func() { allowed, desksOwn = saved, savedOwn })
	allowed = map[string]string{"TouchSession": "bookkeeping"}
	if _, err := check(dir); err == nil {
		t.Fatal("the desk's reads name a method the fixture's store does not have, and were not refused")
	}
	desksOwn = map[string]string{"Account": "the hash"}
	bad, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cmd/reviewer/main.go:7: PutTwice writes to storage directly",
		"cmd/reviewer/main.go:9: Account reads what the desk decides on (the hash)",
		"ingest/ingest.go:5: Append writes to storage directly",
		"storage/users.go:3: storage imports passwords: " + imports[2].why,
		"views/views.go:5: views imports storage: " + imports[0].why,
		"web/draw.go:4: web imports pages: " + imports[1].why,
		"web/web.go:16: Put writes to storage directly",
		"web/web.go:20: Account reads what the desk decides on (the hash)",
	}
	if !reflect.DeepEqual(bad, want) {
		t.Fatalf("found %q, want %q", bad, want)
	}
}

// TestGuardedImports: the unchecked PDFium build is imported by the bench,
// by pages (which reads whether the bench asked for it) and by its own
// tests; any other importer is found, the reviewer command beside the
// bench among them, and a test file or a file under a build tag too. A
// directory the go command skips (testdata) is skipped.
func TestGuardedImports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	use := "package x\n\nimport _ \"" + module + "/internal/pdfiumcheck\"\n"
	files := map[string]string{
		"go.mod":                                   "module " + module + "\n\ngo 1.22\n",
		"internal/pdfiumcheck/pdfiumcheck.go":      "package pdfiumcheck\n",
		"internal/pdfiumcheck/pdfiumcheck_test.go": use,
		"cmd/bench/viewer.go":                      use,
		"pages/pages.go":                           use,
		"cmd/reviewer/main.go":                     use,
		"web/web_test.go":                          use,
		"instance/linux.go":                        "//go:build linux\n\n" + use,
		"instance/testdata/x.go":                   use,
		"review/review.go":                         "package review\n\nimport _ \"" + module + "/pages\"\n",
	}
	write(t, dir, files)
	bad, err := guardedImports(dir)
	if err != nil {
		t.Fatal(err)
	}
	why := guarded[0].why
	want := []string{
		"cmd/reviewer/main.go:3: cmd/reviewer imports internal/pdfiumcheck: " + why,
		"instance/linux.go:5: instance imports internal/pdfiumcheck: " + why,
		"web/web_test.go:3: web imports internal/pdfiumcheck: " + why,
	}
	slices.Sort(bad)
	if !reflect.DeepEqual(bad, want) {
		t.Fatalf("found %q, want %q", bad, want)
	}
}

// write puts each file, by its path, under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
