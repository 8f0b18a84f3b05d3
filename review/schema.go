package review

import "encoding/json"

// jsonSchema is the part of an extractor's JSON Schema that decides how a
// field is edited. Methods are nil-safe: a missing schema means "infer".
type jsonSchema struct {
	Type         json.RawMessage        `json:"type"`
	ExtendType   string                 `json:"extend:type"`
	Description  string                 `json:"description"`
	Enum         []*string              `json:"enum"`
	Descriptions []string               `json:"extend:descriptions"`
	Properties   map[string]*jsonSchema `json:"properties"`
	Order        []string               `json:"-"`
	Items        *jsonSchema            `json:"items"`
}

func (s *jsonSchema) UnmarshalJSON(b []byte) error {
	type plain jsonSchema
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	var raw struct {
		Properties json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(b, &raw) == nil && len(raw.Properties) > 0 {
		if ms, err := members(raw.Properties); err == nil {
			for _, m := range ms {
				s.Order = append(s.Order, m.Key)
			}
		}
	}
	return nil
}

// schemaOf finds the JSON Schema in an extractor's config ({"schema": …}).
func schemaOf(config json.RawMessage) *jsonSchema {
	var c struct {
		Schema *jsonSchema `json:"schema"`
	}
	if len(config) == 0 || json.Unmarshal(config, &c) != nil {
		return nil
	}
	return c.Schema
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

func (s *jsonSchema) types() []string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(s.Type, &many)
	return many
}

func (s *jsonSchema) fieldType() FieldType {
	switch s.ExtendType {
	case "date", "currency", "signature":
		return FieldType(s.ExtendType)
	}
	if len(s.Enum) > 0 {
		return TypeEnum
	}
	for _, t := range s.types() {
		switch t {
		case "null":
			continue
		case "integer":
			return TypeNumber
		case "string", "number", "boolean", "object", "array":
			return FieldType(t)
		}
	}
	return ""
}

func (s *jsonSchema) nullable() bool {
	for _, t := range s.types() {
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

// orderBySchema puts an object's members in the schema's property order,
// members the schema does not name last, in the order they came.
func orderBySchema(ms []member, s *jsonSchema) []member {
	if s == nil || len(s.Order) == 0 {
		return ms
	}
	out := make([]member, 0, len(ms))
	for _, k := range s.Order {
		if v := lookup(ms, k); v != nil {
			out = append(out, member{k, v})
		}
	}
	for _, m := range ms {
		if s.Properties[m.Key] == nil {
			out = append(out, m)
		}
	}
	return out
}
