// Package static holds reviewer's CSS, JavaScript and images, embedded in the
// binary and served at content-hashed URLs so browsers may cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// Assets maps asset names to content-hashed URLs and serves them.
type Assets struct {
	hashes map[string]string // "css/app.css" → "3f2a9c1d"
}

// New hashes every embedded asset once. The JavaScript modules share one
// hash, of them all: a module's imports then resolve under the same URL
// from every page (one instance of each module, cached for good), and any
// change to any module changes every module's URL.
func New() *Assets {
	a := &Assets{hashes: map[string]string{}}
	js := sha256.New()
	var modules []string
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(p, "js/") {
			js.Write([]byte(p))
			js.Write(b)
			modules = append(modules, p)
			return nil
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	shared := hex.EncodeToString(js.Sum(nil)[:6])
	for _, p := range modules {
		a.hashes[p] = shared
	}
	return a
}

// URL returns the URL of the named asset ("css/app.css"), which changes
// whenever the asset's content does.
func (a *Assets) URL(name string) string {
	h, ok := a.hashes[name]
	if !ok {
		panic("static: no asset " + name) // a typo in a template, caught by any page test
	}
	return "/static/" + h + "/" + name
}

// ServeHTTP serves /static/{hash}/{name}. A hash that is not the current one
// still gets the current content, but without the long cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/static/")
	hash, name, ok := strings.Cut(rest, "/")
	name = path.Clean(name)
	want, known := a.hashes[name]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	if hash == want {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, files, name)
}
