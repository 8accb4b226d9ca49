package persist

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"burndown/engine"
)

// manualCustomer is fullCustomer with manual ledger entries on the second
// balance's segment (one below zero).
func manualCustomer() *engine.Customer {
	c := fullCustomer()
	c.Contracts[0].Balances[1].Segments[0].Extra = &engine.SegmentExtra{ManualAdjustments: []engine.ManualAdjustment{
		{At: 3, Amount: amt("125.5"), Reason: "outage refund"}, {At: 4, Amount: amt("-200"), Reason: "chargeback"}}}
	return c
}

// Layout 11: manual ledger entries round trip onto their segments; a
// customer without any reads back from its layout 10 record; the decimal
// data format refuses a customer with some rather than drop them; an entry
// placed on a segment the record does not hold fails the record.
func TestCustomerCodecLayout11Manual(t *testing.T) {
	c := manualCustomer()
	b, got := roundTripCurrent(t, c)
	if !reflect.DeepEqual(got.Contracts[0].Balances[1].Segments[0].ManualAdjustments(), c.Contracts[0].Balances[1].Segments[0].ManualAdjustments()) {
		t.Fatalf("read back %+v", got.Contracts[0].Balances[1].Segments[0].ManualAdjustments())
	}
	if !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatal("a layout 11 record does not re-encode to itself")
	}
	b10 := appendCustomer(nil, fullCustomer(), 10, (*binWriter).binAmount)
	if old, err := DecodeCustomer(b10, nil); err != nil || !bytes.Equal(AppendCustomer(nil, old), AppendCustomer(nil, fullCustomer())) {
		t.Fatalf("a layout 10 record reads back as another customer: %v", err)
	}
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, c); err == nil || !strings.Contains(err.Error(), "manual ledger entries") {
		t.Fatalf("decimal format: %v, want refused", err)
	}
	bad := append([]byte(nil), b...)
	// The extension starts with its count (1) and the contract index 0:
	// point it at a contract index the record lacks.
	ext := len(appendCustomer(nil, c, 10, (*binWriter).binAmount))
	bad[ext+1] = 9
	if _, err := DecodeCustomer(bad, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("an entry on a missing segment: %v", err)
	}
}
