package s3test

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestBuildOnce: two test binaries needing versitygw at once build it once;
// the second waits for the first and runs its finished file.
func TestBuildOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "versitygw")
	var builds atomic.Int32
	aBuilding, bWaiting, bBuilding := make(chan struct{}), make(chan struct{}), make(chan struct{})
	a := make(chan error, 1)
	go func() {
		a <- buildOnce(path, func(tmp string) error {
			builds.Add(1)
			close(aBuilding)
			select { // until the second is waiting, or building beside us
			case <-bWaiting:
			case <-bBuilding:
			}
			return os.WriteFile(tmp, []byte("versitygw"), 0o700)
		}, nil)
	}()
	<-aBuilding
	err := buildOnce(path, func(tmp string) error {
		builds.Add(1)
		close(bBuilding)
		return os.WriteFile(tmp, []byte("versitygw"), 0o700)
	}, func() { close(bWaiting) })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-a; err != nil {
		t.Fatal(err)
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "versitygw" {
		t.Errorf("the built file: %q %v", b, err)
	}
}
