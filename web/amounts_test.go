package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAmountsBeyondBoundsNotRead: the run page's check that line amounts
// add up reads no amount written beyond what an invoice holds (a million
// digits take seconds to read).
func TestAmountsBeyondBoundsNotRead(t *testing.T) {
	for _, raw := range []string{`1e999999`, strings.Repeat("7", 1<<16), `{"amount":1e999999,"iso_4217_currency_code":"EUR"}`} {
		if v := amountOf(json.RawMessage(raw)); v != nil {
			t.Errorf("%.40s… was read as %s", raw, v.Text('g', 5))
		}
	}
	if v := amountOf(json.RawMessage(`{"amount":34.73,"iso_4217_currency_code":"EUR"}`)); v == nil || v.Text('f', 2) != "34.73" {
		t.Errorf("an amount: %v", v)
	}
}
