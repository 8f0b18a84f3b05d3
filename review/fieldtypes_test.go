package review

import (
	"encoding/json"
	"reflect"
	"testing"
)

// extendTypes are the field types Extend sends, as /work/shared/spec's
// extend-api.md lists them: a legacy field's type (string, number,
// currency, boolean, date, enum, array, object, signature) and the schema's
// extend:type (date, currency, signature); null is what a field with no
// type and an empty value reads as (inferType).
var extendTypes = []FieldType{TypeString, TypeNumber, TypeCurrency, TypeBoolean, TypeDate, TypeEnum, TypeArray, TypeObject, TypeSignature, TypeNull}

// TestFieldTypes: every type Extend sends has one row in the table, which
// says how the review page edits it; the containers are the types edited
// through their fields and hold no value of their own to parse or show; a
// type Extend adds later keeps its name, is edited as text and its values
// are kept as they come.
func TestFieldTypes(t *testing.T) {
	kinds := map[Editor]bool{EditText: true, EditChoice: true, EditMoney: true, EditSignature: true, EditNone: true}
	rows := map[FieldType]int{}
	for _, ti := range FieldTypes() {
		rows[ti.Type]++
		if !kinds[ti.Editor] {
			t.Errorf("%q has the editor %q", ti.Type, ti.Editor)
		}
		if got := ti.Type.Info(); got.Type != ti.Type || got.Editor != ti.Editor {
			t.Errorf("%q reads as %+v", ti.Type, got)
		}
		if ti.check == nil {
			t.Errorf("%q checks no value", ti.Type)
		}
		if ti.Type.Container() && (ti.parse != nil || ti.show != nil || ti.Picks) {
			t.Errorf("%q holds fields but reads or shows a value of its own", ti.Type)
		}
		if ti.List != (ti.Type == TypeArray) {
			t.Errorf("%q: list %v", ti.Type, ti.List)
		}
	}
	for _, ft := range extendTypes {
		if rows[ft] != 1 {
			t.Errorf("%q has %d rows in the table, want 1", ft, rows[ft])
		}
	}
	for ft, n := range rows {
		if n != 1 {
			t.Errorf("%q has %d rows in the table, want 1", ft, n)
		}
	}
	barcode := FieldType("barcode")
	if got := barcode.Info(); got.Type != barcode || got.Editor != EditText || !got.Picks || barcode.Container() {
		t.Errorf("an unknown type reads as %+v", got)
	}
	if v, err := CheckValue(Field{Path: "b", Type: barcode}, json.RawMessage(`{"symbology":"EAN13"}`)); err != nil || string(v) != `{"symbology":"EAN13"}` {
		t.Errorf("an unknown type's value: %s %v", v, err)
	}
}

// TestShow: each type's editor shows its value as the table says: yes or
// no, an enum's options with a value outside them kept, an amount and the
// codes with an unknown code first, a signature's parts.
func TestShow(t *testing.T) {
	opt := func(s string) *string { return &s }
	for _, c := range []struct {
		f    Field
		want Shown
	}{
		{Field{Type: TypeString, Value: json.RawMessage(`"ACME"`)}, Shown{Text: "ACME"}},
		{Field{Type: TypeBoolean, Value: json.RawMessage(`false`)}, Shown{Text: "false", Choices: []Choice{{"", "—", false}, {"true", "Yes", false}, {"false", "No", true}}}},
		{Field{Type: TypeEnum, Value: json.RawMessage(`"WEEKLY"`), Enum: []EnumOption{{Value: opt("MONTHLY"), Description: "each month"}, {}}},
			Shown{Text: "WEEKLY", Choices: []Choice{{"", "— empty —", false}, {"MONTHLY", "MONTHLY — each month", false}, {"WEEKLY", "WEEKLY (not an option)", true}}}},
		{Field{Type: TypeEnum, Value: json.RawMessage(`null`), Enum: []EnumOption{{Value: opt("MONTHLY")}}},
			Shown{Null: true, Choices: []Choice{{"", "— empty —", true}, {"MONTHLY", "MONTHLY", false}}}},
		{Field{Type: TypeSignature, Value: json.RawMessage(`{"is_signed":true,"printed_name":"Ana","signature_date":"2024-03-04"}`)},
			Shown{Text: `{"is_signed":true,"printed_name":"Ana","signature_date":"2024-03-04"}`, Sig: SignatureParts{Signed: "true", Name: "Ana", Date: "2024-03-04"}}},
	} {
		if got := c.f.Show(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s: %+v, want %+v", c.f.Type, c.f.Value, got, c.want)
		}
	}
	money := Field{Type: TypeCurrency, Value: json.RawMessage(`{"amount":4.10,"iso_4217_currency_code":"XAU"}`)}.Show()
	if money.Text != "4.10 XAU" || money.Amount != "4.10" || money.Code != "XAU" || len(money.Choices) != len(Currencies)+2 ||
		money.Choices[0] != (Choice{"", "—", false}) || money.Choices[1] != (Choice{"XAU", "XAU", true}) || money.Choices[2].Selected {
		t.Errorf("money: %+v", money)
	}
}
