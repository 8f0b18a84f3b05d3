package review

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Splice returns doc with the value at path replaced by value, leaving every
// other byte of doc as it was, so a run written back keeps Extend's exact
// shape, member order and number spelling. Path elements are object keys or,
// inside arrays, decimal indexes. A missing last key is added to its object.
func Splice(doc json.RawMessage, path []string, value json.RawMessage) (json.RawMessage, error) {
	if len(path) == 0 {
		return value, nil
	}
	start, end, found, err := locate(doc, path)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(doc) + len(value) + len(path[len(path)-1]) + 8)
	out.Write(doc[:start])
	if !found {
		// start is the closing brace of the object that lacks the key.
		key, _ := json.Marshal(path[len(path)-1])
		if !emptyBefore(doc, start) {
			out.WriteByte(',')
		}
		out.Write(key)
		out.WriteByte(':')
	}
	out.Write(value)
	out.Write(doc[end:])
	return out.Bytes(), nil
}

// At returns the value at path in doc.
func At(doc json.RawMessage, path []string) (json.RawMessage, bool) {
	start, end, found, err := locate(doc, path)
	if err != nil || !found {
		return nil, false
	}
	return doc[start:end], true
}

// locate finds the byte range of the value at path. When only the last key
// is missing, found is false and start = end = the offset of the closing
// brace of the object that should hold it.
func locate(doc json.RawMessage, path []string) (start, end int, found bool, err error) {
	base := 0
	for i, step := range path {
		d := json.NewDecoder(bytes.NewReader(doc[base:]))
		t, err := d.Token()
		if err != nil {
			return 0, 0, false, Errorf(EINVALID, "splice %v: %s", path[:i], jsonProblem(err))
		}
		last := i == len(path)-1
		switch t {
		case json.Delim('{'):
			hit := false
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return 0, 0, false, Errorf(EINVALID, "splice: %s", jsonProblem(err))
				}
				var v json.RawMessage
				if err := d.Decode(&v); err != nil {
					return 0, 0, false, Errorf(EINVALID, "splice: %s", jsonProblem(err))
				}
				if k == step {
					e := base + int(d.InputOffset())
					start, end, hit = e-len(v), e, true
					break
				}
			}
			if !hit {
				if !last {
					return 0, 0, false, Errorf(ENOTFOUND, "splice: no %q in %v", step, path[:i])
				}
				d.Token() // the closing brace
				e := base + int(d.InputOffset()) - 1
				return e, e, false, nil
			}
		case json.Delim('['):
			want, err := strconv.Atoi(step)
			if err != nil {
				return 0, 0, false, Errorf(EINVALID, "splice: %q indexes an array", step)
			}
			hit := false
			for n := 0; d.More(); n++ {
				var v json.RawMessage
				if err := d.Decode(&v); err != nil {
					return 0, 0, false, Errorf(EINVALID, "splice: %s", jsonProblem(err))
				}
				if n == want {
					e := base + int(d.InputOffset())
					start, end, hit = e-len(v), e, true
					break
				}
			}
			if !hit {
				return 0, 0, false, Errorf(ENOTFOUND, "splice: index %d out of range in %v", want, path[:i])
			}
		default:
			return 0, 0, false, Errorf(ENOTFOUND, "splice: %v is not an object or array", path[:i])
		}
		base = start
		doc = doc[:end]
	}
	return start, end, true, nil
}

// emptyBefore reports whether only whitespace separates the closing brace at
// i from its object's opening brace.
func emptyBefore(doc []byte, i int) bool {
	j := i - 1
	for j >= 0 && (doc[j] == ' ' || doc[j] == '\n' || doc[j] == '\t' || doc[j] == '\r') {
		j--
	}
	return j >= 0 && doc[j] == '{'
}

// Len returns how many items a JSON array holds; 0 for anything else.
func Len(doc json.RawMessage) int {
	d := json.NewDecoder(bytes.NewReader(doc))
	if t, err := d.Token(); err != nil || t != json.Delim('[') {
		return 0
	}
	n := 0
	for d.More() {
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return n
		}
		n++
	}
	return n
}

// CountValues returns how many JSON values and object keys doc holds,
// nested ones included, counting no further than limit.
func CountValues(doc json.RawMessage, limit int) int {
	d := json.NewDecoder(bytes.NewReader(doc))
	n := 0
	for n < limit {
		t, err := d.Token()
		if err != nil {
			return n
		}
		if delim, ok := t.(json.Delim); ok && (delim == '}' || delim == ']') {
			continue
		}
		n++
	}
	return n
}
