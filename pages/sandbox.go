package pages

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
)

// sandbox is how LibreOffice and Tesseract are kept off every network: each
// runs in an empty network namespace of its own (a loopback interface, down,
// and nothing else), made by util-linux's unshare, which then starts the
// program in place (same process, same process group, so prlimit's bound
// and the kill at the deadline hold as before). As root a network namespace
// alone is made; otherwise a user namespace around it, where the kernel
// allows unprivileged ones. A Word document can name addresses for
// LibreOffice to fetch (a picture linked rather than embedded); from inside
// the namespace none answers, the server's own and its neighbours'
// included. It is probed once, on first use; when neither works (no
// unshare, a container without the privilege), programs run with the
// server's network, Sandbox says why, and unlink's removal of a Word
// document's outside references is the only guard.
var sandbox = sync.OnceValues(probeSandbox)

// Sandbox reports why LibreOffice and Tesseract run with the server's
// network: nil when each runs without any.
func Sandbox() error {
	_, err := sandbox()
	return err
}

// offline returns the command line that runs args without network, or args
// as they are when the sandbox is missing.
func offline(args []string) []string {
	prefix, err := sandbox()
	if err != nil {
		return args
	}
	return append(slices.Clip(prefix), args...)
}

// probeSandbox returns the unshare command line that starts a program in a
// network namespace of its own here, tried on true(1).
func probeSandbox() ([]string, error) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil, fmt.Errorf("unshare (util-linux) is not installed: %w", err)
	}
	var errs []error
	for _, flags := range [][]string{{"--net"}, {"--user", "--map-root-user", "--net"}} {
		prefix := append(append([]string{unshare}, flags...), "--")
		out, err := exec.Command(unshare, append(flags, "--", "true")...).CombinedOutput()
		if err == nil {
			return prefix, nil
		}
		errs = append(errs, fmt.Errorf("unshare %s: %w: %s", strings.Join(flags, " "), err, bytes.TrimSpace(out)))
	}
	return nil, errors.Join(errs...)
}
