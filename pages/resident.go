package pages

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Bounds of the resident LibreOffice, besides officeMemory and
// officeTimeout, which hold for it as for each conversion.
var (
	// officeRSS is the resident memory past which LibreOffice is replaced
	// after a document: it keeps fonts, images and layouts cached between
	// documents, and a fresh one costs a start (about a second).
	officeRSS int64 = 512 << 20
	// officeDocuments is how many documents one LibreOffice lays out before
	// it is replaced, so that whatever a document leaves behind in it (a
	// cache, a leak, a state it got into) reaches few others; a start
	// costs a hundredth of a second per document.
	officeDocuments = 100
)

// resident is a LibreOffice kept running between documents, so that each
// one is laid out without LibreOffice's start (a second on an idle
// machine, four on a busy one). Conversions are handed to it by the same
// soffice --convert-to command line as before: LibreOffice passes a
// command line to the instance already running on its user profile, over
// the profile's IPC socket (a file in /tmp, reachable from the network
// namespace it runs in), and waits for it to be done. It keeps a text
// document open, because an instance with none open exits after the first
// conversion handed to it.
type resident struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when it has exited
	served int           // documents handed to it
}

// alive reports whether p's LibreOffice is running. The launcher outlives
// a LibreOffice killed, for a while: a document handed over then would
// find no instance and start one of its own.
func (p *resident) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		_, office := p.group()
		return office
	}
}

// stop kills p with everything it started, and waits for it. Until p.done
// is closed its launcher is not reaped, so its group id is still its own.
func (p *resident) stop() {
	select {
	case <-p.done:
	default:
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// rss returns the resident memory of p's process group (the launcher and
// LibreOffice under it).
func (p *resident) rss() int64 {
	rss, _ := p.group()
	return rss
}

// group reads p's process group from /proc: its resident memory, and
// whether LibreOffice itself (soffice.bin) is among its running processes
// (not exited and waiting to be reaped).
func (p *resident) group() (rss int64, office bool) {
	entries, _ := os.ReadDir("/proc")
	pgid := strconv.Itoa(p.cmd.Process.Pid)
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command's name, which may hold spaces:
		// state, ppid, pgrp, ... rss is the 24th field of the whole line.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 22 || f[2] != pgid || f[0] == "Z" || f[0] == "X" {
			continue
		}
		office = office || bytes.HasSuffix(stat[:bytes.LastIndexByte(stat, ')')], []byte("(soffice.bin"))
		pages, _ := strconv.ParseInt(f[21], 10, 64)
		rss += pages * int64(os.Getpagesize())
	}
	return rss, office
}

// officeArgs returns LibreOffice's command line on the user profile in
// home, followed by args.
func (r *Renderer) officeArgs(home string, args ...string) []string {
	return append([]string{r.office, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
		"-env:UserInstallation=file://" + filepath.Join(home, "profile")}, args...)
}

// officeCommand returns the command that runs args (from officeArgs)
// without network and within officeMemory, in home, in a process group of
// its own, killed with all of it when ctx ends.
func officeCommand(ctx context.Context, home string, args []string) *exec.Cmd {
	args = offline(withinMemory(officeMemory, args))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = home
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// residentOffice returns the running LibreOffice, started (or replaced,
// when it has exited or served officeDocuments) within ctx. The caller
// holds officeSlot.
func (r *Renderer) residentOffice(ctx context.Context, home string) (*resident, error) {
	r.officeMu.Lock()
	defer r.officeMu.Unlock()
	if p := r.resident; p != nil {
		if p.alive() && p.served < officeDocuments {
			return p, nil
		}
		p.stop()
		r.resident = nil
	}
	if r.closed {
		return nil, errors.New("lay out: the renderer is closed")
	}
	keep := filepath.Join(home, "resident")
	if err := os.RemoveAll(keep); err != nil { // and the lock of one killed before
		return nil, err
	}
	if err := os.MkdirAll(keep, 0o750); err != nil {
		return nil, err
	}
	args := r.officeArgs(home)
	stopLeftovers(args[len(args)-1])
	open := filepath.Join(keep, "open.txt")
	if err := os.WriteFile(open, []byte("kept open\n"), 0o600); err != nil {
		return nil, err
	}
	// It lives as long as the renderer, or until replaced.
	cmd := officeCommand(r.ctx, home, append(args, open))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &resident{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	// LibreOffice locks the document once it has it open: from then on it
	// takes conversions, and outlives each.
	lock := filepath.Join(keep, ".~lock.open.txt#")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(lock); err == nil {
			r.resident = p
			return p, nil
		}
		select {
		case <-p.done:
			return nil, review.Errorf(review.EUNPROCESSABLE, "LibreOffice stopped as it started (%s).", cmd.ProcessState)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// stopLeftovers kills what runs on the user profile named by profile (the
// -env:UserInstallation argument): a LibreOffice left by this server in an
// earlier life (ended without Close, or its launcher killed and
// LibreOffice not). A new one would hand its document to that one and
// exit, and the one left is outside every bound but its address space.
func stopLeftovers(profile string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && slices.Contains(strings.Split(string(cmdline), "\x00"), profile) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// served counts a document laid out by p, and replaces p now when it has
// grown past officeRSS: the memory is given back between documents, not
// when the next one arrives.
func (r *Renderer) served(p *resident) {
	r.officeMu.Lock()
	defer r.officeMu.Unlock()
	p.served++
	if r.resident == p && p.rss() > officeRSS {
		p.stop()
		r.resident = nil
	}
}

// dropOffice stops p, when it is still the resident: it was busy past the
// deadline, and what it was doing is not wanted.
func (r *Renderer) dropOffice(p *resident) {
	r.officeMu.Lock()
	defer r.officeMu.Unlock()
	p.stop()
	if r.resident == p {
		r.resident = nil
	}
}

// closeOffice stops the resident LibreOffice, for good.
func (r *Renderer) closeOffice() {
	r.officeMu.Lock()
	defer r.officeMu.Unlock()
	r.closed = true
	if r.resident != nil {
		r.resident.stop()
		r.resident = nil
	}
}
