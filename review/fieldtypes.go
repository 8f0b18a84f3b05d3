package review

import (
	"encoding/json"
	"slices"
)

// Editor is how the review page edits a field of a type.
type Editor string

// Editors of field types.
const (
	EditText      Editor = "text"      // a line of text, read as the type reads it
	EditChoice    Editor = "choice"    // one of a list (yes or no, an enum's options)
	EditMoney     Editor = "money"     // an amount and a currency code
	EditSignature Editor = "signature" // signed or not, a name, a title and a date
	EditNone      Editor = "none"      // a container: its fields are edited
)

// TypeInfo is what the review page needs to know of a field type: the
// server's view model, its editor templates and the browser's editor all
// read this one table (the page carries it as JSON), so a type is added
// here and nowhere else.
type TypeInfo struct {
	Type        FieldType `json:"type"`
	Editor      Editor    `json:"editor"`
	InputMode   string    `json:"inputMode,omitempty"`   // the keyboard a phone shows (HTML inputmode)
	Placeholder string    `json:"placeholder,omitempty"` // shown in an empty text editor
	Picks       bool      `json:"picks"`                 // text picked from the document is its value
}

// fieldTypes is the table; text first, which is how a type Extend adds
// later is edited.
var fieldTypes = []TypeInfo{
	{Type: TypeString, Editor: EditText, Placeholder: "empty", Picks: true},
	{Type: TypeNumber, Editor: EditText, InputMode: "decimal", Placeholder: "empty", Picks: true},
	{Type: TypeDate, Editor: EditText, Placeholder: "YYYY-MM-DD", Picks: true},
	{Type: TypeNull, Editor: EditText, Placeholder: "empty", Picks: true},
	{Type: TypeBoolean, Editor: EditChoice},
	{Type: TypeEnum, Editor: EditChoice},
	{Type: TypeCurrency, Editor: EditMoney},
	{Type: TypeSignature, Editor: EditSignature},
	{Type: TypeArray, Editor: EditNone},
	{Type: TypeObject, Editor: EditNone},
}

// FieldTypes is the table of field types.
func FieldTypes() []TypeInfo { return slices.Clone(fieldTypes) }

// Info is what the table says of t; a type not in it (Extend's set is
// open) is edited as text.
func (t FieldType) Info() TypeInfo {
	for _, ti := range fieldTypes {
		if ti.Type == t {
			return ti
		}
	}
	return fieldTypes[0]
}

// FieldTypesJSON is the table as the review page carries it for its
// scripts.
func FieldTypesJSON() string {
	b, _ := json.Marshal(fieldTypes) // strings and booleans: it cannot fail
	return string(b)
}
