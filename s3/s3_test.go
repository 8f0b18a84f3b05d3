package s3_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reviewer-app/reviewer/internal/s3test"
	"github.com/reviewer-app/reviewer/s3"
)

// TestPingSaysWhatIsWrong: an operator who mistypes a credential, or whose
// bucket vanished, reads which setting to fix, not "403 Forbidden:" or
// "file does not exist" (what /readyz and `reviewer blobs migrate` said).
func TestPingSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	client := func(blobs string, override map[string]string) *s3.Client {
		env := srv.Env()
		for k, v := range override {
			env[k] = v
		}
		c, err := s3.New(blobs, func(k string) (string, error) { return env[k], nil })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	if err := client("s3://"+srv.Bucket+"/docs", nil).Ping(ctx); err != nil {
		t.Fatalf("the right settings: %v", err)
	}
	for _, c := range []struct {
		name     string
		blobs    string
		override map[string]string
		want     string
	}{
		{"wrong secret", "s3://" + srv.Bucket + "/docs", map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "check AWS_SECRET_ACCESS_KEY"},
		{"unknown access key", "s3://" + srv.Bucket + "/docs", map[string]string{"AWS_ACCESS_KEY_ID": "nobody"}, `access key "nobody"`},
		{"no such bucket", "s3://no-such-bucket/docs", nil, `the bucket "no-such-bucket" does not exist`},
	} {
		err := client(c.blobs, c.override).Ping(ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// The bucket vanishes under a running installation.
	if err := os.Rename(filepath.Join(srv.Dir, srv.Bucket), filepath.Join(srv.Dir, "gone")); err != nil {
		t.Fatal(err)
	}
	want := `the bucket "` + srv.Bucket + `" does not exist`
	if err := client("s3://"+srv.Bucket+"/docs", nil).Ping(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a vanished bucket: %v", err)
	}
}
