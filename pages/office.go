package pages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/reviewer-app/reviewer/content"
	"github.com/reviewer-app/reviewer/review"
)

// Bounds of laying a Word document out as pages with LibreOffice: one
// document at a time in the whole process, each within officeTimeout (a
// start of the resident LibreOffice included) and officeMemory of address
// space, and a PDF of at most officeMaxPDF bytes.
// The document itself has passed content.Read's bounds first (a zip bomb
// never reaches LibreOffice).
const (
	officeMemory = 1 << 30
	officeMaxPDF = 64 << 20
)

var (
	officeTimeout = 60 * time.Second
	officeSlot    = make(chan struct{}, 1)
)

// Drawn reports whether the pages of a document of kind are drawn from a
// PDF at any width: a PDF's own, or a Word document as laid out.
func Drawn(kind string) bool { return kind == KindPDF || kind == content.KindDOCX }

// AsText says why a Word document is shown as its text rather than as its
// pages: LibreOffice is not installed here, or could not lay it out. It is
// empty when the document has its pages.
func (r *Renderer) AsText(hash string) string {
	if _, err := os.Stat(r.laidOutFile(hash)); err == nil {
		return ""
	}
	if why, err := os.ReadFile(r.asTextFile(hash)); err == nil {
		return string(why)
	}
	if r.office == "" {
		return "Shown as its text: LibreOffice is not installed on this server, so Word documents are not laid out as pages."
	}
	return ""
}

func (r *Renderer) laidOutFile(hash string) string {
	return filepath.Join(r.dir, hash[:2], hash, "laid-out.pdf")
}

func (r *Renderer) asTextFile(hash string) string {
	return filepath.Join(r.dir, hash[:2], hash, "as-text")
}

// layOut returns the path of a Word document's pages as a PDF, made by
// LibreOffice headless on first call and kept. A document LibreOffice
// cannot lay out within the bounds is remembered, with the sentence AsText
// says, and answered at once from then on. The document's bytes and the
// PDF LibreOffice writes are held within the budget (no decode is: the
// work is LibreOffice's, one document at a time).
func (r *Renderer) layOut(ctx context.Context, hash, file string) (string, error) {
	out := r.laidOutFile(hash)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if why, err := os.ReadFile(r.asTextFile(hash)); err == nil {
		return "", review.Errorf(review.EUNPROCESSABLE, "%s", why)
	}
	if r.office == "" {
		return "", review.Errorf(review.EUNAVAILABLE, "%s", r.AsText(hash))
	}
	_, err, _ := r.flight.Do("lay out "+hash, func() (any, error) {
		if _, err := r.content(ctx, hash, file, content.KindDOCX, true); err != nil {
			return nil, err
		}
		pdf, err := r.convertFile(ctx, file)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err() // the caller left: nothing is learnt
			}
			why := "Shown as its text: " + review.ErrorMessage(err)
			writeAtomic(r.asTextFile(hash), []byte(why)) // best effort, as fail
			return nil, review.Errorf(review.EUNPROCESSABLE, "%s", why)
		}
		return nil, writeAtomic(out, pdf)
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// convertFile lays the Word document in file out with LibreOffice, holding
// its bytes and the PDF within the budget.
func (r *Renderer) convertFile(ctx context.Context, file string) ([]byte, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	release, err := r.budget.take(ctx, st.Size()+officeMaxPDF, 0, 0)
	if err != nil {
		return nil, err
	}
	defer release()
	docx, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return r.convert(ctx, docx)
}

// withinMemory runs args with at most memory bytes of address space, where
// prlimit (util-linux, on every Debian) is installed: a subprocess that
// asks for more is refused its allocation and fails, not the machine.
func withinMemory(memory int, args []string) []string {
	if prlimit, err := exec.LookPath("prlimit"); err == nil {
		return append([]string{prlimit, "--as=" + strconv.Itoa(memory), "--"}, args...)
	}
	return args
}

// convert lays docx out with the resident LibreOffice, in a folder of its
// own, on the document without its outside references (unlink). The
// conversion is handed over by a second soffice in its own process group,
// killed at the deadline with the resident (what it was doing is not
// wanted). Both run without network (sandbox) and with their address
// space capped by prlimit. A resident that died while it had the document
// is replaced and given it once more: the document is not to blame.
func (r *Renderer) convert(ctx context.Context, docx []byte) ([]byte, error) {
	select {
	case officeSlot <- struct{}{}:
		defer func() { <-officeSlot }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	docx, err := unlink(docx)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(filepath.Dir(r.dir), "office")
	if err := os.MkdirAll(home, 0o750); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(home, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	in := filepath.Join(work, "document.docx")
	if err := os.WriteFile(in, docx, 0o600); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, officeTimeout)
	defer cancel()
	pdf, died, err := r.handOver(ctx, home, work, in)
	if died {
		pdf, _, err = r.handOver(ctx, home, work, in)
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, review.Errorf(review.EUNPROCESSABLE, "laying it out as pages took longer than %s.", officeTimeout)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return pdf, err
}

// handOver has the resident LibreOffice lay the document in out as a PDF
// in work, and returns it; died says the resident exited before it was
// done.
func (r *Renderer) handOver(ctx context.Context, home, work, in string) (pdf []byte, died bool, err error) {
	p, err := r.residentOffice(ctx, home)
	if err != nil {
		return nil, false, err
	}
	cmd := officeCommand(ctx, home, r.officeArgs(home, "--convert-to", "pdf:writer_pdf_Export", "--outdir", work, in))
	cmd.Dir = work
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything it left running
	}
	if ctx.Err() != nil {
		r.dropOffice(p)
		return nil, false, ctx.Err()
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, false, fmt.Errorf("lay out: %w", err)
	}
	out := filepath.Join(work, "document.pdf")
	st, serr := os.Stat(out)
	switch {
	case (serr != nil || st.Size() == 0) && !p.alive():
		return nil, true, review.Errorf(review.EUNPROCESSABLE, "LibreOffice stopped while it laid this document out as pages.")
	case serr != nil || st.Size() == 0:
		r.served(p)
		return nil, false, review.Errorf(review.EUNPROCESSABLE, "LibreOffice could not read this document to lay it out as pages.")
	case st.Size() > officeMaxPDF:
		r.served(p)
		return nil, false, review.Errorf(review.EUNPROCESSABLE, "its pages would take more than %d MiB.", officeMaxPDF>>20)
	}
	r.served(p)
	pdf, err = os.ReadFile(out)
	return pdf, false, err
}
