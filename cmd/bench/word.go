package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/reviewer-app/reviewer/internal/docx"
)

// wordDocuments is how many Word documents are timed after the first: the
// baseline starts a LibreOffice for each, a second or more apiece.
const wordDocuments = 5

// benchWord measures Word documents laid out as pages when they arrive,
// by the resident LibreOffice: the first of a process (LibreOffice
// started, its profile made) and the 20 after it; then a page image cold,
// beside the same pages arriving as a PDF. The baseline is the same
// documents each laid out by a LibreOffice of its own (soffice
// --convert-to on a profile already made), as every one was before.
func benchWord(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-word-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	stop := sync.OnceFunc(e.close)
	defer stop()

	docs := make([][]byte, wordDocuments+1)
	for i := range docs {
		docs[i] = docx.Write(fmt.Sprintf("Invoice %d", 4711+i), "Total due: 39.00 EUR", "\f", "Terms: net 30 days")
	}
	var learn []time.Duration
	var hash string
	for i, doc := range docs {
		h, err := e.store.PutFile(ctx, fmt.Sprintf("file_bench_word_%d", i), bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		d, err := e.desk.Measure(ctx, h)
		if err != nil {
			return nil, err
		}
		if len(d.Pages) != 2 {
			return nil, fmt.Errorf("a Word document was not laid out as its 2 pages (%d): is LibreOffice installed? (make office)", len(d.Pages))
		}
		learn, hash = append(learn, time.Since(t0)), h
	}
	cold, rec := e.get("/pages/" + hash + "/1?w=1000")
	if rec.Code != 200 {
		return nil, fmt.Errorf("the Word document's page: %d %s", rec.Code, rec.Body)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "pages", hash[:2], hash, "laid-out.pdf"))
	if err != nil {
		return nil, err
	}
	ph, asPDF, err := e.arrive(ctx, "file_bench_word_pdf", pdf)
	if err != nil {
		return nil, err
	}
	pdfCold, _ := e.get("/pages/" + ph + "/1?w=1000")
	stop() // its LibreOffice is not the baseline's neighbour

	apart, err := wordApart(ctx, dir, docs)
	if err != nil {
		return nil, err
	}
	later := learn[1:]
	fmt.Fprintf(log, "Word: laid out on arrival %s first, then p50 %s p99 %s; each by a LibreOffice of its own: first %s, then p50 %s p99 %s; page cold %s (as a PDF: %s, %s)\n",
		ms(learn[0]), ms(percentile(later, 50)), ms(percentile(later, 99)),
		ms(apart[0]), ms(percentile(apart[1:], 50)), ms(percentile(apart[1:], 99)), ms(cold), ms(asPDF), ms(pdfCold))
	return []result{
		{Name: fmt.Sprintf("a 2-page Word document laid out as pages on arrival by the resident LibreOffice: the first of a process (started, its profile made) / the %d after it p50 (p99)", wordDocuments),
			Value:    fmt.Sprintf("%s / %s (%s)", ms(learn[0]), ms(percentile(later, 50)), ms(percentile(later, 99))),
			Baseline: fmt.Sprintf("each by a LibreOffice of its own (soffice --convert-to, the way before): %s / %s (%s)", ms(apart[0]), ms(percentile(apart[1:], 50)), ms(percentile(apart[1:], 99))),
			Goal:     "< 1 s after the first",
			Ratio:    ratio(float64(percentile(later, 50)), float64(percentile(apart[1:], 50))) + " (p50s)", Met: meets(percentile(later, 100) < time.Second)},
		{Name: "then its first page image cold", Value: ms(cold), Baseline: fmt.Sprintf("the same pages arriving as a PDF: measured %s, then %s", ms(asPDF), ms(pdfCold)), Goal: "as fast as a PDF's",
			Ratio: ratio(float64(cold), float64(pdfCold))},
	}, nil
}

// wordApart lays each of docs out as the reviewer did before LibreOffice
// was kept running: soffice --convert-to, a process for each, on one
// profile (made by the first), and returns how long each took.
func wordApart(ctx context.Context, dir string, docs [][]byte) ([]time.Duration, error) {
	home := filepath.Join(dir, "apart")
	if err := os.MkdirAll(home, 0o750); err != nil {
		return nil, err
	}
	var took []time.Duration
	for i, doc := range docs {
		in := filepath.Join(home, fmt.Sprintf("document-%d.docx", i))
		if err := os.WriteFile(in, doc, 0o600); err != nil {
			return nil, err
		}
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, "soffice", "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
			"-env:UserInstallation=file://"+filepath.Join(home, "profile"),
			"--convert-to", "pdf:writer_pdf_Export", "--outdir", home, in)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("soffice --convert-to: %w: %s", err, out)
		}
		took = append(took, time.Since(t0))
		if _, err := os.Stat(filepath.Join(home, fmt.Sprintf("document-%d.pdf", i))); err != nil {
			return nil, fmt.Errorf("soffice --convert-to made no PDF: %w", err)
		}
	}
	return took, nil
}
