package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/reviewer-app/reviewer/s3"
)

// settings is a command's flags. Those of the installation (every flag of
// serve; --data and --db of the other commands) each have an environment
// variable named after the flag (--extend-api-key: REVIEWER_EXTEND_API_KEY),
// each secret with a _FILE twin naming a file that holds it, as container
// secrets are mounted. The flag wins over the variable, the variable over
// the default. Deriving the names keeps "every flag has a variable" true
// by construction; a command's own arguments (--email, --name) have none,
// so a stray REVIEWER_NAME cannot fill them in.
type settings struct {
	*flag.FlagSet
	getenv  func(string) string
	env     map[string]bool   // flags read from the environment
	secret  map[string]bool   // flag names whose values are redacted and may come from a file
	sources map[string]string // where each value came from, after Parse
}

// secretFlags are the flags whose values are secrets: redacted by
// `reviewer config`, and readable from a file (REVIEWER_X_FILE). The
// database URL carries PostgreSQL's password.
var secretFlags = map[string]bool{"webhook-secret": true, "extend-api-key": true, "db": true, "metrics-token": true}

func newSettings(name string, getenv func(string) string, stderr io.Writer) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &settings{FlagSet: fs, getenv: getenv, env: map[string]bool{}, secret: secretFlags, sources: map[string]string{}}
}

// fromEnv marks the flags defined so far as read from the environment.
func (s *settings) fromEnv() {
	s.VisitAll(func(f *flag.Flag) { s.env[f.Name] = true })
}

// envName is the variable of a flag.
func envName(flag string) string {
	return "REVIEWER_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Parse parses args, then gives every flag not on the command line its
// variable's value, or its _FILE's content without the trailing newline.
// A variable whose value does not parse is an error, not a silent default.
func (s *settings) Parse(args []string) error {
	s.VisitAll(func(f *flag.Flag) {
		if s.env[f.Name] && !strings.Contains(f.Usage, "(REVIEWER_") {
			f.Usage += " (" + envName(f.Name)
			if s.secret[f.Name] {
				f.Usage += " or " + envName(f.Name) + "_FILE"
			}
			f.Usage += ")"
		}
	})
	if err := s.FlagSet.Parse(args); err != nil {
		return err
	}
	var errs []error
	set := map[string]bool{}
	s.Visit(func(f *flag.Flag) { set[f.Name] = true })
	s.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			s.sources[f.Name] = "flag --" + f.Name
			return
		}
		if !s.env[f.Name] {
			s.sources[f.Name] = "default"
			return
		}
		v, from, err := s.lookup(f.Name)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if from == "" {
			s.sources[f.Name] = "default"
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: invalid value %q for --%s: %v", from, v, f.Name, err))
			return
		}
		s.sources[f.Name] = from
	})
	return errors.Join(errs...)
}

// lookup returns a flag's value from the environment and where it came
// from ("" when from nowhere).
func (s *settings) lookup(name string) (value, from string, err error) {
	key := envName(name)
	v := s.getenv(key)
	if !s.secret[name] {
		if v == "" {
			return "", "", nil
		}
		return v, key, nil
	}
	return secretEnv(s.getenv, key)
}

// secretEnv reads the variable key, or the file its _FILE twin names
// without the trailing newline, and says which it was ("" for neither).
func secretEnv(getenv func(string) string, key string) (value, from string, err error) {
	v, file := getenv(key), getenv(key+"_FILE")
	switch {
	case file == "" && v == "":
		return "", "", nil
	case file == "":
		return v, key, nil
	case v != "":
		return "", "", fmt.Errorf("both %s and %s are set: keep one", key, key+"_FILE")
	}
	b, err := readSecretFile(file)
	if err != nil {
		return "", "", fmt.Errorf("%s_FILE: %w", key, err)
	}
	return strings.TrimRight(string(b), "\r\n"), key + "_FILE=" + file, nil
}

// maxSecretFile bounds a _FILE: the largest secret, a PostgreSQL URL or a
// rotation's few signing secrets, is well under a kilobyte, so a larger
// file was mounted by mistake and is refused rather than read whole into
// memory (a 1 GiB file cost 2 GiB at start).
const maxSecretFile = 64 << 10

// readSecretFile reads a secret file of at most maxSecretFile bytes.
func readSecretFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory: name the file that holds the secret", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d KiB, more than a secret: name the file that holds only the secret", name, maxSecretFile>>10)
	}
	return b, nil
}

// blobStore is the client of a --blobs value, its endpoint and
// credentials from the AWS_* variables (each with a _FILE twin); nil for
// an empty value.
func blobStore(blobs string, getenv func(string) string) (*s3.Client, error) {
	if blobs == "" {
		return nil, nil
	}
	c, err := s3.New(blobs, func(key string) (string, error) {
		v, _, err := secretEnv(getenv, key)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("--blobs: %w", err)
	}
	return c, nil
}

// print writes every setting, its effective value (secrets redacted) and
// where it came from: what `reviewer config` shows.
func (s *settings) print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tVALUE\tFROM")
	s.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(tw, "--%s\t%s\t%s\n", f.Name, s.shown(f), s.sources[f.Name])
	})
	return tw.Flush()
}

// shown is a flag's value as `reviewer config` prints it: a secret as
// whether it is set, a database URL without its password.
func (s *settings) shown(f *flag.Flag) string {
	v := f.Value.String()
	if !s.secret[f.Name] || v == "" {
		return v
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Opaque == "" {
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	if strings.HasPrefix(v, "sqlite:") {
		return v
	}
	return "(set, redacted)"
}
