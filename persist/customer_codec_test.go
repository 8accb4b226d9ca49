package persist

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"

	"burndown/engine"
)

// fullCustomer sets every persisted field, with nil and empty collections,
// pointers, negative and huge decimals.
func fullCustomer() *engine.Customer {
	yes, no := true, false
	huge := decimal.NewFromBigInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(40), nil), -3)
	prio := dec("1.5")
	mult := dec("0.8")
	over := dec("-12.345")
	return &engine.Customer{
		ID: "c-1", Name: "Ünïcode name", IngestAliases: []string{"a", "b"}, CustomFields: map[string]string{"z": "1", "a": ""},
		BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}, {BillingProvider: "netsuite"}},
		CreatedAt:        -5, UniquenessKeys: []string{"k1"}, Rejects: map[engine.RejectReason]int64{engine.RejectNoContract: 3, engine.RejectFinalized: 1},
		NextDue: 1 << 60, Seq: 7,
		Contracts: []*engine.Contract{{
			ID: "k-1", Name: "Basic", RateCardID: "rc", StartingAt: 1, EndingBefore: 2, UniquenessKey: "u", PrepaidOnly: true,
			CustomFields: map[string]string{}, CreatedAt: 3,
			Overrides: []engine.OverrideInput{{ID: "o", StartingAt: 4, ProductID: "p", ApplicableProductTags: []string{"premium"}, Entitled: &no, Type: "MULTIPLIER", Multiplier: &mult},
				{ID: "o2", Entitled: &yes, OverwritePrice: &over}},
			Balances: []*engine.Commit{{
				ID: "cm", Type: engine.CommitPrepaid, ProductID: "p", Name: "n", Description: "d", Priority: &prio, CreditTypeID: engine.USDCreditTypeID,
				ApplicableProductIDs: []string{"p"}, ApplicableProductTags: []string{}, InvoiceSchedule: []engine.InvoiceItem{{ID: "ii", Timestamp: 9, Amount: huge}},
				CustomFields: map[string]string{"x": "y"}, CreatedAt: 10, Seq: 2,
				Segments: []*engine.Segment{{ID: "s", Amount: dec("2000"), StartingAt: 1, EndingBefore: 99, Drawn: dec("1500.25"), Expired: true, ExpiredAmount: dec("499.75"),
					Deductions: []engine.Deduction{{InvoiceID: "inv", Timestamp: 5, Amount: huge.Neg()}}}},
			}, {ID: "cr", Type: engine.CommitCredit, Segments: []*engine.Segment{{ID: "s2"}}}},
			Invoices: []*engine.Invoice{{ID: "inv", ContractID: "k-1", CreditTypeID: engine.USDCreditTypeID, Start: 1, End: 2, Status: engine.InvoiceFinalized, FinalizedAt: 2,
				Lines: []*engine.InvoiceLine{{Type: engine.LineUsage, ProductID: "p", Quantity: dec("3"), Total: dec("0.003")}}, Total: dec("-1")}},
		}, {ID: "k-2"}},
	}
}

func TestCustomerCodecRoundTrip(t *testing.T) {
	for _, c := range []*engine.Customer{fullCustomer(), {ID: "bare"}} {
		b := AppendCustomer(nil, c)
		got, err := DecodeCustomer(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(c)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) {
			t.Fatalf("round trip changed the customer:\n%s\n%s", want, have)
		}
		if again := AppendCustomer(nil, got); !bytes.Equal(again, b) {
			t.Fatal("re-encoding a decoded customer gave different bytes")
		}
		if (got.CustomFields == nil) != (c.CustomFields == nil) || (got.Contracts != nil && (got.Contracts[0].CustomFields == nil) != (c.Contracts[0].CustomFields == nil)) {
			t.Fatal("nil and empty maps must survive the round trip")
		}
	}
}

func TestCustomerCodecIsCanonical(t *testing.T) {
	first := AppendCustomer(nil, fullCustomer())
	for i := 0; i < 20; i++ { // map iteration order varies between calls
		if !bytes.Equal(first, AppendCustomer(nil, fullCustomer())) {
			t.Fatal("equal customers encoded to different bytes")
		}
	}
}

func TestCustomerCodecRejectsTruncation(t *testing.T) {
	b := AppendCustomer(nil, fullCustomer())
	for cut := 0; cut < len(b); cut++ {
		if _, err := DecodeCustomer(b[:cut], nil); err == nil {
			t.Fatalf("a record cut at %d of %d bytes decoded without error", cut, len(b))
		}
	}
}

func FuzzDecodeCustomer(f *testing.F) {
	f.Add(AppendCustomer(nil, fullCustomer()))
	f.Add(AppendCustomer(nil, &engine.Customer{ID: "x"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCustomer(b, nil)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a record that decodes the same.
		again, err := DecodeCustomer(AppendCustomer(nil, c), nil)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		x, _ := json.Marshal(c)
		y, _ := json.Marshal(again)
		if !bytes.Equal(x, y) {
			t.Fatalf("unstable round trip:\n%s\n%s", x, y)
		}
	})
}
