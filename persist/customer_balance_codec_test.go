package persist

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"burndown/engine"
)

// balancesCustomer is manualCustomer with two customer-level balances: a
// commit drawn on an invoice and given back, and a credit for one contract.
func balancesCustomer() *engine.Customer {
	c := manualCustomer()
	prio := amt("1.5")
	c.Extra = &engine.CustomerExtra{CustomFields: c.CustomFields(), BillingProviders: c.BillingProviders(),
		UniquenessKeys: c.UniquenessKeys(), Rejects: c.Rejects()}
	c.Extra.Balances = []*engine.CustomerBalance{{
		UniquenessKey: "u1",
		Commit: &engine.Commit{ID: "cb0", Type: engine.CommitPrepaid, ProductID: "p1", Name: "shared",
			CreditTypeID: "usd", CreatedAt: 5, Seq: 9,
			Extra: &engine.CommitExtra{Description: "d", Priority: &prio, ApplicableProductTags: []string{"ai"}, CustomFields: map[string]string{"a": "b"},
				InvoiceSchedule: []engine.InvoiceItem{{ID: "it0", Timestamp: 2, Amount: amt("100"), UnitPrice: amt("50"), Quantity: amt("2"), InvoiceID: "inv1"}}},
			Segments: []*engine.Segment{{Extra: &engine.SegmentExtra{ID: "s0"}, Amount: amt("100"), StartingAt: 1, EndingBefore: 50, Drawn: amt("12.5"),
				Deductions: []engine.Deduction{{InvoiceID: "inv1", Timestamp: 2, Amount: amt("20")}, {InvoiceID: "inv1", Timestamp: 3, Amount: amt("-7.5")}}}}},
		InvoiceContractID: "k1",
	}, {
		ApplicableContractIDs: []string{"k1"},
		Commit: &engine.Commit{ID: "cb1", Type: engine.CommitCredit, ProductID: "p1", CreditTypeID: "usd", CreatedAt: 6, Seq: 10,
			Segments: []*engine.Segment{{Extra: &engine.SegmentExtra{ID: "s1"}, Amount: amt("3"), StartingAt: 1, EndingBefore: 4, Expired: true, Expiry: expiry(amt("3"))}}},
	}}
	return c
}

// Layout 14: customer-level commits and credits round trip exactly; a
// layout 13 record reads back with none; the decimal data format refuses
// a customer with any rather than drop them; a repeated id fails the
// record.
func TestCustomerCodecLayout14Balances(t *testing.T) {
	c := balancesCustomer()
	b, got := roundTripCurrent(t, c)
	if !reflect.DeepEqual(got.Balances(), c.Balances()) || !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatalf("a layout 14 (or later) record does not read back to itself: %+v", got.Balances()[0].Commit)
	}
	old, err := DecodeCustomer(appendCustomer(nil, c, 13, (*binWriter).binAmount), nil)
	if err != nil || old.Balances() != nil {
		t.Fatalf("a layout 13 record: %v, %d balances", err, len(old.Balances()))
	}
	if !bytes.Equal(AppendCustomer(nil, old), AppendCustomer(nil, manualCustomer())) {
		t.Fatal("a layout 13 record reads back as another customer")
	}
	plain := fullCustomer()
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, plain); err != nil {
		t.Fatalf("decimal format, no balances: %v", err)
	}
	plain.EditExtra(func(x *engine.CustomerExtra) { x.Balances = c.Balances() })
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, plain); err == nil || !strings.Contains(err.Error(), "customer-level balances") {
		t.Fatalf("decimal format: %v, want refused", err)
	}
	c.Balances()[1].Commit.ID = "cb0"
	if _, err := DecodeCustomer(AppendCustomer(nil, c), nil); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("a repeated id: %v", err)
	}
}
