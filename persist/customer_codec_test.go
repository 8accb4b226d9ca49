package persist

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"burndown/engine"
	"burndown/money"
)

// fullCustomer sets every persisted field, with nil and empty collections,
// pointers, negative and huge decimals.
func fullCustomer() *engine.Customer {
	yes, no := true, false
	huge := decimal.NewFromBigInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(40), nil), -3)
	hugeAmt, err := money.FromStoredScaled(huge.Coefficient(), int64(huge.Exponent())) // a sum past the input bound
	if err != nil {
		panic(err)
	}
	prio := amt("1.5")
	mult := amt("0.8")
	over := amt("-12.345")
	return &engine.Customer{
		ID: "c-1", Name: "Ünïcode name", IngestAliases: []string{"a", "b"},
		Extra: &engine.CustomerExtra{CustomFields: map[string]string{"z": "1", "a": ""},
			BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}, {BillingProvider: "netsuite"}},
			UniquenessKeys:   []string{"k1"}, Rejects: map[engine.RejectReason]int64{engine.RejectNoContract: 3, engine.RejectFinalized: 1}},
		CreatedAt: -5,
		NextDue:   1 << 60, Seq: 7,
		Contracts: []*engine.Contract{{
			ID: "k-1", Name: "Basic", RateCardID: "rc", StartingAt: 1, EndingBefore: 2, UniquenessKey: "u", PrepaidOnly: true,
			CustomFields: map[string]string{}, CreatedAt: 3,
			Overrides: []engine.Override{{ID: "o", StartingAt: 4, ProductID: "p", ApplicableProductTags: []string{"premium"}, Entitled: &no, Type: "MULTIPLIER", Multiplier: &mult},
				{ID: "o2", Entitled: &yes, OverwritePrice: &over}},
			Balances: []*engine.Commit{{
				ID: "cm", Type: engine.CommitPrepaid, ProductID: "p", Name: "n", CreditTypeID: engine.USDCreditTypeID,
				CreatedAt: 10, Seq: 2,
				Extra: &engine.CommitExtra{Description: "d", Priority: &prio, ApplicableProductIDs: []string{"p"}, ApplicableProductTags: []string{},
					InvoiceSchedule: []engine.InvoiceItem{{ID: "ii", Timestamp: 9, Amount: hugeAmt}}, CustomFields: map[string]string{"x": "y"}},
				Segments: []*engine.Segment{{Extra: &engine.SegmentExtra{ID: "s"}, Amount: amt("2000"), StartingAt: 1, EndingBefore: 99, Drawn: amt("1500.25"), Expired: true, Expiry: expiry(amt("499.75")),
					Deductions: []engine.Deduction{{InvoiceID: "inv", Timestamp: 5, Amount: hugeAmt.Neg()}}}},
			}, {ID: "cr", Type: engine.CommitCredit, Segments: []*engine.Segment{{Extra: &engine.SegmentExtra{ID: "s2"}}}}},
			Invoices: []*engine.Invoice{{ID: "inv", ContractID: "k-1", CreditTypeID: engine.USDCreditTypeID, Start: 1, End: 2, Status: engine.InvoiceFinalized, FinalizedAt: 2,
				Lines: []*engine.InvoiceLine{{Type: engine.LineUsage, ProductID: "p", Quantity: amt("3"), Total: amt("0.003")}}, Total: amt("-1")}},
		}, {ID: "k-2"}},
	}
}

func amt(s string) money.Amount { return money.MustParse(s) }

// appendCustomerLayout1 writes c as the build before the Amount switch did:
// customer layout 1, amounts as decimals.
func appendCustomerLayout1(dst []byte, c *engine.Customer) []byte {
	return appendCustomer(dst, c, 1, func(w *binWriter, a money.Amount) { w.decAmount(a) })
}

// Layout 1 records (snapshots written before the Amount switch) decode to
// the same customer, and re-encode in layout 2.
func TestCustomerCodecReadsLayout1(t *testing.T) {
	for _, c := range []*engine.Customer{fullCustomer(), {ID: "bare"}} {
		foundationContracts(c) // all that layouts before 3 can hold
		old := appendCustomerLayout1(nil, c)
		if old[0] != 1 {
			t.Fatalf("layout byte %d", old[0])
		}
		got, err := DecodeCustomer(old, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(c)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) {
			t.Fatalf("layout 1 decoded differently:\n%s\n%s", want, have)
		}
		if b := AppendCustomer(nil, got); b[0] != customerLayout || !bytes.Equal(b, AppendCustomer(nil, c)) {
			t.Fatal("a layout 1 customer does not re-encode as the layout 2 record of the same customer")
		}
	}
}

// A layout 1 amount is converted exactly or refused: a decimal with more
// fractional digits than an Amount holds fails the decode instead of being
// rounded; trailing zeros beyond 12 digits are not digits.
func TestCustomerLayout1AmountBounds(t *testing.T) {
	for _, tc := range []struct {
		d    decimal.Decimal
		want string // "" for refused
	}{
		{decimal.New(15, -1), "1.5"},
		{decimal.New(1500, -3), "1.5"},
		{decimal.New(1, -12), "0.000000000001"},
		{decimal.New(1, -13), ""},
		{decimal.New(10, -13), "0.000000000001"},
		{decimal.New(-7, 3), "-7000"},
		{decimal.New(1, 200), ""},
		{decimal.Decimal{}, "0"},
	} {
		w := &binWriter{}
		w.dec(tc.d)
		r := &binReader{b: w.b, intern: map[string]string{}, amount: amountReaders[1]}
		a := r.amount(r)
		switch {
		case tc.want == "" && r.err == nil:
			t.Errorf("%s: read as %s, want refused", tc.d, a)
		case tc.want != "" && (r.err != nil || a.String() != tc.want):
			t.Errorf("%s: read as %s (%v), want %s", tc.d, a, r.err, tc.want)
		}
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
		if (got.CustomFields() == nil) != (c.CustomFields() == nil) || (got.Contracts != nil && (got.Contracts[0].CustomFields == nil) != (c.Contracts[0].CustomFields == nil)) {
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
	ext := fullCustomer()
	ext.Contracts[0].Invoices[0].SetExternal(&engine.ExternalInvoice{Provider: "stripe", InvoiceID: "in_1", Status: "FINALIZED", IssuedAt: 1})
	ext.Contracts[0].EditExtra(func(x *engine.ContractExtra) {
		x.BillingProvider = &engine.ContractBillingProvider{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider"}
	})
	f.Add(AppendCustomer(nil, ext))
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

// Layout 2 records (snapshots written before statement schedules) decode to
// the same customer, with the layout 3 fields zero, and re-encode in layout 3.
func TestCustomerCodecReadsLayout2(t *testing.T) {
	for _, c := range []*engine.Customer{fullCustomer(), {ID: "bare"}} {
		foundationContracts(c) // all that layouts before 3 can hold
		old := appendCustomer(nil, c, 2, (*binWriter).binAmount)
		got, err := DecodeCustomer(old, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(c)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) {
			t.Fatalf("layout 2 decoded differently:\n%s\n%s", want, have)
		}
		if b := AppendCustomer(nil, got); b[0] != customerLayout || !bytes.Equal(b, AppendCustomer(nil, c)) {
			t.Fatal("a layout 2 customer does not re-encode as the current record of the same customer")
		}
	}
}

// The fields layout 3 added survive a round trip, nil and empty kept apart.
func TestCustomerCodecLayout3Fields(t *testing.T) {
	c := fullCustomer()
	k := c.Contracts[0]
	k.Terms, k.StatementAnchor, k.InvoiceGracePeriod = engine.ContractTermsOf("", engine.FrequencyQuarterly, engine.DayContractStart), 77, 86400e9
	k.EditExtra(func(x *engine.ContractExtra) {
		x.ScheduledCharges = []*engine.ScheduledCharge{
			{ID: "sc", ProductID: "p", Name: "AI", CreditTypeID: engine.USDCreditTypeID, CustomFields: map[string]string{"a": "b"}, CreatedAt: 5, ArchivedAt: 6,
				Items: []engine.ChargeItem{{ID: "it", Timestamp: 8, Amount: amt("1000"), UnitPrice: amt("500"), Quantity: amt("2"), InvoiceID: "inv"}}},
			{ID: "sc2", Items: []engine.ChargeItem{}},
		}
	})
	k.Invoices[0].LastUsageAt = 42
	k.Invoices[0].Lines = append(k.Invoices[0].Lines, &engine.InvoiceLine{Type: engine.LineScheduled, ProductID: "p", Item: engine.NewLineItem("sc", "it", amt("500")), Quantity: amt("2"), Total: amt("1000")})
	k.Balances[0].EditExtra(func(x *engine.CommitExtra) { x.ArchivedAt = 9 })
	c.Contracts[1].EditExtra(func(x *engine.ContractExtra) { x.ScheduledCharges = []*engine.ScheduledCharge{} })
	got, err := DecodeCustomer(AppendCustomer(nil, c), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 3 round trip:\n%s\n%s", want, have)
	}
	if got.Contracts[1].ScheduledCharges() == nil || got.Contracts[0].ScheduledCharges()[1].Items == nil {
		t.Fatal("empty lists came back nil")
	}
}

// foundationContracts marks c's contracts as created under the foundation's
// rules, as every contract stored before customer layout 3 was, and their
// commits with the rules from before layout 4 (legacyCommits).
func foundationContracts(c *engine.Customer) {
	for _, k := range c.Contracts {
		k.FoundationRules = true
	}
	legacyCommits(c)
}

// legacyCommits marks c's commits as made before postpaid commits were
// drawn and purchases invoiced, as every commit stored before customer
// layout 4 was.
func legacyCommits(c *engine.Customer) {
	for _, k := range c.Contracts {
		for _, cm := range k.Balances {
			cm.LegacyRules = true
		}
	}
}

// Layout 3 records (snapshots written before postpaid commits were drawn)
// decode to the same customer with every commit's LegacyRules set, the
// layout 4 fields zero and no alerts, and re-encode in the current layout.
func TestCustomerCodecReadsLayout3(t *testing.T) {
	c := fullCustomer()
	k := c.Contracts[0]
	k.Terms, k.InvoiceGracePeriod = engine.ContractTermsOf("", engine.FrequencyQuarterly, ""), 86400e9
	k.Balances[0].EditExtra(func(x *engine.CommitExtra) { x.ArchivedAt = 9 })
	k.Balances[0].Type = engine.CommitPostpaid
	legacyCommits(c)
	old := appendCustomer(nil, c, 3, (*binWriter).binAmount)
	got, err := DecodeCustomer(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) || got.Alerts != nil {
		t.Fatalf("layout 3 decoded differently:\n%s\n%s", want, have)
	}
	if b := AppendCustomer(nil, got); b[0] != customerLayout || !bytes.Equal(b, AppendCustomer(nil, c)) {
		t.Fatal("a layout 3 customer does not re-encode as the current record of the same customer")
	}
}

// The fields layout 4 added survive a round trip.
func TestCustomerCodecLayout4Fields(t *testing.T) {
	c := fullCustomer()
	cm := c.Contracts[0].Balances[0]
	cm.Type, cm.DoNotInvoice = engine.CommitPostpaid, true
	cm.InvoiceSchedule()[0].UnitPrice, cm.InvoiceSchedule()[0].Quantity, cm.InvoiceSchedule()[0].InvoiceID = money.MustParse("2.5"), money.MustParse("4"), "inv"
	cm.Segments[0].Extra = &engine.SegmentExtra{TrueUpInvoiceID: "inv"}
	c.Contracts[0].Balances[1].LegacyRules = true
	got, err := DecodeCustomer(AppendCustomer(nil, c), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 4 round trip:\n%s\n%s", want, have)
	}
}

// The alerts layout 5 appends survive a round trip.
func TestCustomerCodecLayout5Alerts(t *testing.T) {
	c := fullCustomer()
	c.Alerts = []*engine.Alert{
		{ID: "a1", Name: "soft", Type: engine.AlertSpend, Threshold: amt("5000.5"), CreditTypeID: engine.USDCreditTypeID,
			BlockOnAlarm: true, KeyReleased: true,
			CreatedAt: 1, UpdatedAt: 2, Status: engine.AlertInAlarm,
			Extra: &engine.AlertExtra{ArchivedAt: 3, GroupKey: "user_id", GroupValue: "u1", UniquenessKey: "k", InvoiceTypesFilter: []string{}, GroupInvoiceID: "inv", GroupInvoiceStart: -4, GroupSpend: amt("12.25")}},
		{ID: "a2", Type: engine.AlertLowCommit, Extra: &engine.AlertExtra{InvoiceTypesFilter: []string{"USAGE"}}},
		// A usage alert keeps its metric in the credit type's place.
		{ID: "a3", Type: engine.AlertUsage, Status: engine.AlertOK, BillableMetricID: "m1",
			Extra: &engine.AlertExtra{GroupKey: "region", GroupValue: "eu"}},
	}
	b := AppendCustomer(nil, c)
	if b[0] != customerLayout {
		t.Fatalf("layout %d", b[0])
	}
	got, err := DecodeCustomer(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 5 round trip:\n%s\n%s", want, have)
	}
}

// An alert's status travels by its name; a name no build wrote fails the
// customer, naming the status, instead of reading as some other state.
func TestCustomerCodecRefusesUnknownAlertStatus(t *testing.T) {
	c := fullCustomer()
	c.Alerts = []*engine.Alert{{ID: "a1", Type: engine.AlertSpend, CreditTypeID: engine.USDCreditTypeID, Status: engine.AlertStatus(9)}}
	if _, err := DecodeCustomer(AppendCustomer(nil, c), nil); err == nil || !strings.Contains(err.Error(), `alert status "unknown"`) {
		t.Fatalf("unknown status: %v, want it refused by name", err)
	}
	for _, st := range []engine.AlertStatus{engine.AlertArchived, engine.AlertOK, engine.AlertInAlarm, engine.AlertEvaluating} {
		c.Alerts[0].Status = st
		got, err := DecodeCustomer(AppendCustomer(nil, c), nil)
		if err != nil {
			t.Fatalf("status %q: %v", st, err)
		}
		if got.Alerts[0].Status != st {
			t.Fatalf("status %q read back as %q", st, got.Alerts[0].Status)
		}
	}
}

// Layout 6: subscriptions (quantity schedule, charges), recurring balances
// and seat adjustments round trip; a layout 4 record (written before them)
// still reads, without them.
func TestCustomerCodecLayout6Fields(t *testing.T) {
	c := fullCustomer()
	k := c.Contracts[0]
	k.Balances[0].Segments[0].Extra = &engine.SegmentExtra{SeatAdjustments: []engine.SeatAdjustment{{At: 7, Amount: amt("50")}, {At: 8, Amount: amt("33.33")}}}
	k.Balances[1].Segments[0].Extra = &engine.SegmentExtra{SeatAdjustments: []engine.SeatAdjustment{}}
	k.EditExtra(func(x *engine.ContractExtra) {
		x.Subscriptions = []*engine.Subscription{{ID: "sub", Name: "Team", ProductID: "team", BillingFrequency: engine.FrequencyAnnual,
			CollectionSchedule: engine.CollectAdvance, IsProrated: true, InvoiceBehavior: engine.BillImmediately, StartingAt: 1, EndingBefore: 99, CreatedAt: 1,
			Quantities: []engine.QuantityStep{{At: 1, Quantity: amt("4")}, {At: 5, Quantity: amt("5")}}, StepsDone: 2, NextPeriod: 50, PeriodStart: 1, PeriodEnd: 50,
			BilledQuantity: amt("5"), Charges: []engine.SubscriptionCharge{{ID: "ch", PeriodStart: 1, PeriodEnd: 50, From: 5, Quantity: amt("1"),
				UnitPrice: amt("10000"), Total: amt("9589.04"), Prorated: true, InvoiceID: "inv"}}}, {ID: "bare"}}
	})
	k.EditExtra(func(x *engine.ContractExtra) {
		x.Recurring = []*engine.RecurringBalance{{ID: "rec", CommitID: "cr", Type: engine.CommitCredit, UnitPrice: amt("100"), Quantity: amt("1"), DurationPeriods: 1,
			StartingAt: 1, Frequency: engine.FrequencyMonthly, Proration: engine.ProrationFirstAndEnd, SubscriptionID: "sub", Allocation: engine.AllocationPooled,
			SeatIncreaseProrated: true, NextGrant: 30, PeriodStart: 1, PeriodEnd: 30, SegmentID: "s2", GrantedSeats: amt("5"), StepsDone: 2}}
	})
	b := AppendCustomer(nil, c)
	got, err := DecodeCustomer(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 6 round trip:\n%s\n%s", want, have)
	}
	if !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatal("re-encoding gave different bytes")
	}
	old, err := DecodeCustomer(appendCustomer(nil, c, 4, (*binWriter).binAmount), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := old.Contracts[0]; k.Subscriptions() != nil || k.Recurring() != nil || k.Balances[0].Segments[0].SeatAdjustments() != nil {
		t.Fatal("a layout 4 record must read without seats")
	}
	for n := 1; n < len(b); n += 7 {
		if _, err := DecodeCustomer(b[:n], nil); err == nil {
			t.Fatalf("truncated at %d decoded", n)
		}
	}
}

// Layout 8: payment gates (a commit's gate, a contract's configurations,
// workflows and gated commits) round trip; a layout 6 record (written
// before them) still reads, without them; layout 7 (another branch's) is
// not read by this build.
func TestCustomerCodecLayout8Payments(t *testing.T) {
	c := fullCustomer()
	k := c.Contracts[0]
	k.Balances[0].SetGate(engine.CommitGate{Type: engine.GateExternal, Status: engine.GatePaid, WorkflowID: "wf-0"})
	prio := amt("5")
	extraOf(k).Recharge = &engine.RechargeConfig{IsEnabled: true, Threshold: amt("500"), RechargeTo: amt("2000"), GateType: engine.GateExternal,
		Commit: engine.ThresholdCommit{ProductID: "p", Name: "Recharge", Priority: &prio, ApplicableProductIDs: []string{"p"}}}
	extraOf(k).SpendThreshold = &engine.SpendThresholdConfig{Threshold: amt("10000"), GateType: engine.GateNone, FailedUnbilled: amt("12.5"),
		Commit: engine.ThresholdCommit{ProductID: "p", ApplicableProductTags: []string{}}}
	k.EditExtra(func(x *engine.ContractExtra) {
		x.Workflows = []*engine.PaymentWorkflow{{ID: "wf-0", Type: engine.WorkflowManualCommit, CommitID: "cm", GateType: engine.GateExternal, Status: engine.GatePaid,
			InvoiceID: "inv-wf", Amount: amt("2000"), CreditType: engine.USDCreditTypeID, CreatedAt: 4, SettledAt: 5, Notified: true},
			{ID: "wf-1", Type: engine.WorkflowRecharge, CommitID: "g", Status: engine.GateFailed, ErrorMessage: "card declined"}}
	})
	k.EditExtra(func(x *engine.ContractExtra) {
		x.Gated = []*engine.Commit{{ID: "g", Type: engine.CommitPrepaid, Extra: &engine.CommitExtra{Gate: &engine.CommitGate{Type: engine.GateExternal, Status: engine.GateFailed, WorkflowID: "wf-1",
			VoidReason: "card declined"}}, Segments: []*engine.Segment{{Extra: &engine.SegmentExtra{ID: "gs"}, Amount: amt("1500"), StartingAt: 1, EndingBefore: 9}}}}
	})
	b, got := roundTripCurrent(t, c)
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 8 round trip:\n%s\n%s", want, have)
	}
	if !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatal("re-encoding gave different bytes")
	}
	old, err := DecodeCustomer(appendCustomer(nil, c, 6, (*binWriter).binAmount), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := old.Contracts[0]; k.Recharge() != nil || k.SpendThreshold() != nil || k.Workflows() != nil || k.Gated() != nil || k.Balances[0].GateStatus() != "" {
		t.Fatal("a layout 6 record must read without payments")
	}
	if _, err := DecodeCustomer(append([]byte{7}, b[1:]...), nil); err == nil {
		t.Fatal("layout 7 is another branch's: this build must refuse it")
	}
	for n := 1; n < len(b); n += 7 {
		if _, err := DecodeCustomer(b[:n], nil); err == nil {
			t.Fatalf("truncated at %d decoded", n)
		}
	}
}

// Layout 9: an invoice's external (Stripe) invoice and a contract's
// billing_provider_configuration round trip; a layout 8 record (written
// before them) still reads, without them, and re-encodes as the current
// record of the same customer.
func TestCustomerCodecLayout9ExternalInvoice(t *testing.T) {
	c := fullCustomer()
	inv := c.Contracts[0].Invoices[0]
	inv.SetExternal(&engine.ExternalInvoice{Provider: engine.ProviderStripeBilling, InvoiceID: "in_1", Status: engine.ExternalFinalized, IssuedAt: 12345})
	c.Contracts[0].EditExtra(func(x *engine.ContractExtra) {
		x.BillingProvider = &engine.ContractBillingProvider{BillingProvider: engine.ProviderStripeBilling, DeliveryMethod: engine.DeliveryDirect}
	})
	c.Contracts[0].Invoices = append(c.Contracts[0].Invoices, &engine.Invoice{ID: "inv-2", Status: engine.InvoiceDraft})
	b, got := roundTripCurrent(t, c)
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Fatalf("layout 9 round trip:\n%s\n%s", want, have)
	}
	if !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatal("re-encoding gave different bytes")
	}
	for n := 1; n < len(b); n += 5 {
		if _, err := DecodeCustomer(b[:n], nil); err == nil {
			t.Fatalf("truncated at %d decoded", n)
		}
	}
	if got.Contracts[0].BillingProvider() == nil || !got.Contracts[0].SendsToStripe() {
		t.Fatalf("billing provider configuration: %+v", got.Contracts[0].BillingProvider())
	}
	inv.SetExternal(nil)
	c.Contracts[0].EditExtra(func(x *engine.ContractExtra) { x.BillingProvider = nil })
	old := appendCustomer(nil, c, 8, (*binWriter).binAmount)
	got, err := DecodeCustomer(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Contracts[0].Invoices[0].External() != nil || got.Contracts[0].BillingProvider() != nil {
		t.Fatal("a layout 8 record must read without external invoices or billing provider configurations")
	}
	if again := AppendCustomer(nil, got); again[0] != customerLayout || !bytes.Equal(again, AppendCustomer(nil, c)) {
		t.Fatal("a layout 8 customer does not re-encode as the current record of the same customer")
	}
}

// dec writes a decimal as its exponent and its coefficient: an int64 when it
// fits, otherwise sign and magnitude bytes.
func (w *binWriter) dec(d decimal.Decimal) {
	w.varint(int64(d.Exponent()))
	w.coefficient(d.Coefficient())
}

// A segment whose id is derived from its ordinal (engine/segment_id.go) is
// written with its id, like any other, and read back holding only the
// ordinal; a segment with an id of its own reads back holding it. The
// bytes do not depend on which way a segment keeps its id.
func TestCustomerCodecDerivedSegmentIDs(t *testing.T) {
	cm := &engine.Commit{ID: "cm", Type: engine.CommitPrepaid, ProductID: "p", CreditTypeID: engine.USDCreditTypeID,
		Segments: []*engine.Segment{{IDOrdinal: 2, Amount: amt("5"), StartingAt: 1, EndingBefore: 9},
			{Extra: &engine.SegmentExtra{ID: "own"}, Amount: amt("6"), StartingAt: 2, EndingBefore: 9}}}
	c := &engine.Customer{ID: "c", Name: "c", Contracts: []*engine.Contract{{ID: "k", RateCardID: "rc", Balances: []*engine.Commit{cm}}}}
	b := AppendCustomer(nil, c)
	if !bytes.Contains(b, []byte(cm.SegmentID(cm.Segments[0]))) {
		t.Fatal("the derived id is not in the record")
	}
	got, err := DecodeCustomer(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	segs := got.Contracts[0].Balances[0].Segments
	if segs[0].IDOrdinal != 2 || segs[0].Extra != nil {
		t.Errorf("derived segment read back with ordinal %d extra %+v, want ordinal 2 and nothing held", segs[0].IDOrdinal, segs[0].Extra)
	}
	if segs[1].IDOrdinal != 0 || segs[1].Extra == nil || segs[1].Extra.ID != "own" {
		t.Errorf("segment with its own id read back with ordinal %d extra %+v", segs[1].IDOrdinal, segs[1].Extra)
	}
	held := *cm
	held.Segments = []*engine.Segment{{Extra: &engine.SegmentExtra{ID: cm.SegmentID(cm.Segments[0])}, Amount: amt("5"), StartingAt: 1, EndingBefore: 9}, cm.Segments[1]}
	c.Contracts[0].Balances[0] = &held
	if again := AppendCustomer(nil, c); !bytes.Equal(again, b) {
		t.Error("the record changed with the way the segment keeps its id")
	}
}

// extraOf is k's rarely set fields, allocated for a test to fill in.
func extraOf(k *engine.Contract) *engine.ContractExtra {
	if k.Extra == nil {
		k.Extra = &engine.ContractExtra{}
	}
	return k.Extra
}

// A customer record written by c6492ce, before the alert status became a
// byte and a usage alert's metric left AlertExtra, reads back with every
// status and metric in place, and this build writes it again byte for
// byte: the change moved fields in memory, not in the record.
func TestCustomerCodecReadsAlertsOfC6492ce(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "alerts-c6492ce", "customer.bin"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeCustomer(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id       string
		status   engine.AlertStatus
		metric   string
		credit   string
		group    string
		archived engine.Nanos
		extra    bool
	}{
		{"a-ok", engine.AlertOK, "", engine.USDCreditTypeID, "", 0, false},
		{"a-alarm", engine.AlertInAlarm, "", engine.USDCreditTypeID, "", 0, false},
		{"a-eval", engine.AlertEvaluating, "m1", "", "", 0, false}, // its metric no longer needs an extra
		{"a-usage-scoped", engine.AlertOK, "m1", "", "region", 0, true},
		{"a-archived", engine.AlertArchived, "", engine.USDCreditTypeID, "", 9, true},
	}
	if len(c.Alerts) != len(want) {
		t.Fatalf("%d alerts, want %d", len(c.Alerts), len(want))
	}
	for i, w := range want {
		a := c.Alerts[i]
		if a.ID != w.id || a.Status != w.status || a.BillableMetricID != w.metric || a.CreditTypeID != w.credit ||
			a.GroupKey() != w.group || a.ArchivedAt() != w.archived || (a.Extra != nil) != w.extra {
			t.Errorf("alert %d: %s status %q metric %q credit type %q group %q archived %d extra %v, want %+v",
				i, a.ID, a.Status, a.BillableMetricID, a.CreditTypeID, a.GroupKey(), a.ArchivedAt(), a.Extra != nil, w)
		}
	}
	if !c.Alerts[1].BlockOnAlarm || !c.Alerts[4].KeyReleased || c.Alerts[4].UniquenessKey() != "k" {
		t.Errorf("flags or uniqueness key lost: %+v %+v", c.Alerts[1], c.Alerts[4])
	}
	if again := AppendCustomer(nil, c); !bytes.Equal(again, old) {
		t.Fatalf("written again, the record differs from c6492ce's (%d vs %d bytes)", len(again), len(old))
	}
}
