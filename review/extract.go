package review

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// decodeExtract reads an extraction output in either form. The JSON Schema
// form is recognised, as Extend advises, by top-level value and metadata.
func decodeExtract(out, config json.RawMessage) (ExtractForm, []Field, error) {
	if len(out) == 0 || string(out) == "null" {
		return FormSchema, nil, nil
	}
	top, err := members(out)
	if err != nil {
		return "", nil, Errorf(EINVALID, "output is not an object: %v", err)
	}
	if v, m := lookup(top, "value"), lookup(top, "metadata"); v != nil && m != nil {
		fields, err := decodeSchemaOutput(v, m, schemaOf(config))
		return FormSchema, fields, err
	}
	fields, err := decodeFieldMap(top)
	return FormFieldMap, fields, err
}

// member is one key and value of a JSON object, kept in document order
// because reviewers expect fields in the order the model gave them.
type member struct {
	Key   string
	Value json.RawMessage
}

func members(raw json.RawMessage) ([]member, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, Errorf(EINVALID, "not a JSON object")
	}
	var ms []member
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, Errorf(EINVALID, "%s", jsonProblem(err))
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, Errorf(EINVALID, "%s", jsonProblem(err))
		}
		ms = append(ms, member{Key: t.(string), Value: v})
	}
	return ms, nil
}

func lookup(ms []member, key string) json.RawMessage {
	for _, m := range ms {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// --- legacy field map ---

type legacyField struct {
	ID         string          `json:"id"`
	Type       FieldType       `json:"type"`
	Value      json.RawMessage `json:"value"`
	Confidence *float64        `json:"confidence"`
	Insights   []Insight       `json:"insights"`
	References []struct {
		ID            json.RawMessage `json:"id"`
		Page          int             `json:"page"`
		BoundingBoxes []Rect          `json:"boundingBoxes"`
	} `json:"references"`
	Enum   []EnumOption   `json:"enum"`
	Schema []legacySchema `json:"schema"`
}

type legacySchema struct {
	FieldName   string         `json:"fieldName"`
	Type        FieldType      `json:"type"`
	Description string         `json:"description"`
	Schema      []legacySchema `json:"schema"`
}

func decodeFieldMap(top []member) ([]Field, error) {
	var fields []Field
	for _, m := range top {
		var lf legacyField
		if err := json.Unmarshal(m.Value, &lf); err != nil {
			return nil, Errorf(EINVALID, "field %s: %s", m.Key, jsonProblem(err))
		}
		root := Field{
			Path:     m.Key,
			Name:     m.Key,
			Type:     lf.Type,
			Nullable: true,
			Value:    orNull(lf.Value),
			Insights: lf.Insights,
			Enum:     lf.Enum,
		}
		if root.Type == "" {
			root.Type = inferType(root.Value)
		}
		root.Confidence.Score = lf.Confidence
		rows := map[int][]Ref{}
		for _, ref := range lf.References {
			var refs []Ref
			for _, b := range ref.BoundingBoxes {
				refs = append(refs, Ref{Kind: RefBox, Page: ref.Page, HasBox: true, Rect: b})
			}
			if len(refs) == 0 && ref.Page > 0 {
				refs = append(refs, Ref{Kind: RefBox, Page: ref.Page})
			}
			// In arrays a reference's id is the row it belongs to.
			if row, err := strconv.Atoi(scalarString(ref.ID)); err == nil && root.Type == TypeArray {
				rows[row] = append(rows[row], refs...)
				continue
			}
			root.Refs = append(root.Refs, refs...)
		}
		fields = append(fields, root)
		fields = append(fields, legacyChildren(root, lf.Schema, rows)...)
	}
	return fields, nil
}

// legacyChildren expands array rows and object members of a legacy field,
// typing them by the field's schema where it has one.
func legacyChildren(parent Field, schema []legacySchema, rows map[int][]Ref) []Field {
	var out []Field
	switch parent.Type {
	case TypeArray:
		var items []json.RawMessage
		if json.Unmarshal(parent.Value, &items) != nil {
			return nil
		}
		for i, item := range items {
			row := Field{
				Path:  parent.Path + "[" + strconv.Itoa(i) + "]",
				Name:  "[" + strconv.Itoa(i) + "]",
				Depth: parent.Depth + 1,
				Type:  inferType(item),
				Value: item,
				Refs:  rows[i],
			}
			out = append(out, row)
			out = append(out, legacyChildren(row, schema, nil)...)
		}
	case TypeObject:
		ms, err := members(parent.Value)
		if err != nil {
			return nil
		}
		for _, s := range schema {
			out = append(out, legacyMember(parent, s.FieldName, lookup(ms, s.FieldName), s))
		}
		for _, m := range ms {
			if !hasSchema(schema, m.Key) {
				out = append(out, legacyMember(parent, m.Key, m.Value, legacySchema{}))
			}
		}
	}
	return out
}

func legacyMember(parent Field, key string, value json.RawMessage, s legacySchema) Field {
	value = orNull(value)
	f := Field{
		Path:        parent.Path + "." + key,
		Name:        key,
		Depth:       parent.Depth + 1,
		Type:        s.Type,
		Nullable:    true,
		Description: s.Description,
		Value:       value,
	}
	if f.Type == "" || f.Type == TypeNull {
		f.Type = inferType(value)
	}
	return f
}

func hasSchema(schema []legacySchema, key string) bool {
	for _, s := range schema {
		if s.FieldName == key {
			return true
		}
	}
	return false
}

// --- JSON Schema form ---

type metadataJSON struct {
	OCRConfidence      *float64       `json:"ocrConfidence"`
	LogprobsConfidence *float64       `json:"logprobsConfidence"`
	ReviewAgentScore   *float64       `json:"reviewAgentScore"`
	Citations          []citationJSON `json:"citations"`
	Insights           []Insight      `json:"insights"`
}

// citationJSON accepts both versions: 2026 page {number,width,height},
// 2025 page as a number with pageWidth/pageHeight beside it.
type citationJSON struct {
	Page          json.RawMessage `json:"page"`
	PageWidth     float64         `json:"pageWidth"`
	PageHeight    float64         `json:"pageHeight"`
	FileID        string          `json:"fileId"`
	Polygon       []Point         `json:"polygon"`
	ReferenceText string          `json:"referenceText"`
}

func (c citationJSON) ref() (Ref, error) {
	r := Ref{Kind: RefCitation, FileID: c.FileID, Text: c.ReferenceText, PageWidth: c.PageWidth, PageHeight: c.PageHeight}
	if len(c.Page) > 0 && c.Page[0] == '{' {
		var p pageJSON
		if err := json.Unmarshal(c.Page, &p); err != nil {
			return r, Errorf(EINVALID, "citation page: %s", jsonProblem(err))
		}
		r.Page, r.PageWidth, r.PageHeight = p.Number, p.Width, p.Height
	} else if len(c.Page) > 0 && string(c.Page) != "null" {
		if err := json.Unmarshal(c.Page, &r.Page); err != nil {
			return r, Errorf(EINVALID, "citation page: %s", jsonProblem(err))
		}
	}
	r.Rect, r.HasBox = bounds(c.Polygon)
	return r, nil
}

func decodeSchemaOutput(value, metadata json.RawMessage, schema *jsonSchema) ([]Field, error) {
	var meta map[string]metadataJSON
	if string(metadata) != "null" {
		if err := json.Unmarshal(metadata, &meta); err != nil {
			return nil, Errorf(EINVALID, "metadata: %s", jsonProblem(err))
		}
	}
	ms, err := members(value)
	if err != nil {
		return nil, Errorf(EINVALID, "value is not an object")
	}
	w := schemaWalker{meta: meta}
	for _, m := range orderBySchema(ms, schema) {
		if err := w.walk(m.Key, m.Key, 0, m.Value, schema.property(m.Key)); err != nil {
			return nil, err
		}
	}
	return w.fields, nil
}

type schemaWalker struct {
	meta   map[string]metadataJSON
	fields []Field
}

func (w *schemaWalker) walk(path, name string, depth int, value json.RawMessage, s *jsonSchema) error {
	value = orNull(value)
	f := Field{Path: path, Name: name, Depth: depth, Value: value, Nullable: true}
	if s != nil {
		f.Type, f.Nullable, f.Enum, f.Description = s.fieldType(), s.nullable(), s.enumOptions(), s.Description
	}
	if f.Type == "" {
		f.Type = inferType(value)
	}
	if m, ok := w.meta[path]; ok {
		f.Confidence = Confidence{OCR: m.OCRConfidence, Logprobs: m.LogprobsConfidence, ReviewAgent: m.ReviewAgentScore}
		f.Insights = m.Insights
		for _, c := range m.Citations {
			r, err := c.ref()
			if err != nil {
				return Errorf(EINVALID, "metadata[%s]: %v", path, err)
			}
			f.Refs = append(f.Refs, r)
		}
	}
	w.fields = append(w.fields, f)
	switch f.Type {
	case TypeObject:
		ms, err := members(value)
		if err != nil {
			return nil // null or not an object: nothing below it
		}
		for _, m := range orderBySchema(ms, s) {
			if err := w.walk(path+"."+m.Key, m.Key, depth+1, m.Value, s.property(m.Key)); err != nil {
				return err
			}
		}
	case TypeArray:
		var items []json.RawMessage
		if json.Unmarshal(value, &items) != nil {
			return nil
		}
		for i, item := range items {
			idx := "[" + strconv.Itoa(i) + "]"
			if err := w.walk(path+idx, idx, depth+1, item, s.items()); err != nil {
				return err
			}
		}
	}
	return nil
}

// inferType guesses a field's type from its value, for outputs without a
// schema. Extend's composite types are recognised by their members.
func inferType(v json.RawMessage) FieldType {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return TypeNull
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil && isISODate(s) {
			return TypeDate
		}
		return TypeString
	case 't', 'f':
		return TypeBoolean
	case 'n':
		return TypeNull
	case '[':
		return TypeArray
	case '{':
		ms, _ := members(v)
		switch {
		case lookup(ms, "iso_4217_currency_code") != nil && lookup(ms, "amount") != nil:
			return TypeCurrency
		case lookup(ms, "is_signed") != nil:
			return TypeSignature
		}
		return TypeObject
	}
	return TypeNumber
}

func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(v)) == 0 {
		return json.RawMessage("null")
	}
	return v
}
