package review

import "strconv"

// jsonSchema is the part of an extractor's JSON Schema that decides how a
// field is edited. Methods are nil-safe: a missing schema means "infer".
type jsonSchema struct {
	Types        []string
	ExtendType   string
	Description  string
	Enum         []*string
	Descriptions []string
	Properties   map[string]*jsonSchema
	Order        []string // property names in the schema's order
	Items        *jsonSchema
}

func (rd *reader) schema(n *node, path string) *jsonSchema {
	if rd.object(n, path) == nil {
		return nil
	}
	s := &jsonSchema{
		ExtendType:  rd.str(n.get("extend:type"), path+".extend:type"),
		Description: rd.str(n.get("description"), path+".description"),
	}
	if t := n.get("type"); t != nil && t.kind == '[' {
		for i, x := range t.kids {
			s.Types = append(s.Types, rd.str(x, path+".type["+strconv.Itoa(i)+"]"))
		}
	} else {
		s.Types = []string{rd.str(t, path+".type")}
	}
	for _, e := range rd.array(n.get("enum"), path+".enum") {
		if e.isNull() {
			s.Enum = append(s.Enum, nil)
			continue
		}
		v := rd.str(e, path+".enum[]")
		s.Enum = append(s.Enum, &v)
	}
	if d := n.get("extend:descriptions"); d != nil && d.kind == '[' {
		for _, x := range d.kids {
			s.Descriptions = append(s.Descriptions, rd.str(x, path+".extend:descriptions[]"))
		}
	}
	if props := rd.object(n.get("properties"), path+".properties"); props != nil {
		s.Properties = map[string]*jsonSchema{}
		for i, k := range props.keys {
			s.Properties[k] = rd.schema(props.kids[i], path+".properties."+k)
			s.Order = append(s.Order, k)
		}
	}
	s.Items = rd.schema(n.get("items"), path+".items")
	return s
}

func (s *jsonSchema) property(key string) *jsonSchema {
	if s == nil {
		return nil
	}
	return s.Properties[key]
}

func (s *jsonSchema) items() *jsonSchema {
	if s == nil {
		return nil
	}
	return s.Items
}

func (s *jsonSchema) fieldType() FieldType {
	switch s.ExtendType {
	case "date", "currency", "signature":
		return FieldType(s.ExtendType)
	}
	if len(s.Enum) > 0 {
		return TypeEnum
	}
	for _, t := range s.Types {
		switch t {
		case "integer":
			return TypeNumber
		case "string", "number", "boolean", "object", "array":
			return FieldType(t)
		}
	}
	return ""
}

func (s *jsonSchema) nullable() bool {
	for _, t := range s.Types {
		if t == "null" {
			return true
		}
	}
	for _, e := range s.Enum {
		if e == nil {
			return true
		}
	}
	return false
}

func (s *jsonSchema) enumOptions() []EnumOption {
	var opts []EnumOption
	for i, e := range s.Enum {
		o := EnumOption{Value: e}
		if i < len(s.Descriptions) {
			o.Description = s.Descriptions[i]
		}
		opts = append(opts, o)
	}
	return opts
}

// orderBySchema lists an object's keys in the schema's property order, keys
// the schema does not name last, in the order they came.
func orderBySchema(obj *node, s *jsonSchema) []string {
	if s == nil || len(s.Order) == 0 {
		return obj.keys
	}
	out := make([]string, 0, len(obj.keys))
	for _, k := range s.Order {
		if obj.get(k) != nil {
			out = append(out, k)
		}
	}
	for _, k := range obj.keys {
		if s.Properties[k] == nil {
			out = append(out, k)
		}
	}
	return out
}
