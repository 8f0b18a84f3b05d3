package review

import (
	"encoding/json"
	"strconv"
)

// extract reads an extraction output in either form. The JSON Schema form is
// recognised, as Extend advises, by top-level value and metadata.
func (rd *reader) extract(out, config *node, path string) (ExtractForm, []Field) {
	if rd.object(out, path) == nil {
		return FormSchema, nil
	}
	if v, m := out.get("value"), out.get("metadata"); v != nil && m != nil {
		var schema *jsonSchema
		if cfg := rd.object(config, "config"); cfg != nil {
			schema = rd.schema(cfg.get("schema"), "config.schema")
		}
		w := schemaWalker{rd: rd, meta: rd.object(m, path+".metadata")}
		if rd.object(v, path+".value") != nil {
			for _, k := range orderBySchema(v, schema) {
				w.walk(KeyPath("", k), k, 0, v.get(k), schema.property(k))
			}
		}
		return FormSchema, markUnreadable(w.fields)
	}
	return FormFieldMap, markUnreadable(rd.fieldMap(out, path))
}

// --- legacy field map ---

func (rd *reader) fieldMap(out *node, path string) []Field {
	var fields []Field
	for i, key := range out.keys {
		fn := out.kids[i]
		p := path + "." + key
		if rd.object(fn, p) == nil {
			continue
		}
		value := fn.get("value")
		root := Field{
			Path:     KeyPath("", key),
			Name:     key,
			Type:     FieldType(rd.str(fn.get("type"), p+".type")),
			Nullable: true,
			Value:    value.rawOr(),
			Insights: rd.insights(fn.get("insights"), p+".insights"),
			Enum:     rd.enum(fn.get("enum"), p+".enum"),
		}
		if root.Type == "" {
			root.Type = inferType(value)
		}
		root.Confidence.Score = rd.num(fn.get("confidence"), p+".confidence")
		rows := map[int][]Ref{}
		for j, ref := range rd.array(fn.get("references"), p+".references") {
			rp := p + ".references[" + strconv.Itoa(j) + "]"
			if rd.object(ref, rp) == nil {
				continue
			}
			page := rd.int(ref.get("page"), rp+".page")
			var refs []Ref
			for k, b := range rd.array(ref.get("boundingBoxes"), rp+".boundingBoxes") {
				if rect, ok := rd.rect(b, rp+".boundingBoxes["+strconv.Itoa(k)+"]"); ok {
					refs = append(refs, Ref{Kind: RefBox, Page: page, HasBox: true, Rect: rect})
				}
			}
			if len(refs) == 0 && page > 0 {
				refs = append(refs, Ref{Kind: RefBox, Page: page})
			}
			// In arrays a reference's id is the row it belongs to.
			if row, err := strconv.Atoi(rd.str(ref.get("id"), rp+".id")); err == nil && root.Type.IsList() {
				rows[row] = append(rows[row], refs...)
				continue
			}
			root.Refs = append(root.Refs, refs...)
		}
		fields = append(fields, root)
		fields = append(fields, rd.legacyChildren(root, value, rd.legacySchema(fn.get("schema"), p+".schema"), rows)...)
	}
	return fields
}

type legacySchema struct {
	FieldName   string
	Type        FieldType
	Description string
}

func (rd *reader) legacySchema(n *node, path string) []legacySchema {
	var out []legacySchema
	for i, s := range rd.array(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		if rd.object(s, p) == nil {
			continue
		}
		out = append(out, legacySchema{
			FieldName:   rd.str(s.get("fieldName"), p+".fieldName"),
			Type:        FieldType(rd.str(s.get("type"), p+".type")),
			Description: rd.str(s.get("description"), p+".description"),
		})
	}
	return out
}

func (rd *reader) enum(n *node, path string) []EnumOption {
	var out []EnumOption
	for i, e := range rd.array(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		if rd.object(e, p) == nil {
			continue
		}
		o := EnumOption{Description: rd.str(e.get("description"), p+".description")}
		if v := e.get("value"); !v.isNull() {
			s := rd.str(v, p+".value")
			o.Value = &s
		}
		out = append(out, o)
	}
	return out
}

// legacyChildren expands array rows and object members of a legacy field,
// typing them by the field's schema where it has one.
func (rd *reader) legacyChildren(parent Field, value *node, schema []legacySchema, rows map[int][]Ref) []Field {
	var out []Field
	switch {
	case parent.Type.IsList():
		for i, item := range value.items() {
			idx := "[" + strconv.Itoa(i) + "]"
			row := Field{
				Path:  parent.Path + idx,
				Name:  idx,
				Depth: parent.Depth + 1,
				Type:  inferType(item),
				Value: item.rawOr(),
				Refs:  rows[i],
			}
			out = append(out, row)
			out = append(out, rd.legacyChildren(row, item, schema, nil)...)
		}
	case parent.Type.Container(): // a record
		if value == nil || value.kind != '{' {
			return nil
		}
		for _, s := range schema {
			out = append(out, legacyMember(parent, s.FieldName, value.get(s.FieldName), s))
		}
		for _, k := range value.keys {
			if !hasSchema(schema, k) {
				out = append(out, legacyMember(parent, k, value.get(k), legacySchema{}))
			}
		}
	}
	return out
}

func legacyMember(parent Field, key string, value *node, s legacySchema) Field {
	f := Field{
		Path:        KeyPath(parent.Path, key),
		Name:        key,
		Depth:       parent.Depth + 1,
		Type:        s.Type,
		Nullable:    true,
		Description: s.Description,
		Value:       value.rawOr(),
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

type schemaWalker struct {
	rd     *reader
	meta   *node // output.metadata: PATH → {ocrConfidence, citations, …}
	fields []Field
}

func (w *schemaWalker) walk(path, name string, depth int, value *node, s *jsonSchema) {
	rd := w.rd
	f := Field{Path: path, Name: name, Depth: depth, Value: value.rawOr(), Nullable: true}
	if s != nil {
		f.Type, f.Nullable, f.Enum, f.Description = s.fieldType(), s.nullable(), s.enumOptions(), s.Description
	}
	if f.Type == "" {
		f.Type = inferType(value)
	}
	if m := w.meta.get(path); m != nil {
		mp := "metadata[" + path + "]"
		if rd.object(m, mp) != nil {
			f.Confidence = Confidence{
				OCR:         rd.num(m.get("ocrConfidence"), mp+".ocrConfidence"),
				Logprobs:    rd.num(m.get("logprobsConfidence"), mp+".logprobsConfidence"),
				ReviewAgent: rd.num(m.get("reviewAgentScore"), mp+".reviewAgentScore"),
			}
			f.Insights = rd.insights(m.get("insights"), mp+".insights")
			for i, c := range rd.array(m.get("citations"), mp+".citations") {
				if r, ok := rd.citation(c, mp+".citations["+strconv.Itoa(i)+"]"); ok {
					f.Refs = append(f.Refs, r)
				}
			}
		}
	}
	w.fields = append(w.fields, f)
	switch {
	case f.Type.IsList():
		for i, item := range value.items() {
			idx := "[" + strconv.Itoa(i) + "]"
			w.walk(path+idx, idx, depth+1, item, s.items())
		}
	case f.Type.Container(): // a record
		if value == nil || value.kind != '{' {
			return // null: nothing below it
		}
		for _, k := range orderBySchema(value, s) {
			w.walk(KeyPath(path, k), k, depth+1, value.get(k), s.property(k))
		}
	}
}

// citation reads both versions: 2026 page {number,width,height}, 2025 page
// as a number with pageWidth/pageHeight beside it.
func (rd *reader) citation(c *node, path string) (Ref, bool) {
	if rd.object(c, path) == nil {
		return Ref{}, false
	}
	r := Ref{
		Kind:       RefCitation,
		FileID:     rd.str(c.get("fileId"), path+".fileId"),
		Text:       rd.str(c.get("referenceText"), path+".referenceText"),
		PageWidth:  rd.float(c.get("pageWidth"), path+".pageWidth"),
		PageHeight: rd.float(c.get("pageHeight"), path+".pageHeight"),
	}
	if page := c.get("page"); page != nil && page.kind == '{' {
		r.Page = rd.int(page.get("number"), path+".page.number")
		r.PageWidth = rd.float(page.get("width"), path+".page.width")
		r.PageHeight = rd.float(page.get("height"), path+".page.height")
	} else {
		r.Page = rd.int(page, path+".page")
	}
	r.Rect, r.HasBox = bounds(rd.polygon(c.get("polygon"), path+".polygon"))
	return r, true
}

// inferType guesses a field's type from its value, for outputs without a
// schema. Extend's composite types are recognised by their members.
func inferType(v *node) FieldType {
	switch {
	case v.isNull():
		return TypeNull
	case v.kind == '"':
		if isISODate(unquote(v.raw)) {
			return TypeDate
		}
		return TypeString
	case v.kind == 't' || v.kind == 'f':
		return TypeBoolean
	case v.kind == '[':
		return TypeArray
	case v.kind == '{':
		switch {
		case v.get("iso_4217_currency_code") != nil && v.get("amount") != nil:
			return TypeCurrency
		case v.get("is_signed") != nil:
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

// member is one key and value of a JSON object.
type member struct {
	Key   string
	Value json.RawMessage
}
