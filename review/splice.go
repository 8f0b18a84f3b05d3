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
//
// It scans bytes (doc is valid JSON: a stored run, spliced with checked
// values), decoding nothing but the keys it compares: an edit of a run whose
// citations fill a hundred kilobytes costs a pass over them, not a decoding
// of them, and a review page saves dozens of edits.
func locate(doc json.RawMessage, path []string) (start, end int, found bool, err error) {
	lo, hi := skipSpace(doc, 0), len(doc) // the value reached; its end is known at the last step
	for i, step := range path {
		last := i == len(path)-1
		switch byteAt(doc, lo) {
		case '{':
			j := skipSpace(doc, lo+1)
			hit := false
			for byteAt(doc, j) != '}' {
				if byteAt(doc, j) != '"' {
					return 0, 0, false, Errorf(EINVALID, "splice %v: a key should be at byte %d", path[:i], j)
				}
				ke := skipString(doc, j)
				key := string(doc[j+1 : ke-1])
				if bytes.IndexByte(doc[j:ke], '\\') >= 0 {
					json.Unmarshal(doc[j:ke], &key)
				}
				j = skipSpace(doc, ke)
				if byteAt(doc, j) != ':' {
					return 0, 0, false, Errorf(EINVALID, "splice %v: a colon should be at byte %d", path[:i], j)
				}
				j = skipSpace(doc, j+1)
				if key == step && !last { // its end is not needed: the path goes into it
					lo, hit = j, true
					break
				}
				ve, err := valueEnd(doc, j)
				if err != nil {
					return 0, 0, false, err
				}
				if key == step {
					lo, hi, hit = j, ve, true
					break
				}
				if j, err = next(doc, ve, '}'); err != nil {
					return 0, 0, false, err
				}
			}
			if !hit {
				if !last {
					return 0, 0, false, Errorf(ENOTFOUND, "splice: no %q in %v", step, path[:i])
				}
				return j, j, false, nil
			}
		case '[':
			want, err := strconv.Atoi(step)
			if err != nil {
				return 0, 0, false, Errorf(EINVALID, "splice: %q indexes an array", step)
			}
			j := skipSpace(doc, lo+1)
			hit := false
			for n := 0; byteAt(doc, j) != ']'; n++ {
				if n == want && !last {
					lo, hit = j, true
					break
				}
				ve, err := valueEnd(doc, j)
				if err != nil {
					return 0, 0, false, err
				}
				if n == want {
					lo, hi, hit = j, ve, true
					break
				}
				if j, err = next(doc, ve, ']'); err != nil {
					return 0, 0, false, err
				}
			}
			if !hit {
				return 0, 0, false, Errorf(ENOTFOUND, "splice: index %d out of range in %v", want, path[:i])
			}
		default:
			return 0, 0, false, Errorf(ENOTFOUND, "splice: %v is not an object or array", path[:i])
		}
	}
	return lo, hi, true, nil
}

// valueEnd returns the offset just past the value starting at i.
func valueEnd(doc []byte, i int) (int, error) {
	if i >= len(doc) {
		return 0, Errorf(EINVALID, "splice: a value should be at byte %d", i)
	}
	return skipValue(doc, i), nil
}

// byteAt is doc[i], or 0 past its end.
func byteAt(doc []byte, i int) byte {
	if i < len(doc) {
		return doc[i]
	}
	return 0
}

// next steps over the comma after a member or item ending at i, to the next
// one, or stays on the closing bracket.
func next(doc []byte, i int, closing byte) (int, error) {
	i = skipSpace(doc, i)
	switch byteAt(doc, i) {
	case ',':
		return skipSpace(doc, i+1), nil
	case closing:
		return i, nil
	}
	return 0, Errorf(EINVALID, "splice: a comma or %q should be at byte %d", closing, i)
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
