package persist

import (
	"bytes"
	"testing"

	"burndown/engine"
	"burndown/money"
)

// A customer as snapshot format 1 wrote it (msgpack keyed by the field
// names of that time) decodes to the customer and commits it describes:
// the fields that moved behind engine.Customer.Extra and
// engine.Commit.Extra are read through the frozen mirrors, and the
// customer encodes in the current layout exactly as one built in Go.
func TestFormat1FieldsSurvive(t *testing.T) {
	prio := money.MustParse("2")
	item := map[string]any{"ID": "it", "Timestamp": int64(3), "Amount": money.MustParse("100")}
	seg := map[string]any{"ID": "s", "Amount": money.MustParse("100"), "StartingAt": int64(1), "EndingBefore": int64(9),
		"Drawn": money.MustParse("40"), "Expired": true, "ExpiredAmount": money.MustParse("60"),
		"Deductions": []any{map[string]any{"InvoiceID": "inv", "Timestamp": int64(2), "Amount": money.MustParse("40")}}}
	commit := func(id string, rare bool) map[string]any {
		m := map[string]any{"ID": id, "Type": engine.CommitPrepaid, "ProductID": "p", "Name": "n", "CreditTypeID": engine.USDCreditTypeID,
			"CreatedAt": int64(5), "Seq": uint64(7), "Segments": []any{seg}}
		if rare {
			m["Description"], m["Priority"], m["ApplicableProductIDs"], m["ApplicableProductTags"] = "d", prio, []string{"p"}, []string{"t"}
			m["InvoiceSchedule"], m["CustomFields"] = []any{item}, map[string]string{"a": "b"}
		}
		return m
	}
	raw, err := Marshal(map[string]any{"ID": "c", "Name": "c", "CustomFields": map[string]string{"x": "y"}, "UniquenessKeys": []string{"u"},
		"BillingProviders": []any{map[string]any{"BillingProvider": "stripe", "DeliveryMethod": "direct_to_billing_provider"}},
		"Rejects":          map[string]int64{string(engine.RejectNoContract): 2}, "Contracts": []any{map[string]any{
			"ID": "k", "RateCardID": "rc", "StartingAt": int64(1), "Balances": []any{commit("rare", true), commit("plain", false)}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeCustomers([][]byte{raw}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := got[0]; c.CustomFields()["x"] != "y" || len(c.UniquenessKeys()) != 1 || len(c.BillingProviders()) != 1 || c.Rejects()[engine.RejectNoContract] != 2 {
		t.Fatalf("customer fields lost: %+v", c.Extra)
	}
	bs := got[0].Contracts[0].Balances
	rare, plain := bs[0], bs[1]
	switch {
	case rare.Description() != "d" || rare.Priority() == nil || rare.Priority().Cmp(prio) != 0 || len(rare.ApplicableProductIDs()) != 1 || len(rare.ApplicableProductTags()) != 1:
		t.Fatalf("rare fields lost: %+v", rare.Extra)
	case len(rare.InvoiceSchedule()) != 1 || rare.InvoiceSchedule()[0].ID != "it" || rare.CustomFields()["a"] != "b":
		t.Fatalf("schedule or custom fields lost: %+v", rare.Extra)
	case plain.Extra != nil:
		t.Fatalf("a commit without rare fields holds %+v", plain.Extra)
	case rare.Seq != 7 || rare.Segments[0].ExpiredAmount().Cmp(money.MustParse("60")) != 0 || len(rare.Segments[0].Deductions) != 1:
		t.Fatalf("commit or segment fields lost: %+v", rare)
	}

	s := &engine.Segment{Extra: &engine.SegmentExtra{ID: "s"}, Amount: money.MustParse("100"), StartingAt: 1, EndingBefore: 9, Drawn: money.MustParse("40"), Expired: true,
		Expiry: expiry(money.MustParse("60")), Deductions: []engine.Deduction{{InvoiceID: "inv", Timestamp: 2, Amount: money.MustParse("40")}}}
	base := func(id string) engine.Commit {
		return engine.Commit{ID: id, Type: engine.CommitPrepaid, ProductID: "p", Name: "n", CreditTypeID: engine.USDCreditTypeID,
			CreatedAt: 5, Seq: 7, Segments: []*engine.Segment{s}}
	}
	wantRare, wantPlain := base("rare"), base("plain")
	wantRare.Extra = &engine.CommitExtra{Description: "d", Priority: &prio, ApplicableProductIDs: []string{"p"}, ApplicableProductTags: []string{"t"},
		InvoiceSchedule: []engine.InvoiceItem{{ID: "it", Timestamp: 3, Amount: money.MustParse("100")}}, CustomFields: map[string]string{"a": "b"}}
	want := &engine.Customer{ID: "c", Name: "c", Extra: &engine.CustomerExtra{CustomFields: map[string]string{"x": "y"}, UniquenessKeys: []string{"u"},
		BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider"}},
		Rejects:          map[engine.RejectReason]int64{engine.RejectNoContract: 2}}, Contracts: []*engine.Contract{{ID: "k", RateCardID: "rc", StartingAt: 1,
		Balances: []*engine.Commit{&wantRare, &wantPlain}}}}
	if a, b := AppendCustomer(nil, got[0]), AppendCustomer(nil, want); !bytes.Equal(a, b) {
		t.Fatalf("the format 1 customer encodes as\n%x\nnot as the same customer built in Go\n%x", a, b)
	}
}

// A commit encoded by reflection is written in format 1's layout, and
// reads back the same.
func TestFormat1CommitRoundTrip(t *testing.T) {
	prio := money.MustParse("1.5")
	cm := engine.Commit{ID: "c", Type: engine.CommitCredit, Seq: 3, Extra: &engine.CommitExtra{Description: "d", Priority: &prio,
		Gate: &engine.CommitGate{Type: engine.GateExternal, Status: engine.GatePending}}}
	b, err := Marshal(&cm)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["Extra"]; ok || keys["Description"] != "d" || keys["PaymentGate"] == nil {
		t.Fatalf("not format 1's layout: %v", keys)
	}
	var back engine.Commit
	if err := Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Description() != "d" || back.Priority().Cmp(prio) != 0 || back.Gate() != cm.Gate() || back.Seq != 3 {
		t.Fatalf("read back %+v %+v", back, back.Extra)
	}
}

// expiry is a segment's Expiry holding a.
func expiry(a money.Amount) *money.Amount { return &a }
