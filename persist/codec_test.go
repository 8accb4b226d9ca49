package persist

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
	"burndown/money"
)

func dec(s string) money.Amount { return money.MustParse(s) }
func decp(s string) *money.Amount {
	d := dec(s)
	return &d
}

// sampleCommands returns one fully populated command of every engine kind.
func sampleCommands() []engine.Command {
	yes := true
	return []engine.Command{
		&engine.Tick{},
		&engine.CreateCreditType{ID: "ct1", Name: "tokens", IsCurrency: false},
		&engine.CreateMetric{
			ID: "m1", Name: "calls", Aggregation: engine.AggSum, AggregationKey: "n",
			EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"api"}, NotInValues: []string{"x"}},
			PropertyFilters: []engine.PropertyFilter{{Name: "region", Exists: &yes, InValues: []string{"eu", "us"}}},
			GroupKeys:       [][]string{{"user_id"}, {"a", "b"}},
			CustomFields:    map[string]string{"z": "1", "a": "2", "m": "3"},
		},
		&engine.CreateProduct{ID: "p1", Name: "API", Type: engine.ProductUsage, BillableMetricID: "m1", Tags: []string{"t"}, PricingGroupKey: []string{"user_id"}},
		&engine.CreateRateCard{ID: "rc1", Name: "std", FiatCreditTypeID: engine.USDCreditTypeID,
			CreditTypeConversions: []engine.CreditTypeConversion{{CustomCreditTypeID: "ct1", FiatPerCustomCredit: dec("0.25")}}},
		&engine.AddRates{RateCardID: "rc1", Rates: []engine.RateInput{
			{ProductID: "p1", StartingAt: 1, EndingBefore: 2, Entitled: true, RateType: engine.RateFlat, Price: dec("1.005")},
			{ProductID: "p1", RateType: engine.RateTiered, Tiers: []engine.Tier{{Size: decp("100"), Price: dec("2")}, {Price: dec("1")}}, Quantity: decp("3")},
		}},
		&engine.CreateProduct{ID: "p2", Name: "AI model", Type: engine.ProductFixed},
		&engine.CreateCustomer{ID: "c1", Name: "Acme", IngestAliases: []string{"acme"}, CustomFields: map[string]string{"k": "v"},
			BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct", Configuration: map[string]string{"b": "2", "a": "1"}}}},
		&engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: 10, EndingBefore: 20, UniquenessKey: "u", PrepaidOnly: true,
			Overrides: []engine.OverrideInput{{ID: "o1", ProductID: "p1", Entitled: &yes, Type: "MULTIPLIER", Multiplier: decp("0.9")}},
			Commits: []engine.CommitInput{{ID: "cm1", Type: engine.CommitPrepaid, ProductID: "p1", Priority: decp("1"), CreditTypeID: engine.USDCreditTypeID,
				AccessSchedule:  []engine.ScheduleItem{{ID: "s1", Amount: dec("10000"), StartingAt: 10, EndingBefore: 20}},
				InvoiceSchedule: []engine.InvoiceItem{{ID: "i1", Timestamp: 10, Amount: dec("5000")}}}},
			Credits:                []engine.CommitInput{{ID: "cr1", Type: engine.CommitCredit, ProductID: "p1", AccessSchedule: []engine.ScheduleItem{{Amount: dec("0.000001"), StartingAt: 10, EndingBefore: 20}}}},
			UsageStatementSchedule: &engine.StatementScheduleInput{Frequency: engine.FrequencyQuarterly, Day: engine.DayCustomDate, BillingAnchorDate: 3},
			ScheduledCharges: []engine.ScheduledChargeInput{{ID: "sc1", ProductID: "p2", Name: "AI", Items: []engine.ChargeItemInput{{Timestamp: 11, Amount: decp("10")}},
				Recurring: &engine.RecurringScheduleInput{StartingAt: 10, EndingBefore: 20, Frequency: engine.FrequencyMonthly, AmountDistribution: engine.DistributionEach, UnitPrice: decp("2"), Quantity: decp("3")}}},
			InvoiceGracePeriod: func() *int64 { v := int64(86400e9); return &v }(),
		},
		&engine.Ingest{Events: []engine.Event{
			{TransactionID: "t1", CustomerID: "acme", EventType: "api", Timestamp: 15, Properties: map[string]string{"n": "3", "region": "eu"}},
			{TransactionID: "t2", CustomerID: "c1", EventType: "api", Timestamp: 16},
		}},
		&engine.UpdateEndDate{CustomerID: "c1", ContractID: "k1", EndingBefore: 18, AllowEndingBeforeFinalizedInvoice: true},
		&engine.EditContract{CustomerID: "c1", ContractID: "k1", UniquenessKey: "e1",
			AddCommits:          []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p1", AccessSchedule: []engine.ScheduleItem{{Amount: dec("1"), StartingAt: 10, EndingBefore: 20}}}},
			AddCredits:          []engine.CommitInput{{ProductID: "p1", AccessSchedule: []engine.ScheduleItem{{Amount: dec("1"), StartingAt: 10, EndingBefore: 20}}}},
			AddOverrides:        []engine.OverrideInput{{StartingAt: 10, ProductID: "p1", Entitled: &yes}},
			AddScheduledCharges: []engine.ScheduledChargeInput{{ProductID: "p2", Items: []engine.ChargeItemInput{{Timestamp: 12, UnitPrice: decp("1"), Quantity: decp("2")}}}},
			ArchiveCommits:      []string{"cm1"}, ArchiveCredits: []string{"cr1"}, RemoveOverrides: []string{"o1"}, ArchiveScheduledCharges: []string{"sc1"},
			UpdateContractEndDate: &engine.EndDateUpdate{EndingBefore: 19}, AllowEndingBeforeFinalizedInvoice: true},
		&engine.CreateAlert{CustomerID: "c1", Name: "hard", Type: engine.AlertSpend, Threshold: dec("10000.5"), CreditTypeID: engine.USDCreditTypeID,
			GroupValues: []engine.GroupValue{{Key: "user_id", Value: "u"}}, InvoiceTypesFilter: []string{"USAGE"}, BlockOnAlarm: true, EvaluateOnCreate: true, UniquenessKey: "uk"},
		&engine.ArchiveAlert{AlertID: "a1", ReleaseUniquenessKey: true},
		&engine.ResetAlert{CustomerID: "c1", AlertID: "a1"},
		&engine.Consume{CustomerID: "c1", ProductID: "p1", GroupKey: "user_id", GroupValue: "u", Events: []engine.Event{
			{TransactionID: "t9", CustomerID: "c1", EventType: "api", Timestamp: 17, Properties: map[string]string{"n": "1"}}}},
		&engine.ReleasePaymentGate{WorkflowID: "wf1", Outcome: engine.GateFailed, ErrorMessage: "card declined"},
		&engine.ReleasePaymentGate{WorkflowID: "wf2", Outcome: engine.GateFailed, ErrorMessage: "card declined", Provider: engine.ProviderStripe},
		&engine.RecordExternalInvoice{CustomerID: "c1", InvoiceID: "inv1", Provider: engine.ProviderStripeBilling, ExternalID: "in_1",
			Status: engine.ExternalFinalized, IssuedAt: 1234},
		&engine.ArchiveCustomer{ID: "c1"},
		&engine.ArchiveContract{CustomerID: "c1", ContractID: "k1", VoidInvoices: true},
		&engine.SetIngestAliases{CustomerID: "c1", IngestAliases: []string{"a", "b"}},
		&engine.SetCustomerName{CustomerID: "c1", Name: "Renamed"},
		&engine.VoidInvoice{CustomerID: "c1", InvoiceID: "inv1"},
		&engine.RegenerateInvoice{CustomerID: "c1", InvoiceID: "inv1"},
		&engine.AddManualLedgerEntry{CustomerID: "c1", ContractID: "k1", CommitID: "cr1", SegmentID: "s1", Amount: dec("-12.25"), Reason: "outage", At: 15},
		&engine.AddBillingProviders{CustomerID: "c1", Configurations: []engine.BillingProviderConfig{{BillingProvider: "stripe",
			DeliveryMethod: engine.DeliveryDirect, Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}},
		&engine.EditContract{CustomerID: "c1", ContractID: "k1",
			AddCommits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p2", AccessSchedule: []engine.ScheduleItem{{Amount: dec("2000"), StartingAt: 10, EndingBefore: 20}},
				PaymentGate: &engine.PaymentGateInput{Type: engine.GateExternal}}},
			AddPrepaidBalanceThreshold: &engine.RechargeInput{IsEnabled: &yes, ThresholdAmount: decp("500"), RechargeToAmount: decp("2000"),
				Commit: &engine.ThresholdCommitInput{ProductID: "p2", Priority: decp("1")}, PaymentGate: &engine.PaymentGateInput{Type: engine.GateExternal}},
			UpdateSpendThreshold: &engine.SpendThresholdInput{IsEnabled: &yes}},
		&engine.EditContract{CustomerID: "c1", ContractID: "k1", UpdateName: ptrTo("Renamed contract"),
			UpdateCommits: []engine.BalanceUpdate{{ID: "cm1", RemoveSegments: []string{"s0"},
				UpdateSegments: []engine.SegmentUpdate{{ID: "s1", Amount: decp("250.5"), EndingBefore: 30}},
				AddSegments:    []engine.ScheduleItem{{Amount: dec("40"), StartingAt: 30, EndingBefore: 40}}}},
			UpdateCredits: []engine.BalanceUpdate{{ID: "cr1", UpdateSegments: []engine.SegmentUpdate{{ID: "s2", StartingAt: 12}}}}},
		&engine.EditBalance{CustomerID: "c1", Credit: true, Update: engine.BalanceUpdate{ID: "cr1",
			UpdateSegments: []engine.SegmentUpdate{{ID: "s2", Amount: decp("0.75")}}, AddSegments: []engine.ScheduleItem{{Amount: dec("5"), StartingAt: 20, EndingBefore: 25}}}},
		&engine.CreateCustomerBalance{CustomerID: "c1", ApplicableContractIDs: []string{"k1"}, UniquenessKey: "u", InvoiceContractID: "k1", Balance: engine.CommitInput{
			Type: engine.CommitCredit, ProductID: "p1", Name: "shared", Priority: decp("1.5"), ApplicableProductTags: []string{"ai"},
			CustomFields: map[string]string{"a": "b"}, AccessSchedule: []engine.ScheduleItem{{Amount: dec("12.25"), StartingAt: 10, EndingBefore: 20}}}},
		&engine.UpdateCustomerBalanceEnd{CustomerID: "c1", BalanceID: "cb1", AccessEndingBefore: 30, InvoicesEndingBefore: 25},
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestCodecRoundTripEveryKind(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	cmds := sampleCommands()
	covered := map[engine.Kind]bool{}
	for _, cmd := range cmds {
		covered[cmd.Kind()] = true
	}
	for k := 0; k < int(FirstClusterKind); k++ {
		if engine.NewCommand(engine.Kind(k)) != nil && !covered[engine.Kind(k)] {
			t.Errorf("engine kind %d has no sample command in this test", k)
		}
	}
	const at = engine.Nanos(1_700_000_000_123_456_789)
	b, err := c.EncodeEntry(at, cmds)
	if err != nil {
		t.Fatal(err)
	}
	gotAt, got, err := c.DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if gotAt != at || len(got) != len(cmds) {
		t.Fatalf("got time %d and %d commands, want %d and %d", gotAt, len(got), at, len(cmds))
	}
	for i := range cmds {
		if got[i].Kind() != cmds[i].Kind() {
			t.Fatalf("command %d: kind %d, want %d", i, got[i].Kind(), cmds[i].Kind())
		}
	}
	again, err := c.EncodeEntry(gotAt, got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Fatal("re-encoding the decoded entry gives different bytes")
	}
	rates := got[5].(*engine.AddRates).Rates
	if !rates[0].Price.Equal(dec("1.005")) || !rates[1].Tiers[0].Size.Equal(dec("100")) || rates[1].Tiers[1].Size != nil {
		t.Fatalf("decimals did not round-trip: %+v", rates)
	}
	if ev := got[9].(*engine.Ingest).Events[0]; ev.Properties["region"] != "eu" || ev.Timestamp != 15 {
		t.Fatalf("event did not round-trip: %+v", ev)
	}
}

func TestEncodingIsDeterministic(t *testing.T) {
	c, _ := NewCodec()
	first, err := c.EncodeEntry(1, sampleCommands())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // map iteration order changes from run to run
		b, _ := c.EncodeEntry(1, sampleCommands())
		if !bytes.Equal(first, b) {
			t.Fatal("the same commands encoded to different bytes")
		}
	}
	m := map[engine.RejectReason]int64{"b": 1, "a": 2, "c": 3, "d": 4, "e": 5}
	ref, _ := Marshal(&engine.Customer{Extra: &engine.CustomerExtra{Rejects: m}})
	for i := 0; i < 20; i++ {
		b, _ := Marshal(&engine.Customer{Extra: &engine.CustomerExtra{Rejects: m}})
		if !bytes.Equal(ref, b) {
			t.Fatal("a non-string-valued map is not written in sorted order")
		}
	}
}

// An amount encodes to the same bytes however it was reached (canonical
// form), in both layouts, and reads back equal.
func TestAmountEncodingIsCanonical(t *testing.T) {
	type box struct{ A money.Amount }
	for _, pair := range [][2]money.Amount{
		{{}, money.FromInt(0)},
		{money.MustParse("1.50"), money.MustParse("15e-1")},
		{money.MustParse("100"), money.MustParse("1e2")},
	} {
		for _, marshal := range []func(any) ([]byte, error){Marshal, MarshalDecimalAmounts} {
			a, _ := marshal(box{pair[0]})
			b, _ := marshal(box{pair[1]})
			if !bytes.Equal(a, b) {
				t.Fatalf("%s and %s encode differently: %x vs %x", pair[0], pair[1], a, b)
			}
			var got box
			if err := Unmarshal(a, &got); err != nil || !got.A.Equal(pair[0]) {
				t.Fatalf("%x read as %s (%v)", a, got.A, err)
			}
		}
	}
}

// clusterCmd stands in for a cluster-layer command.
type clusterCmd struct{ Node string }

func (*clusterCmd) Kind() engine.Kind { return FirstClusterKind }

func TestClusterKindsAndUnknownKinds(t *testing.T) {
	if _, err := NewCodec(Registration{Kind: 3, Version: 1, New: func() engine.Command { return &clusterCmd{} }}); err == nil {
		t.Fatal("registering an engine kind from outside must fail")
	}
	c, err := NewCodec(Registration{Kind: FirstClusterKind, Version: 1, New: func() engine.Command { return &clusterCmd{} }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.EncodeEntry(5, []engine.Command{&clusterCmd{Node: "n1"}, &engine.Tick{}})
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := c.DecodeEntry(b)
	if err != nil || got[0].(*clusterCmd).Node != "n1" {
		t.Fatalf("cluster command did not round-trip: %v %v", got, err)
	}
	plain, _ := NewCodec()
	if _, _, err := plain.DecodeEntry(b); !errors.Is(err, ErrUnknownCommand) {
		t.Fatalf("unknown kind: got %v, want ErrUnknownCommand", err)
	}
	bad := AppendEntryHeader(nil, 1, 1)
	bad = AppendCommand(bad, Encoded{Kind: engine.KindTick, Version: 9, Body: []byte{0x80}})
	if _, _, err := plain.DecodeEntry(bad); !errors.Is(err, ErrUnknownCommand) {
		t.Fatalf("unknown version: got %v, want ErrUnknownCommand", err)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	c, err := NewCodec()
	if err != nil {
		f.Fatal(err)
	}
	for _, cmd := range sampleCommands() {
		b, err := c.EncodeEntry(42, []engine.Command{cmd})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	all, _ := c.EncodeEntry(7, sampleCommands())
	f.Add(all)
	f.Add([]byte{})
	f.Add([]byte{EntryFormat, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(append(AppendEntryHeader(nil, 1, 1), byte(engine.KindIngest), 1, 5, 0x81, 0xa6, 'E', 'v', 'e'))
	f.Fuzz(func(t *testing.T, data []byte) {
		at, cmds, err := c.DecodeEntry(data)
		if err != nil {
			return
		}
		// Whatever decodes must encode again and decode to the same.
		b, err := c.EncodeEntry(at, cmds)
		if err != nil {
			t.Fatalf("decoded entry does not re-encode: %v", err)
		}
		if _, _, err := c.DecodeEntry(b); err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
	})
}

// Every engine command is registered at its current version and written at
// the highest version registered for its kind.
func TestEveryEngineCommandIsRegistered(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range engine.Commands() {
		vs := c.Versions(sp.Kind)
		if len(vs) == 0 || c.regs[sp.Kind][sp.Version] == nil {
			t.Errorf("%s: version %d is not registered (have %v)", sp.Name, sp.Version, vs)
		}
		e, err := c.EncodeCommand(sp.New())
		if err != nil {
			t.Errorf("%s: %v", sp.Name, err)
			continue
		}
		// The newest version, unless an older one takes the command as
		// meaning the same (WriteAs; TestOldestVersionThatMeansTheSameIsWritten).
		if r := c.regs[sp.Kind][e.Version]; e.Version != vs[len(vs)-1] && (r == nil || r.WriteAs == nil) {
			t.Errorf("%s: written at version %d, newest registered is %d", sp.Name, e.Version, vs[len(vs)-1])
		}
	}
	if vs := c.Versions(engine.KindIngest); len(vs) != 2 {
		t.Fatalf("ingest versions %v: both the msgpack (1) and binary (2) layouts must stay readable", vs)
	}
}

// clusterCmdV1 is an older layout of clusterCmd, upgraded on decode.
type clusterCmdV1 struct{ Host string }

func (*clusterCmdV1) Kind() engine.Kind { return FirstClusterKind }

// An entry written at an older version decodes through its own registration
// and is upgraded to the current command; new entries use the new version.
func TestOlderVersionsAreUpgraded(t *testing.T) {
	v1 := Registration{Kind: FirstClusterKind, Version: 1, New: func() engine.Command { return &clusterCmdV1{} },
		Upgrade: func(c engine.Command) (engine.Command, error) { return &clusterCmd{Node: c.(*clusterCmdV1).Host}, nil }}
	v2 := Registration{Kind: FirstClusterKind, Version: 2, New: func() engine.Command { return &clusterCmd{} }}
	old, err := NewCodec(Registration{Kind: FirstClusterKind, Version: 1, New: func() engine.Command { return &clusterCmdV1{} }})
	if err != nil {
		t.Fatal(err)
	}
	written, err := old.EncodeEntry(1, []engine.Command{&clusterCmdV1{Host: "n7"}})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := NewCodec(v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	_, cmds, err := cur.DecodeEntry(written)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := cmds[0].(*clusterCmd); !ok || got.Node != "n7" {
		t.Fatalf("version 1 decoded to %#v, want the upgraded clusterCmd{n7}", cmds[0])
	}
	if e, _ := cur.EncodeCommand(&clusterCmd{Node: "n8"}); e.Version != 2 {
		t.Fatalf("written at version %d, want 2", e.Version)
	}
}

// A release without a Provider (every entry written before STRIPE gates)
// keeps its exact bytes: Provider is omitted when empty.
func TestReleaseProviderOmittedWhenEmpty(t *testing.T) {
	body, err := msgpack.Marshal(&engine.ReleasePaymentGate{WorkflowID: "wf1", Outcome: engine.GatePaid})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("Provider")) {
		t.Fatalf("an empty Provider is encoded: %q", body)
	}
}
