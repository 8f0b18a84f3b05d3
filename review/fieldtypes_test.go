package review

import "testing"

// TestFieldTypesHaveEditors: every type in the table says how the review
// page edits it, each type once; the containers are the types edited
// through their fields; a type Extend adds later is edited as text.
func TestFieldTypesHaveEditors(t *testing.T) {
	kinds := map[Editor]bool{EditText: true, EditChoice: true, EditMoney: true, EditSignature: true, EditNone: true}
	seen := map[FieldType]bool{}
	for _, ti := range FieldTypes() {
		if !kinds[ti.Editor] {
			t.Errorf("%q has the editor %q", ti.Type, ti.Editor)
		}
		if seen[ti.Type] {
			t.Errorf("%q is in the table twice", ti.Type)
		}
		seen[ti.Type] = true
		if ti.Type.Info() != ti {
			t.Errorf("%q reads as %+v", ti.Type, ti.Type.Info())
		}
		if ti.Type.Container() != (ti.Type == TypeArray || ti.Type == TypeObject) {
			t.Errorf("%q: container %v", ti.Type, ti.Type.Container())
		}
	}
	for _, ft := range []FieldType{TypeString, TypeNumber, TypeCurrency, TypeEnum, TypeBoolean, TypeDate, TypeArray, TypeObject, TypeSignature, TypeNull} {
		if !seen[ft] {
			t.Errorf("%q is not in the table", ft)
		}
	}
	if got := FieldType("barcode").Info(); got.Type != TypeString || got.Editor != EditText || FieldType("barcode").Container() {
		t.Errorf("an unknown type reads as %+v", got)
	}
}
