package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Editor is how the review page edits a field of a type. The page writes it
// on each editor (data-editor), which is all the browser knows of types.
type Editor string

// Editors of field types.
const (
	EditText      Editor = "text"      // a line of text, read as the type reads it
	EditChoice    Editor = "choice"    // one of a list (yes or no, an enum's options)
	EditMoney     Editor = "money"     // an amount and a currency code
	EditSignature Editor = "signature" // signed or not, a name, a title and a date
	EditNone      Editor = "none"      // a container: its fields are edited
)

// TypeInfo is what reviewer knows of a field type: how the review page
// edits and shows it and how an edit becomes a value of it. The view model,
// the editor templates, the browser (through what the page writes) and the
// desk's edits all read this one table, so a type is added here and
// nowhere else. Values are compared by meaning whatever their type
// (SameValue) and read as text by Text.
type TypeInfo struct {
	Type        FieldType
	Editor      Editor
	InputMode   string // the keyboard a phone shows (HTML inputmode)
	Placeholder string // shown in an empty text editor
	Picks       bool   // text picked from the document is its value
	Wraps       bool   // in a grid cell, its text wraps onto the lines it needs
	List        bool   // its value is a list of rows: rows are added, removed and moved
	Column      string // the width of a grid's column of its cells (CSS); "": a share of what fixed columns leave

	// parse reads typed text that is not empty (and a currency code for
	// money) as a value; alternative is another reading of it. Nil: the
	// text as it was typed is the value.
	parse func(f *Field, text, code string) (value json.RawMessage, alternative string, err error)
	// check says what is wrong with a value that is not null; "" when
	// nothing is. Nil: any value.
	check func(f Field, raw json.RawMessage) string
	// normalise writes a value sent whole (not typed) as the type keeps it.
	normalise func(raw json.RawMessage) (json.RawMessage, error)
	// show fills in what the type's editor shows beyond the text.
	show func(f Field, s *Shown)
}

// fieldTypes is the table.
var fieldTypes = []TypeInfo{
	{Type: TypeString, Editor: EditText, Placeholder: "empty", Picks: true, Wraps: true, check: mustBeText},
	{Type: TypeNumber, Editor: EditText, InputMode: "decimal", Placeholder: "empty", Picks: true, Column: "5.5em", parse: parseNumber, check: checkNumber},
	{Type: TypeDate, Editor: EditText, Placeholder: "YYYY-MM-DD", Picks: true, Column: "7.5em", parse: parseDate, check: checkDate},
	{Type: TypeNull, Editor: EditText, Placeholder: "empty", Picks: true, check: mustBeText},
	{Type: TypeBoolean, Editor: EditChoice, Column: "8em", parse: parseYesNo, check: checkBoolean, show: showYesNo},
	{Type: TypeEnum, Editor: EditChoice, Column: "8em", parse: parseOption, check: checkOption, show: showOptions},
	{Type: TypeCurrency, Editor: EditMoney, Column: "10em", parse: parseMoney, check: checkMoney, show: showMoney},
	{Type: TypeSignature, Editor: EditSignature, check: checkSignature, normalise: normaliseSignature, show: showSignature},
	{Type: TypeArray, Editor: EditNone, List: true, check: mustStart('[', "a list")},
	{Type: TypeObject, Editor: EditNone, check: mustStart('{', "an object")},
}

// FieldTypes is the table of field types.
func FieldTypes() []TypeInfo { return slices.Clone(fieldTypes) }

// Info is what the table says of t. A type not in it (Extend's set is
// open) is edited as text and its values are kept as they come.
func (t FieldType) Info() TypeInfo {
	for _, ti := range fieldTypes {
		if ti.Type == t {
			return ti
		}
	}
	return TypeInfo{Type: t, Editor: EditText, Placeholder: "empty", Picks: true}
}

// Container reports whether fields of type t hold other fields.
func (t FieldType) Container() bool { return t.Info().Editor == EditNone }

// IsList reports whether a value of type t is a list of rows.
func (t FieldType) IsList() bool { return t.Info().List }

// ParseText turns what a reviewer typed into a value of f's type: numbers
// exactly as typed (never through a float, decimal commas understood),
// dates read one way for everyone (alternative is the other reading of an
// ambiguous date), yes/no, an option, an amount with its currency code
// (given apart, or after the amount as the page shows it: "4.11 USD").
// Empty text is null.
func ParseText(f *Field, text, code string) (value json.RawMessage, alternative string, err error) {
	parse := f.Type.Info().parse
	if parse == nil {
		return jsonOf(text), "", nil
	}
	if strings.TrimSpace(text) == "" && strings.TrimSpace(code) == "" {
		return json.RawMessage("null"), "", nil
	}
	return parse(f, strings.TrimSpace(text), code)
}

// NormaliseValue writes a value sent whole for f (not typed) as its type
// keeps it: a signature's date as YYYY-MM-DD, read from the way it was
// typed.
func NormaliseValue(f *Field, raw json.RawMessage) (json.RawMessage, error) {
	if n := f.Type.Info().normalise; n != nil {
		return n(raw)
	}
	return raw, nil
}

// CheckValue checks a new value for a field and returns it in canonical
// JSON: numbers exactly as typed (never through a float), dates as
// YYYY-MM-DD. null is accepted for nullable fields.
func CheckValue(f Field, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return nil, Errorf(EINVALID, "%s: the value is not JSON", f.Path)
	}
	if string(raw) == "null" {
		return raw, nil // every Extend field may be empty
	}
	if n, ok := OversizedNumber(raw); ok {
		return nil, Errorf(EINVALID, "%s: %s is not a number an invoice holds: write it with %s.", f.Path, n, numberBounds)
	}
	if check := f.Type.Info().check; check != nil {
		if why := check(f, raw); why != "" {
			return nil, Errorf(EINVALID, "%s: %s", f.Path, why)
		}
	}
	var buf bytes.Buffer
	json.Compact(&buf, raw)
	return buf.Bytes(), nil
}

// Shown is a field's value as its type's editor shows it.
type Shown struct {
	Text    string   // the value as text
	Null    bool     // the value is empty
	Choices []Choice // a choice's options; a money editor's currency codes
	Amount  string   // money
	Code    string
	Sig     SignatureParts
}

// Choice is an option an editor offers.
type Choice struct {
	Value, Label string
	Selected     bool
}

// SignatureParts are a signature's parts as its editor shows them.
type SignatureParts struct {
	Signed            string // "true", "false" or ""
	Name, Title, Date string
}

// Show is f's value as its type's editor shows it.
func (f Field) Show() Shown {
	s := Shown{Text: Text(f.Value), Null: string(f.Value) == "null"}
	if show := f.Type.Info().show; show != nil {
		show(f, &s)
	}
	return s
}

func mustBeText(_ Field, raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "must be text"
	}
	return ""
}

// mustStart is the check of a container: its value opens with open.
func mustStart(open byte, what string) func(Field, json.RawMessage) string {
	return func(_ Field, raw json.RawMessage) string {
		if raw[0] != open {
			return "must be " + what
		}
		return ""
	}
}

func parseNumber(_ *Field, text, _ string) (json.RawMessage, string, error) {
	n, err := ParseNumber(text)
	return json.RawMessage(n), "", err
}

func checkNumber(_ Field, raw json.RawMessage) string {
	if raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' {
		return "must be a number"
	}
	return ""
}

func parseDate(_ *Field, text, _ string) (json.RawMessage, string, error) {
	d, err := ParseDate(text)
	if err != nil {
		return nil, "", err
	}
	return jsonOf(d.ISO), d.Alternative, nil
}

func checkDate(_ Field, raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil || !isISODate(s) {
		return "must be a date written YYYY-MM-DD"
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return s + " is not a day of the calendar"
	}
	return ""
}

func parseYesNo(f *Field, text, _ string) (json.RawMessage, string, error) {
	switch strings.ToLower(text) {
	case "null":
		return json.RawMessage("null"), "", nil
	case "true", "yes":
		return json.RawMessage("true"), "", nil
	case "false", "no":
		return json.RawMessage("false"), "", nil
	}
	return nil, "", Errorf(EINVALID, "%s: answer yes or no", f.Path)
}

func checkBoolean(_ Field, raw json.RawMessage) string {
	if string(raw) != "true" && string(raw) != "false" {
		return "must be true or false"
	}
	return ""
}

func showYesNo(_ Field, s *Shown) {
	s.Choices = []Choice{{Value: "", Label: "—", Selected: s.Null}, {Value: "true", Label: "Yes", Selected: s.Text == "true"}, {Value: "false", Label: "No", Selected: s.Text == "false"}}
}

func parseOption(_ *Field, text, _ string) (json.RawMessage, string, error) {
	return jsonOf(text), "", nil
}

func checkOption(f Field, raw json.RawMessage) string {
	var s *string
	if json.Unmarshal(raw, &s) != nil {
		return "must be one of the options"
	}
	if len(f.Enum) > 0 && !hasOption(f.Enum, s) {
		return fmt.Sprintf("%q is not one of the options", *s)
	}
	return ""
}

// showOptions offers an enum's options, the one holding the value
// selected. A value outside the options is kept and shown, never dropped.
func showOptions(f Field, s *Shown) {
	s.Choices = []Choice{{Value: "", Label: "— empty —", Selected: s.Null}}
	found := s.Null
	for _, o := range f.Enum {
		if o.Value == nil {
			continue
		}
		label := *o.Value
		if o.Description != "" {
			label += " — " + o.Description
		}
		s.Choices = append(s.Choices, Choice{Value: *o.Value, Label: label, Selected: *o.Value == s.Text && !s.Null})
		found = found || *o.Value == s.Text
	}
	if !found {
		s.Choices = append(s.Choices, Choice{Value: s.Text, Label: s.Text + " (not an option)", Selected: true})
	}
}

// parseMoney reads an amount and its code; with no code given, a code
// after the amount ("4.11 USD", as the page shows the value) is its code.
func parseMoney(f *Field, text, code string) (json.RawMessage, string, error) {
	if i := strings.LastIndexByte(text, ' '); i > 0 && strings.TrimSpace(code) == "" && len(text)-i-1 == 3 && !strings.ContainsAny(text[i+1:], "0123456789") {
		text, code = text[:i], text[i+1:]
	}
	n, err := ParseNumber(text)
	if err != nil {
		return nil, "", err
	}
	upper := strings.ToUpper(strings.TrimSpace(code))
	if upper != "" && !currencyCode.MatchString(upper) {
		return nil, "", Errorf(EINVALID, "%s: %q is not an ISO 4217 currency code", f.Path, strings.TrimSpace(code)) // as typed
	}
	return Money{Amount: json.Number(n), Code: upper}.JSON(), "", nil
}

func checkMoney(_ Field, raw json.RawMessage) string {
	var c struct {
		Amount *json.Number `json:"amount"`
		Code   *string      `json:"iso_4217_currency_code"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&c) != nil {
		return "must be an amount and a currency"
	}
	if c.Code != nil && !currencyCode.MatchString(*c.Code) {
		return fmt.Sprintf("%q is not an ISO 4217 currency code", *c.Code)
	}
	return ""
}

// showMoney shows the amount and offers the currency codes, the field's
// own first if it is not a known one.
func showMoney(f Field, s *Shown) {
	m, _ := ReadMoney(f.Value)
	s.Amount, s.Code = m.Amount.String(), m.Code
	codes := Currencies
	if m.Code != "" && !slices.Contains(codes, m.Code) {
		codes = append([]string{m.Code}, codes...)
	}
	s.Choices = []Choice{{Value: "", Label: "—", Selected: m.Code == ""}}
	for _, c := range codes {
		s.Choices = append(s.Choices, Choice{Value: c, Label: c, Selected: c == m.Code})
	}
}

// signature is a signature value in Extend's shape; a part may be missing.
type signature struct {
	IsSigned      *bool   `json:"is_signed"`
	PrintedName   *string `json:"printed_name"`
	TitleOrRole   *string `json:"title_or_role"`
	SignatureDate *string `json:"signature_date"`
}

func checkSignature(_ Field, raw json.RawMessage) string {
	var s signature
	if json.Unmarshal(raw, &s) != nil {
		return "must be a signature (is_signed, printed_name, title_or_role, signature_date)"
	}
	if s.SignatureDate != nil && *s.SignatureDate != "" && !isISODate(*s.SignatureDate) {
		return "signature_date must be written YYYY-MM-DD"
	}
	return ""
}

// normaliseSignature writes a signature's date as YYYY-MM-DD, read from
// the way it was typed; the other members stay as sent.
func normaliseSignature(raw json.RawMessage) (json.RawMessage, error) {
	var sig map[string]any
	if err := json.Unmarshal(raw, &sig); err != nil || sig == nil {
		return raw, nil // null, or let CheckValue say what is wrong
	}
	if d, ok := sig["signature_date"].(string); ok && strings.TrimSpace(d) != "" {
		r, err := ParseDate(d)
		if err != nil {
			return nil, err
		}
		sig["signature_date"] = r.ISO
	}
	return jsonOf(sig), nil
}

// showSignature shows a signature's parts; a part missing reads empty.
func showSignature(f Field, s *Shown) { s.Sig, _ = ReadSignature(f.Value) }

// ReadSignature reads a signature's parts; ok is false when raw is not an
// object with a signature's is_signed.
func ReadSignature(raw json.RawMessage) (p SignatureParts, ok bool) {
	var members map[string]json.RawMessage
	ok = json.Unmarshal(raw, &members) == nil && members["is_signed"] != nil
	var sg signature
	json.Unmarshal(raw, &sg)
	if sg.IsSigned != nil {
		p.Signed = strconv.FormatBool(*sg.IsSigned)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	p.Name, p.Title, p.Date = deref(sg.PrintedName), deref(sg.TitleOrRole), deref(sg.SignatureDate)
	return p, ok
}

// Value is the signature the parts give, as the review page's editor sends
// it: a part left empty is null, as is "signed" when it is neither yes nor
// no.
func (p SignatureParts) Value() json.RawMessage {
	orNull := func(s string) *string {
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
		return &s
	}
	var sg signature
	if b, err := strconv.ParseBool(p.Signed); err == nil {
		sg.IsSigned = &b
	}
	sg.PrintedName, sg.TitleOrRole, sg.SignatureDate = orNull(p.Name), orNull(p.Title), orNull(p.Date)
	return jsonOf(sg)
}
