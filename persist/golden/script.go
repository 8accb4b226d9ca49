package golden

import (
	"fmt"
	"time"

	"burndown/engine"
	"burndown/money"
)

// SnapshotAfter is the number of script entries applied when a golden
// snapshot is taken.
const SnapshotAfter = 7

// LateSnapshotAfter is the number of FullScript entries applied when the
// late golden snapshot (snapshot-late.bin, and the data dir's second
// snapshot) is taken: after the Stripe steps' invoice is finalized and its
// Stripe invoice recorded, before their last step. Fixture sets written
// before the Stripe steps have no late snapshot.
func LateSnapshotAfter() int { return len(Script()) + 5 }

// TS parses an RFC 3339 time of the script.
func TS(s string) engine.Nanos {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func d(s string) money.Amount { return money.MustParse(s) }
func dp(s string) *money.Amount {
	v := d(s)
	return &v
}
func bp(b bool) *bool { return &b }

// Step is one log entry of the script: its stamped time and commands.
type Step struct {
	At       string
	Commands []engine.Command
}

func events(alias, typ, prefix string, from, n int, at string, props map[string]string) *engine.Ingest {
	in := &engine.Ingest{}
	for i := from; i < from+n; i++ {
		in.Events = append(in.Events, engine.Event{TransactionID: fmt.Sprintf("%s-%d", prefix, i), CustomerID: alias, EventType: typ, Timestamp: TS(at), Properties: props})
	}
	return in
}

// Script is the history every golden fixture replays: a catalog with a
// custom credit type and conversion, customers with aliases and billing
// providers, contracts with commits, credits, overrides and multi-segment
// schedules, usage across three months (duplicates, unknown customers,
// filtered and future events, a finalized period, a rate change), ticks and
// a contract that starts later. Its contracts carry an invoice grace period
// of 0, the foundation's rules and STRIPE gates refused, as create_contract
// version 1 is upgraded to: the history means under this build what it
// meant then.
func Script() []Step {
	noGrace := func() *int64 { var z int64; return &z }
	sched := func(amount, from, to string) []engine.ScheduleItem {
		return []engine.ScheduleItem{{Amount: d(amount), StartingAt: TS(from), EndingBefore: TS(to)}}
	}
	contract := func(id, cust string, prepaidOnly bool, commits, credits []engine.CommitInput, ov []engine.OverrideInput) *engine.CreateContract {
		return &engine.CreateContract{ID: id, CustomerID: cust, RateCardID: "rc", StartingAt: TS("2026-01-01T00:00:00Z"),
			PrepaidOnly: prepaidOnly, Commits: commits, Credits: credits, Overrides: ov, UniquenessKey: "uk-" + id, InvoiceGracePeriod: noGrace(), FoundationRules: true, LegacyCommits: true, StripeGatesRefused: true}
	}
	s := []Step{
		{"2026-01-01T00:00:00Z", []engine.Command{
			&engine.CreateCreditType{ID: "ct-tokens", Name: "tokens"},
			&engine.CreateMetric{ID: "m-calls", Name: "calls", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"api_call"}}, Aggregation: engine.AggCount},
			&engine.CreateMetric{ID: "m-tokens", Name: "tokens", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"completion"}}, Aggregation: engine.AggSum, AggregationKey: "n",
				PropertyFilters: []engine.PropertyFilter{{Name: "model", Exists: bp(true)}}},
			&engine.CreateProduct{ID: "p-calls", Name: "API calls", Type: engine.ProductUsage, BillableMetricID: "m-calls", Tags: []string{"api"}},
			&engine.CreateProduct{ID: "p-tokens", Name: "Tokens", Type: engine.ProductUsage, BillableMetricID: "m-tokens", Tags: []string{"ai"}},
			&engine.CreateProduct{ID: "p-buy", Name: "Purchase", Type: engine.ProductFixed},
			&engine.CreateRateCard{ID: "rc", Name: "Standard", CreditTypeConversions: []engine.CreditTypeConversion{{CustomCreditTypeID: "ct-tokens", FiatPerCustomCredit: d("0.25")}}},
			&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{
				{ProductID: "p-calls", StartingAt: TS("2026-01-01T00:00:00Z"), Entitled: true, RateType: engine.RateFlat, Price: d("1")},
				{ProductID: "p-tokens", StartingAt: TS("2026-01-01T00:00:00Z"), Entitled: true, RateType: engine.RateFlat, Price: d("0.5")},
			}},
		}},
		{"2026-01-01T00:00:00Z", []engine.Command{
			&engine.CreateCustomer{ID: "cu-a", Name: "Alpha", IngestAliases: []string{"alpha"}, CustomFields: map[string]string{"tier": "gold"}},
			&engine.CreateCustomer{ID: "cu-b", Name: "Beta", IngestAliases: []string{"beta", "beta-2"}},
			&engine.CreateCustomer{ID: "cu-c", Name: "Gamma", IngestAliases: []string{"gamma"},
				BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}},
			&engine.CreateCustomer{ID: "cu-d", Name: "Delta", IngestAliases: []string{"delta"}},
		}},
		{"2026-01-01T00:00:00Z", []engine.Command{
			contract("k-a", "cu-a", true,
				[]engine.CommitInput{{ID: "cm-a", Type: engine.CommitPrepaid, ProductID: "p-buy", AccessSchedule: sched("2000", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
					InvoiceSchedule: []engine.InvoiceItem{{Timestamp: TS("2026-01-01T00:00:00Z"), Amount: d("2000")}}}},
				[]engine.CommitInput{{ID: "cr-a", ProductID: "p-buy", Priority: dp("1"), AccessSchedule: []engine.ScheduleItem{
					{Amount: d("100"), StartingAt: TS("2026-01-01T00:00:00Z"), EndingBefore: TS("2026-02-01T00:00:00Z")},
					{Amount: d("100"), StartingAt: TS("2026-02-01T00:00:00Z"), EndingBefore: TS("2026-03-01T00:00:00Z")}}}}, nil),
			contract("k-b", "cu-b", false, nil,
				[]engine.CommitInput{{ID: "cr-b", ProductID: "p-buy", ApplicableProductTags: []string{"ai"}, AccessSchedule: sched("50.75", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")}},
				[]engine.OverrideInput{{ID: "ov-b", StartingAt: TS("2026-01-01T00:00:00Z"), ApplicableProductTags: []string{"ai"}, Type: "MULTIPLIER", Multiplier: dp("0.8")}}),
			contract("k-c", "cu-c", false,
				[]engine.CommitInput{{ID: "cm-c", Type: engine.CommitPrepaid, ProductID: "p-buy", CreditTypeID: "ct-tokens", AccessSchedule: sched("300", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")}},
				nil, []engine.OverrideInput{{ID: "ov-c", StartingAt: TS("2026-01-01T00:00:00Z"), ProductID: "p-calls", Entitled: bp(false)}}),
			contract("k-d", "cu-d", true,
				[]engine.CommitInput{{ID: "cm-d", Type: engine.CommitPrepaid, ProductID: "p-buy", ApplicableProductIDs: []string{"p-calls"}, AccessSchedule: sched("5", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")}},
				nil, nil),
		}},
		{"2026-01-05T00:00:00Z", []engine.Command{
			events("alpha", "api_call", "a", 0, 40, "2026-01-05T00:00:00Z", nil),
			events("beta", "completion", "b", 0, 10, "2026-01-05T00:00:00Z", map[string]string{"model": "m1", "n": "12.5"}),
			events("gamma", "completion", "g", 0, 7, "2026-01-05T00:00:00Z", map[string]string{"model": "m1", "n": "3"}),
			events("delta", "api_call", "d", 0, 8, "2026-01-05T00:00:00Z", nil),
			events("nobody", "api_call", "x", 0, 2, "2026-01-05T00:00:00Z", nil),
		}},
		{"2026-01-06T00:00:00Z", []engine.Command{
			events("alpha", "api_call", "a", 30, 20, "2026-01-06T00:00:00Z", nil),                           // 10 duplicates
			events("beta", "completion", "bnf", 0, 3, "2026-01-06T00:00:00Z", map[string]string{"n": "99"}), // no model: filtered out
			events("alpha", "api_call", "future", 0, 2, "2026-01-09T00:00:00Z", nil),                        // too far ahead
			events("gamma", "api_call", "gcall", 0, 4, "2026-01-06T00:00:00Z", nil),                         // not entitled
		}},
		{"2026-02-01T12:00:00Z", []engine.Command{&engine.Tick{}}},
		{"2026-02-02T00:00:00Z", []engine.Command{
			&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{{ProductID: "p-calls", StartingAt: TS("2026-02-01T00:00:00Z"), Entitled: true, RateType: engine.RateFlat, Price: d("2")}}},
			events("alpha", "api_call", "a", 100, 30, "2026-02-02T00:00:00Z", nil),
			events("beta", "completion", "b", 100, 4, "2026-01-31T23:00:00Z", map[string]string{"model": "m2", "n": "0.125"}), // late, inside grace
		}},
		{"2026-02-03T00:00:00Z", []engine.Command{&engine.Tick{}}},
		{"2026-02-03T00:00:00Z", []engine.Command{
			events("beta", "completion", "b", 200, 2, "2026-01-20T00:00:00Z", map[string]string{"model": "m2", "n": "1"}), // finalized period
			events("delta", "api_call", "d", 100, 3, "2026-02-03T00:00:00Z", nil),
		}},
		{"2026-03-01T06:00:00Z", []engine.Command{&engine.Tick{}}},
		{"2026-03-02T00:00:00Z", []engine.Command{
			&engine.CreateCustomer{ID: "cu-e", Name: "Epsilon", IngestAliases: []string{"eps"}},
			events("alpha", "api_call", "a", 0, 5, "2026-01-05T00:00:00Z", nil), // old duplicates
			events("gamma", "completion", "g", 50, 9, "2026-03-02T00:00:00Z", map[string]string{"model": "m1", "n": "40"}),
		}},
		{"2026-03-02T00:00:00Z", []engine.Command{
			&engine.CreateContract{ID: "k-e", CustomerID: "cu-e", RateCardID: "rc", StartingAt: TS("2026-03-01T00:00:00Z"), EndingBefore: TS("2026-06-01T00:00:00Z"), InvoiceGracePeriod: noGrace(), FoundationRules: true, LegacyCommits: true, StripeGatesRefused: true,
				Commits: []engine.CommitInput{{ID: "cm-e", Type: engine.CommitPrepaid, ProductID: "p-buy", AccessSchedule: sched("10", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z")}}},
			events("eps", "api_call", "e", 0, 3, "2026-03-02T00:00:00Z", nil),
		}},
	}
	return s
}

// FullScript is the history fixture sets replay since v0.4.0: Script
// (the v0.1.0 history, whose meaning every build keeps) and then
// StripeSteps.
func FullScript() []Step { return append(Script(), StripeSteps()...) }

// StripeSteps exercise the formats of the Stripe build (create_contract
// version 4, edit_contract version 3, release_payment_gate from Stripe,
// record_external_invoice, customer layout 9): a Stripe customer (Sigma)
// whose contract, backdated to 2026-02-10 with monthly statements from its
// start (so its first period closes on 2026-03-10 while the others' March
// stays a draft), selects Stripe by its billing_provider_configuration and
// has a STRIPE-gated commit (released paid by Stripe) and a STRIPE
// auto-recharge; an edit adds a STRIPE threshold billing configuration;
// usage beyond its balance raises a recharge (pending) and leaves an
// overage; the tick past the period finalizes the invoice (queueing
// invoice.stripe_send) and its Stripe invoice is recorded; then Stripe
// settles the recharge and more usage rates into the next period.
func StripeSteps() []Step {
	noGrace := func() *int64 { var z int64; return &z }
	stripe := func() *engine.PaymentGateInput { return &engine.PaymentGateInput{Type: engine.GateStripe} }
	access := func(amount string) []engine.ScheduleItem {
		return []engine.ScheduleItem{{Amount: d(amount), StartingAt: TS("2026-02-10T00:00:00Z"), EndingBefore: TS("2027-02-10T00:00:00Z")}}
	}
	yes := true
	return []Step{
		{"2026-03-02T00:00:00Z", []engine.Command{
			&engine.CreateCustomer{ID: "cu-s", Name: "Sigma", IngestAliases: []string{"sigma"},
				BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider", Configuration: map[string]string{"stripe_customer_id": "cus_sigma"}}}},
			&engine.CreateContract{ID: "k-s", CustomerID: "cu-s", RateCardID: "rc", Name: "Sigma", StartingAt: TS("2026-02-10T00:00:00Z"), UniquenessKey: "uk-k-s",
				OverlapsRefused:                  true, // written at create_contract version 4, which refused overlaps
				MultiplierOverridePrioritization: engine.PrioritizationLowestMultiplier, InvoiceGracePeriod: noGrace(),
				UsageStatementSchedule:       &engine.StatementScheduleInput{Frequency: engine.FrequencyMonthly, Day: engine.DayContractStart},
				BillingProviderConfiguration: &engine.ContractBillingProvider{BillingProvider: engine.ProviderStripeBilling, DeliveryMethod: engine.DeliveryDirect},
				Commits: []engine.CommitInput{
					{ID: "cm-s1", Type: engine.CommitPrepaid, ProductID: "p-buy", Name: "Starter", DoNotInvoice: true, AccessSchedule: access("50")},
					{ID: "cm-s2", Type: engine.CommitPrepaid, ProductID: "p-buy", Name: "Pack", AccessSchedule: access("100"), PaymentGate: stripe()},
				},
				PrepaidBalanceThreshold: &engine.RechargeInput{IsEnabled: &yes, ThresholdAmount: dp("10"), RechargeToAmount: dp("200"),
					Commit: &engine.ThresholdCommitInput{ProductID: "p-buy", Name: "Recharge"}, PaymentGate: stripe()}},
		}},
		{"2026-03-02T00:00:00Z", []engine.Command{
			&engine.ReleasePaymentGate{WorkflowID: engine.DeriveID("k-s", "payment_workflow", "0"), Outcome: engine.GatePaid, Provider: engine.ProviderStripe},
		}},
		{"2026-03-03T00:00:00Z", []engine.Command{
			&engine.EditContract{CustomerID: "cu-s", ContractID: "k-s", AddSpendThreshold: &engine.SpendThresholdInput{IsEnabled: &yes, ThresholdAmount: dp("100000"),
				Commit: &engine.ThresholdCommitInput{ProductID: "p-buy", Name: "Threshold"}, PaymentGate: stripe()}},
			// 100 calls at 2: 150 drawn, a recharge raised, 50 overage.
			events("sigma", "api_call", "s", 0, 100, "2026-03-03T00:00:00Z", nil),
		}},
		{"2026-03-10T06:00:00Z", []engine.Command{&engine.Tick{}}},
		{"2026-03-10T06:05:00Z", []engine.Command{
			&engine.RecordExternalInvoice{CustomerID: "cu-s", InvoiceID: engine.DeriveID("k-s", "invoice", "2026-02-10T00:00:00Z"),
				Provider: engine.ProviderStripeBilling, ExternalID: "in_golden_sigma", Status: engine.ExternalFinalized, IssuedAt: TS("2026-03-10T06:04:00Z")},
		}},
		{"2026-03-11T00:00:00Z", []engine.Command{
			&engine.ReleasePaymentGate{WorkflowID: engine.DeriveID("k-s", "payment_workflow", "1"), Outcome: engine.GatePaid, Provider: engine.ProviderStripe},
			events("sigma", "api_call", "s", 100, 5, "2026-03-11T00:00:00Z", nil),
		}},
	}
}

// CurrentScript is the history the newest fixture set (v0.5.0) replays:
// FullScript, then AdminSteps, ManualSteps, EditSteps, InvoiceSteps,
// ScheduledSteps, MultiSteps and CustomerBalanceSteps.
func CurrentScript() []Step {
	steps := append(append(append(append(FullScript(), AdminSteps()...), ManualSteps()...), EditSteps()...), InvoiceSteps()...)
	return append(append(append(append(steps, ScheduledSteps()...), MultiSteps()...), CustomerBalanceSteps()...), StripeInvoiceSteps()...)
}

// AdminSnapshotAfter is the number of CurrentScript entries applied when
// snapshot-admin.bin (and the data dir's third snapshot) is taken: after
// every entry but the last, so it holds customers in layout 15 (updated,
// an archived contract, an archived customer, manual ledger entries, a
// contract with separate SCHEDULED invoices, an add-on contract in force
// with another, with a usage filter, customer-level commits and credits, a
// STRIPE gate paid by invoice).
func AdminSnapshotAfter() int { return len(CurrentScript()) - 1 }

// AdminSteps exercise the customer administration commands (kinds 12 to
// 16, customer layout 10): Alpha renamed, Beta's aliases replaced (beta-2
// given up, so its usage after is an unknown customer's), Gamma given a
// stripe billing provider configuration, Epsilon's contract archived
// (voiding refused first), then Delta archived; in the last entry usage
// through the given-up and the new alias, and a rename of the archived
// customer (refused).
func AdminSteps() []Step {
	return []Step{
		{"2026-03-12T00:00:00Z", []engine.Command{
			&engine.SetCustomerName{CustomerID: "cu-a", Name: "Alpha Renamed"},
			&engine.SetIngestAliases{CustomerID: "cu-b", IngestAliases: []string{"beta", "beta-new"}},
			&engine.AddBillingProviders{CustomerID: "cu-c", Configurations: []engine.BillingProviderConfig{{BillingProvider: "stripe",
				DeliveryMethod: engine.DeliveryDirect, Configuration: map[string]string{"stripe_customer_id": "cus_gamma"}}}},
		}},
		{"2026-03-12T01:00:00Z", []engine.Command{
			&engine.ArchiveContract{CustomerID: "cu-c", ContractID: "k-c"},
			&engine.ArchiveCustomer{ID: "cu-d"},
		}},
		{"2026-03-12T02:00:00Z", []engine.Command{
			events("beta-2", "api_call", "adm-old", 0, 2, "2026-03-12T02:00:00Z", nil),
			events("beta-new", "api_call", "adm-new", 0, 2, "2026-03-12T02:00:00Z", nil),
			&engine.SetCustomerName{CustomerID: "cu-b", Name: "Beta Renamed"},
		}},
	}
}

// ManualSteps exercise manual ledger entries (add_manual_ledger_entry,
// kind 50, customer layout 11): Beta's credit gets 20 more (dated at its
// segment's start), Epsilon's commit of 4 left is drawn down by 7.5 (its
// ledger below zero, its balance 0); in the last entry Beta's usage draws
// the added credit and Epsilon's is billed as overage.
func ManualSteps() []Step {
	return []Step{
		{"2026-03-12T03:00:00Z", []engine.Command{
			&engine.AddManualLedgerEntry{CustomerID: "cu-b", ContractID: "k-b", CommitID: "cr-b", SegmentID: engine.DeriveID("cr-b", "segment", "0"),
				Amount: money.MustParse("20"), Reason: "support credit"},
			&engine.AddManualLedgerEntry{CustomerID: "cu-e", CommitID: "cm-e", SegmentID: engine.DeriveID("cm-e", "segment", "0"),
				Amount: money.MustParse("-7.5"), Reason: "outage correction", At: TS("2026-03-12T03:00:00Z")},
		}},
		{"2026-03-12T04:00:00Z", []engine.Command{
			events("beta", "completion", "man-b", 0, 4, "2026-03-12T04:00:00Z", map[string]string{"model": "m1", "n": "10"}),
			events("eps", "api_call", "man-e", 0, 2, "2026-03-12T04:00:00Z", nil),
		}},
	}
}

// EditSteps exercise balance edits (edit_contract version 5, edit_balance
// kind 52): Beta's contract renamed, its credit's segment ended later and
// a segment of 30 added from now; Epsilon's commit (used up, its ledger
// below zero) ended a month earlier; then Beta's credit raised to 80, and
// in the last entry Beta's usage draws the edited credit.
func EditSteps() []Step {
	segB := engine.DeriveID("cr-b", "segment", "0")
	name := "Beta platform"
	return []Step{
		{"2026-03-12T05:00:00Z", []engine.Command{
			&engine.EditContract{CustomerID: "cu-b", ContractID: "k-b", UpdateName: &name,
				UpdateCredits: []engine.BalanceUpdate{{ID: "cr-b", UpdateSegments: []engine.SegmentUpdate{{ID: segB, EndingBefore: TS("2026-12-01T00:00:00Z")}},
					AddSegments: []engine.ScheduleItem{{Amount: money.MustParse("30"), StartingAt: TS("2026-03-12T05:00:00Z"), EndingBefore: TS("2026-06-01T00:00:00Z")}}}}},
			&engine.EditBalance{CustomerID: "cu-e", Update: engine.BalanceUpdate{ID: "cm-e",
				UpdateSegments: []engine.SegmentUpdate{{ID: engine.DeriveID("cm-e", "segment", "0"), EndingBefore: TS("2026-05-01T00:00:00Z")}}}},
		}},
		{"2026-03-12T06:00:00Z", []engine.Command{
			&engine.EditBalance{CustomerID: "cu-b", Credit: true, Update: engine.BalanceUpdate{ID: "cr-b",
				UpdateSegments: []engine.SegmentUpdate{{ID: segB, Amount: amountPtr("80")}}}},
		}},
		{"2026-03-12T07:00:00Z", []engine.Command{
			events("beta", "completion", "edit-b", 0, 4, "2026-03-12T07:00:00Z", map[string]string{"model": "m1", "n": "10"}),
		}},
	}
}

func amountPtr(s string) *money.Amount {
	a := money.MustParse(s)
	return &a
}

// InvoiceSteps void and regenerate invoices (void_invoice and
// regenerate_invoice, kinds 56 and 57; no new customer layout): Beta's
// January invoice, which its credit paid, is voided (the credit gets its
// draw back) and regenerated (drawing it again); Alpha's February invoice
// is voided and left so.
func InvoiceSteps() []Step {
	betaJan := engine.DeriveID("k-b", "invoice", "2026-01-01T00:00:00Z")
	return []Step{
		{"2026-03-12T05:00:00Z", []engine.Command{
			&engine.VoidInvoice{CustomerID: "cu-b", InvoiceID: betaJan},
			&engine.VoidInvoice{CustomerID: "cu-a", InvoiceID: engine.DeriveID("k-a", "invoice", "2026-02-01T00:00:00Z")},
		}},
		{"2026-03-12T06:00:00Z", []engine.Command{
			&engine.RegenerateInvoice{CustomerID: "cu-b", InvoiceID: betaJan},
		}},
	}
}

// ScheduledSteps exercise scheduled charges on SCHEDULED invoices of their
// own (create_contract without scheduled_charges_on_usage_invoices ALL,
// customer layout 12): Tau's contract from 2026-03-01 bills a fee of 10000
// on the 1st of March (issued at once, the contract being backdated), at
// 06:00 on the 12th and on the 1st of April; in the last entry the tick at
// 06:00 issues the second, and Tau's usage goes on its usage invoice only.
func ScheduledSteps() []Step {
	fee := d("10000")
	return []Step{
		{"2026-03-12T05:00:00Z", []engine.Command{
			&engine.CreateCustomer{ID: "cu-t", Name: "Tau", IngestAliases: []string{"tau"}},
			&engine.CreateContract{ID: "k-t", CustomerID: "cu-t", RateCardID: "rc", StartingAt: TS("2026-03-01T00:00:00Z"),
				SeparateScheduledInvoices: true,
				OverlapsRefused:           true, // written at create_contract version 5, which refused overlaps
				ScheduledCharges: []engine.ScheduledChargeInput{{ID: "fee-t", ProductID: "p-buy", Name: "Platform fee", Items: []engine.ChargeItemInput{
					{Timestamp: TS("2026-03-01T00:00:00Z"), Amount: &fee}, {Timestamp: TS("2026-03-12T06:00:00Z"), Amount: &fee},
					{Timestamp: TS("2026-04-01T00:00:00Z"), Amount: &fee}}}}},
		}},
		{"2026-03-12T06:00:00Z", []engine.Command{
			&engine.Tick{},
			events("tau", "api_call", "sch-t", 0, 3, "2026-03-12T06:00:00Z", nil),
		}},
	}
}

// MultiSteps exercise several contracts in force at once (create_contract
// version 6 with a usage_filter, customer layout 13): Tau's add-on from
// 2026-03-10 overlaps its contract and rates only the calls of region eu,
// with a credit of its own; two such calls rate on both contracts, and in
// the last entry a call of region us on Tau's first contract only.
func MultiSteps() []Step {
	return []Step{
		{"2026-03-12T06:30:00Z", []engine.Command{
			&engine.CreateContract{ID: "k-t2", CustomerID: "cu-t", RateCardID: "rc", Name: "Tau EU add-on", StartingAt: TS("2026-03-10T00:00:00Z"),
				UsageFilter: &engine.UsageFilterInput{GroupKey: "region", GroupValues: []string{"eu"}},
				Credits: []engine.CommitInput{{ID: "cr-t2", ProductID: "p-buy", AccessSchedule: []engine.ScheduleItem{
					{Amount: d("3"), StartingAt: TS("2026-03-10T00:00:00Z"), EndingBefore: TS("2026-04-10T00:00:00Z")}}}}},
			events("tau", "api_call", "multi-t", 0, 2, "2026-03-12T06:30:00Z", map[string]string{"region": "eu"}),
		}},
		{"2026-03-12T07:00:00Z", []engine.Command{
			events("tau", "api_call", "multi-t", 2, 1, "2026-03-12T07:00:00Z", map[string]string{"region": "us"}),
		}},
	}
}

// CustomerBalanceSteps exercise customer-level commits and credits
// (create_customer_balance and update_customer_balance_end_date, kinds 42
// and 43, customer layout 14): Tau gets a commit of 4 that both its
// contracts draw (priority 1, before their own credits), bought on its
// first contract's invoices (the April item taken off by
// invoices_ending_before), and a credit of 2
// for its add-on only, whose end moves; an eu call draws on both
// contracts; in the last entry a call of region
// us on Tau's first contract only.
func CustomerBalanceSteps() []Step {
	item := []engine.ScheduleItem{{Amount: d("4"), StartingAt: TS("2026-03-01T00:00:00Z"), EndingBefore: TS("2026-04-15T00:00:00Z")}}
	return []Step{
		{"2026-03-12T07:30:00Z", []engine.Command{
			&engine.CreateCustomerBalance{CustomerID: "cu-t", UniquenessKey: "tau-commit", InvoiceContractID: "k-t", Balance: engine.CommitInput{Type: engine.CommitPrepaid,
				ProductID: "p-buy", Name: "Tau shared commit", Priority: dp("1"), AccessSchedule: item,
				InvoiceSchedule: []engine.InvoiceItem{{Timestamp: TS("2026-03-15T00:00:00Z"), Amount: d("4")}, {Timestamp: TS("2026-04-15T00:00:00Z"), Amount: d("1")}}}},
			&engine.CreateCustomerBalance{CustomerID: "cu-t", ApplicableContractIDs: []string{"k-t2"}, Balance: engine.CommitInput{Type: engine.CommitCredit,
				ProductID: "p-buy", Priority: dp("2"), AccessSchedule: []engine.ScheduleItem{{Amount: d("2"), StartingAt: TS("2026-03-10T00:00:00Z"), EndingBefore: TS("2026-04-10T00:00:00Z")}}}},
			&engine.UpdateCustomerBalanceEnd{CustomerID: "cu-t", BalanceID: engine.CustomerBalanceID("cu-t", 1), AccessEndingBefore: TS("2026-05-01T00:00:00Z")},
			&engine.UpdateCustomerBalanceEnd{CustomerID: "cu-t", BalanceID: engine.CustomerBalanceID("cu-t", 0), InvoicesEndingBefore: TS("2026-04-01T00:00:00Z")},
			events("tau", "api_call", "cb-t", 0, 1, "2026-03-12T07:30:00Z", map[string]string{"region": "eu"}),
		}},
		{"2026-03-12T08:00:00Z", []engine.Command{
			events("tau", "api_call", "cb-t", 1, 1, "2026-03-12T08:00:00Z", map[string]string{"region": "us"}),
		}},
	}
}

// StripeInvoiceSteps exercise a STRIPE gate paid through a Stripe invoice
// (stripe_config, customer layout 15): Sigma buys a pack whose gate has
// payment_type INVOICE and invoice metadata; in the last entry Stripe's
// answer settles it paid, naming the Stripe invoice.
func StripeInvoiceSteps() []Step {
	return []Step{
		{"2026-03-12T08:30:00Z", []engine.Command{
			&engine.EditContract{CustomerID: "cu-s", ContractID: "k-s", AddCommits: []engine.CommitInput{{ID: "cm-s3", Type: engine.CommitPrepaid, ProductID: "p-buy",
				Name: "Invoiced pack", AccessSchedule: []engine.ScheduleItem{{Amount: d("30"), StartingAt: TS("2026-03-12T00:00:00Z"), EndingBefore: TS("2027-03-12T00:00:00Z")}},
				PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice,
					InvoiceMetadata: map[string]string{"po": "PO-7"}}}}}},
		}},
		{"2026-03-12T09:00:00Z", []engine.Command{
			&engine.ReleasePaymentGate{WorkflowID: engine.DeriveID("k-s", "payment_workflow", "2"), Outcome: engine.GatePaid, Provider: engine.ProviderStripe,
				StripeInvoiceID: "in_golden_pack"},
		}},
	}
}
