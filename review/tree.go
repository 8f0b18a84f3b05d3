package review

import (
	"encoding/json"
	"strconv"
	"strings"
)

// node is one value of a parsed JSON document. Payloads are parsed into a
// tree once and then read, instead of decoding each level again with
// encoding/json (which re-scans every subtree at every depth). raw is the
// value's bytes in the document, so raw JSON can be kept without copying.
type node struct {
	kind byte // '{' '[' '"' 'n' 't' 'f' or '0' for numbers
	raw  []byte
	keys []string // object members' keys, in document order
	kids []*node  // object members' values or array items
	// index is keys' positions (the last of a repeated key), made on the
	// first look-up of an object of more than indexAbove members: a run's
	// metadata holds an entry for every cell of every row, and each cell's
	// entry is looked up by name.
	index map[string]int
}

// indexAbove is how many members an object may have before its look-ups
// go through an index: scanning a few keys is faster than hashing, while
// scanning 10,000 keys for each of 10,000 cells took most of a long run's
// decoding.
const indexAbove = 16

// parseTree parses a JSON document into nodes.
func parseTree(doc []byte) (*node, error) {
	if !validJSON(doc) {
		var v any
		return nil, Errorf(EINVALID, "%s", jsonProblem(json.Unmarshal(doc, &v)))
	}
	p := treeParser{doc: doc}
	return p.value(skipSpace(doc, 0)), nil
}

type treeParser struct {
	doc   []byte
	pos   int
	arena []node
}

func (p *treeParser) alloc() *node {
	if len(p.arena) == 0 {
		p.arena = make([]node, 64)
	}
	n := &p.arena[0]
	p.arena = p.arena[1:]
	return n
}

// value parses the value at i (the document is known to be valid).
func (p *treeParser) value(i int) *node {
	n := p.alloc()
	doc := p.doc
	n.kind = doc[i]
	start := i
	switch doc[i] {
	case '{':
		i = skipSpace(doc, i+1)
		for doc[i] != '}' {
			if doc[i] == ',' {
				i = skipSpace(doc, i+1)
			}
			kEnd := skipString(doc, i)
			n.keys = append(n.keys, unquote(doc[i:kEnd]))
			i = skipSpace(doc, skipSpace(doc, kEnd)+1)
			v := p.value(i)
			n.kids = append(n.kids, v)
			i = skipSpace(doc, p.pos)
		}
		i++
	case '[':
		i = skipSpace(doc, i+1)
		for doc[i] != ']' {
			if doc[i] == ',' {
				i = skipSpace(doc, i+1)
			}
			v := p.value(i)
			n.kids = append(n.kids, v)
			i = skipSpace(doc, p.pos)
		}
		i++
	case '"':
		i = skipString(doc, i)
	default:
		if n.kind == '-' || (n.kind >= '0' && n.kind <= '9') {
			n.kind = '0'
		}
		i = skipValue(doc, i)
	}
	n.raw = doc[start:i]
	p.pos = i
	return n
}

func unquote(raw []byte) string {
	if len(raw) >= 2 && !strings.ContainsRune(string(raw[1:len(raw)-1]), '\\') {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// get returns the member key of an object (the last, if repeated), or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	if len(n.keys) > indexAbove {
		if n.index == nil {
			n.index = make(map[string]int, len(n.keys))
			for i, k := range n.keys {
				n.index[k] = i
			}
		}
		if i, ok := n.index[key]; ok {
			return n.kids[i]
		}
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.kids[i]
		}
	}
	return nil
}

// isNull reports whether n is missing or JSON null.
func (n *node) isNull() bool { return n == nil || n.kind == 'n' }

func (n *node) items() []*node {
	if n == nil || n.kind != '[' {
		return nil
	}
	return n.kids
}

// rawOr returns n's JSON, or null when n is missing.
func (n *node) rawOr() json.RawMessage {
	if n == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(n.raw)
}

// reader reads typed values out of a tree and keeps the first type error,
// worded with the path of the member that was wrong, so a bad payload gets
// one clear sentence.
type reader struct {
	err error
}

func (r *reader) fail(path, want string, n *node) {
	if r.err == nil {
		got := map[byte]string{'{': "an object", '[': "an array", '"': "a string", 't': "a boolean", 'f': "a boolean", '0': "a number"}[n.kind]
		r.err = Errorf(EINVALID, "%s must be %s, not %s", path, want, got)
	}
}

// str reads an optional string; a number is taken as its text (Extend
// versions "3" and 3 alike).
func (r *reader) str(n *node, path string) string {
	switch {
	case n.isNull():
		return ""
	case n.kind == '"':
		return unquote(n.raw)
	case n.kind == '0':
		return string(n.raw)
	}
	r.fail(path, "a string", n)
	return ""
}

func (r *reader) num(n *node, path string) *float64 {
	if n.isNull() {
		return nil
	}
	if n.kind != '0' {
		r.fail(path, "a number", n)
		return nil
	}
	v, err := strconv.ParseFloat(string(n.raw), 64)
	if err != nil {
		r.fail(path, "a finite number", n)
		return nil
	}
	return &v
}

func (r *reader) float(n *node, path string) float64 {
	if v := r.num(n, path); v != nil {
		return *v
	}
	return 0
}

func (r *reader) int(n *node, path string) int {
	v := r.num(n, path)
	if v == nil {
		return 0
	}
	if *v != float64(int(*v)) {
		r.fail(path, "a whole number", n)
	}
	return int(*v)
}

func (r *reader) boolean(n *node, path string) bool {
	switch {
	case n.isNull():
		return false
	case n.kind == 't' || n.kind == 'f':
		return n.kind == 't'
	}
	r.fail(path, "a boolean", n)
	return false
}

// object checks that n is an object or missing/null.
func (r *reader) object(n *node, path string) *node {
	if n.isNull() {
		return nil
	}
	if n.kind != '{' {
		r.fail(path, "an object", n)
		return nil
	}
	return n
}

// array checks that n is an array or missing/null and returns its items.
func (r *reader) array(n *node, path string) []*node {
	if n.isNull() {
		return nil
	}
	if n.kind != '[' {
		r.fail(path, "an array", n)
		return nil
	}
	return n.kids
}

func (r *reader) insights(n *node, path string) []Insight {
	var out []Insight
	for i, it := range r.array(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		if r.object(it, p) == nil {
			continue
		}
		out = append(out, Insight{Type: r.str(it.get("type"), p+".type"), Content: r.str(it.get("content"), p+".content")})
	}
	return out
}

func (r *reader) rect(n *node, path string) (Rect, bool) {
	if r.object(n, path) == nil {
		return Rect{}, false
	}
	return Rect{
		Left:   r.float(n.get("left"), path+".left"),
		Top:    r.float(n.get("top"), path+".top"),
		Right:  r.float(n.get("right"), path+".right"),
		Bottom: r.float(n.get("bottom"), path+".bottom"),
	}, true
}

func (r *reader) polygon(n *node, path string) []Point {
	var out []Point
	for i, pt := range r.array(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		if r.object(pt, p) == nil {
			continue
		}
		out = append(out, Point{X: r.float(pt.get("x"), p+".x"), Y: r.float(pt.get("y"), p+".y")})
	}
	return out
}
