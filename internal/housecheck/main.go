// Command housecheck proves the house's first rule: a write is a desk
// method. It reads package storage's source and takes as its writes every
// method of *storage.Store that uses the writer (s.w or s.write, or a
// channel to it), itself or through another such method. Then it type-checks the adapters (web,
// web/live, ingest, outbound and the command line) and fails on any call,
// outside tests, of a storage write: on *storage.Store itself, or through
// an interface whose method has the same name and signature as the
// storage write (web.Store, ingest.Store, …). The few writes that are the
// adapters' own bookkeeping, not a use-case, are listed in allowed below,
// each with why. It fails too on an adapter's call of a storage read that
// only a desk method may make (desksOwn: the account with its password
// hash, which is for desk.SignIn to decide on). It also holds the edges
// the house draws between packages (imports below): views import only
// review, web reaches documents through the Pages and Contents it
// declares, and storage hashes no password (desk does); and the packages only a few may import (guarded below), by
// their directory, tests included: the unchecked PDFium build is the
// bench's alone. `make lint` runs it: go run ./internal/housecheck.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

const module = "github.com/reviewer-app/reviewer"

// adapters are the packages that must write, and read what the desk
// decides on, through desk.
var adapters = []string{"./web/...", "./ingest", "./outbound", "./cmd/reviewer"}

// allowed are the storage writes adapters make themselves: the state of
// the adapter's own machinery, which no use-case decides.
var allowed = map[string]string{
	"SetResolved":   "ingest keeps a signed-URL payload it fetched, so a retry does not fetch it again",
	"FailEvent":     "ingest marks an event it could not apply, with the reason",
	"FileFailed":    "ingest notes a failed download and when to retry",
	"Attempt":       "the outbound worker notes what a destination answered, and when to retry",
	"TouchSession":  "the idle timeout's clock",
	"URLKey":        "the key of signed file URLs, made on first use",
	"UseToken":      "an API token's last use",
	"FailSignIn":    "the sign-in limiter counts a failed attempt",
	"ForgetSignIns": "the sign-in limiter forgets an address that signed in",
	"SetViewers":    "who has a run open here, for the presence dots",
	"KeepViewers":   "this instance's viewers kept alive, or dropped when it stops",
	"Close":         "closing the store writes nothing anyone decided",
	"MigrateBlobs":  "the operator's move of documents into S3: where bytes are kept, not what anyone decided",
}

// desksOwn are storage reads no adapter makes itself: what they return
// is for a desk method to decide on, named here with why.
var desksOwn = map[string]string{
	"Account":     "the account with its password hash: desk.SignIn decides a sign-in",
	"SessionKeys": "the cookie keys: desk.SessionKeys makes the first pair on first use",
}

// edge is, for a package of this module, the packages of the module it
// must not import outside its tests, and why; "*" refuses every one but
// those in keep. A package is named by its top directory (web/live is web).
type edge struct {
	pkg, why     string
	refuse, keep []string
}

// imports are the edges the house draws.
var imports = []edge{
	{pkg: "views", why: "views draw review's types and their own view models, which web builds",
		refuse: []string{"*"}, keep: []string{"review", "views"}},
	{pkg: "web", why: "web reaches documents through the Pages and Contents it declares; instance wires package pages",
		refuse: []string{"pages", "content"}},
	{pkg: "storage", why: "storage keeps the hash desk made of a password; no password reaches it to hash",
		refuse: []string{"passwords"}},
}

// guard is a package of the module that only the packages in the
// directories named (and the package's own tests) may import, in any file,
// tests included, and why.
type guard struct {
	pkg, why  string
	importers []string
}

// guarded are the packages the product must not import: named by their
// directory, not their top one, so cmd/bench is not cmd/reviewer.
var guarded = []guard{
	{pkg: "internal/pdfiumcheck", importers: []string{"cmd/bench", "pages"},
		why: "it starts PDFium without its termination checks, the bench's baseline: only the bench turns them off, and pages reads whether it did"},
}

func main() {
	bad, err := check(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "housecheck:", err)
		os.Exit(2)
	}
	for _, b := range bad {
		fmt.Println(b)
	}
	if len(bad) > 0 {
		fmt.Printf("%d storage writes or desk's reads outside desk, or imports across the house's edges\n", len(bad))
		os.Exit(1)
	}
}

// check answers each call of a storage write in the adapters under dir.
func check(dir string) ([]string, error) {
	mode := packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo
	storage, err := packages.Load(&packages.Config{Mode: mode, Dir: dir}, "./storage")
	if err != nil {
		return nil, err
	}
	if packages.PrintErrors(storage) > 0 {
		return nil, fmt.Errorf("storage does not compile")
	}
	writes, methods := storageWrites(storage[0])
	for name := range allowed {
		if _, ok := writes[name]; !ok {
			return nil, fmt.Errorf("%s is allowed but is no storage write: take it off the list", name)
		}
	}
	for name := range desksOwn {
		if _, ok := methods[name]; !ok {
			return nil, fmt.Errorf("%s is the desk's to read but is no storage method: take it off the list", name)
		}
	}
	pkgs, err := packages.Load(&packages.Config{Mode: mode, Dir: dir}, adapters...)
	if err != nil {
		return nil, err
	}
	if packages.PrintErrors(pkgs) > 0 {
		return nil, fmt.Errorf("the adapters do not compile")
	}
	var bad []string
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			name := p.Fset.Position(f.Pos()).Filename
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				fn, ok := p.TypesInfo.Uses[sel.Sel].(*types.Func)
				if !ok || allowed[fn.Name()] != "" {
					return true
				}
				pos := p.Fset.Position(sel.Pos())
				rel, _ := filepath.Rel(mustAbs(dir), pos.Filename)
				if sig, ok := writes[fn.Name()]; ok && callsStorage(fn, sig) {
					bad = append(bad, fmt.Sprintf("%s:%d: %s writes to storage directly", rel, pos.Line, fn.Name()))
				}
				if why, ok := desksOwn[fn.Name()]; ok && callsStorage(fn, methods[fn.Name()]) {
					bad = append(bad, fmt.Sprintf("%s:%d: %s reads what the desk decides on (%s)", rel, pos.Line, fn.Name(), why))
				}
				return true
			})
		}
	}
	edges, err := crossings(dir)
	if err != nil {
		return nil, err
	}
	bad = append(bad, edges...)
	kept, err := guardedImports(dir)
	if err != nil {
		return nil, err
	}
	bad = append(bad, kept...)
	slices.Sort(bad)
	return slices.Compact(bad), nil
}

// crossings answers each import, outside tests, that imports refuses.
func crossings(dir string) ([]string, error) {
	var patterns []string
	for _, rule := range imports {
		patterns = append(patterns, "./"+rule.pkg+"/...")
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax, Dir: dir}, patterns...)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, p := range pkgs {
		own, _ := strings.CutPrefix(p.PkgPath, module+"/")
		own, _, _ = strings.Cut(own, "/")
		i := slices.IndexFunc(imports, func(e edge) bool { return e.pkg == own })
		if i < 0 {
			continue
		}
		rule := imports[i]
		for _, f := range p.Syntax {
			for _, spec := range f.Imports {
				path := strings.Trim(spec.Path.Value, "\"")
				inner, ok := strings.CutPrefix(path, module+"/")
				if !ok {
					continue
				}
				top, _, _ := strings.Cut(inner, "/")
				if slices.Contains(rule.refuse, top) || (slices.Contains(rule.refuse, "*") && !slices.Contains(rule.keep, top)) {
					pos := p.Fset.Position(spec.Pos())
					rel, _ := filepath.Rel(mustAbs(dir), pos.Filename)
					bad = append(bad, fmt.Sprintf("%s:%d: %s imports %s: %s", rel, pos.Line, rule.pkg, inner, rule.why))
				}
			}
		}
	}
	return bad, nil
}

// guardedImports answers each import of a guarded package by a Go file
// under dir, tests and every build tag included, outside the directories
// it names.
func guardedImports(dir string) ([]string, error) {
	var bad []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir // as the go command skips them
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		own := filepath.ToSlash(filepath.Dir(rel))
		for _, spec := range f.Imports {
			inner, ok := strings.CutPrefix(strings.Trim(spec.Path.Value, "\""), module+"/")
			if !ok {
				continue
			}
			for _, g := range guarded {
				if inner == g.pkg && own != g.pkg && !slices.Contains(g.importers, own) {
					bad = append(bad, fmt.Sprintf("%s:%d: %s imports %s: %s", filepath.ToSlash(rel), fset.Position(spec.Pos()).Line, own, inner, g.why))
				}
			}
		}
		return nil
	})
	return bad, err
}

// callsStorage reports whether fn, a method called in an adapter, is a
// storage write: a method of *storage.Store, or of an interface with the
// storage write's signature.
func callsStorage(fn *types.Func, storageSig string) bool {
	recv := fn.Signature().Recv()
	if recv == nil {
		return false
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == module+"/storage" && n.Obj().Name() == "Store" {
		return true
	}
	return types.IsInterface(t) && signature(fn) == storageSig
}

// storageWrites maps each write method of *storage.Store to its
// signature, and each exported method, write or read.
func storageWrites(p *packages.Package) (writes, methods map[string]string) {
	bodies := map[string]*ast.FuncDecl{}
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Body != nil && isStore(fd.Recv.List[0].Type) && len(fd.Recv.List[0].Names) == 1 {
				bodies[fd.Name.Name] = fd
			}
		}
	}
	writing := map[string]bool{}
	for changed := true; changed; { // to a fixpoint: a method calling a write writes
		changed = false
		for name, fd := range bodies {
			if !writing[name] && usesWriter(fd, writing) {
				writing[name], changed = true, true
			}
		}
	}
	writes, methods = map[string]string{}, map[string]string{}
	for name, fd := range bodies {
		if !ast.IsExported(name) {
			continue
		}
		methods[name] = signature(p.TypesInfo.Defs[fd.Name].(*types.Func))
		if writing[name] {
			writes[name] = methods[name]
		}
	}
	return writes, methods
}

// isStore reports whether a receiver's type is *Store.
func isStore(e ast.Expr) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "Store"
}

// usesWriter reports whether a method's body uses the receiver's writer
// (s.w, s.write), hands work to it on one of the receiver's channels (the
// webhooks' group commit), or calls one of the writes known so far.
func usesWriter(fd *ast.FuncDecl, writes map[string]bool) bool {
	recv := fd.Recv.List[0].Names[0].Name
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if send, ok := n.(*ast.SendStmt); ok { // hands the write to the writer (the group commit)
			if sel, ok := send.Chan.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == recv {
					found = true
				}
			}
		}
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == recv && (sel.Sel.Name == "w" || sel.Sel.Name == "write" || writes[sel.Sel.Name]) {
				found = true
			}
		}
		return !found
	})
	return found
}

// signature is a method's signature without its receiver, with package
// paths, comparable across packages loaded apart.
func signature(fn *types.Func) string {
	s := fn.Signature()
	return types.TypeString(types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic()), func(p *types.Package) string { return p.Path() })
}

func mustAbs(dir string) string {
	a, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return a
}
