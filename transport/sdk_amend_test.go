package transport

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// The official SDK amends a contract from February: a credit of 100 for
// February, a 0.5 multiplier on API calls (10 each), a scheduled charge of
// 25 on the 15th and a prepaid commit for another product bought for 40.
// February's 10 calls cost 50, paid by the credit (50 left); the invoice
// bills the charge and the purchase: 65. contracts/get shows the added
// terms. Refusals name their field: a starting_at outside the contract, an
// override starting before the amendment, its custom_fields, discounts.
func TestSDKAmendContract(t *testing.T) {
	f := newSDKFixture(t, 10)
	e, ctx, client, at, api, fixed, rc, id := f.e, f.ctx, f.client, f.at, f.api, f.fixed, f.rc, f.custID
	k, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{CustomerID: id, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		EndingBefore: metronome.Time(at("2027-01-01T00:00:00Z")),
		// The amendment's charge is counted on February's usage invoice.
		ScheduledChargesOnUsageInvoices: metronome.V1ContractNewParamsScheduledChargesOnUsageInvoicesAll})
	if err != nil {
		t.Fatal(err)
	}
	feb, mar := at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z")
	amend := metronome.V1ContractAmendParams{CustomerID: id, ContractID: k.Data.ID, StartingAt: feb,
		Credits: []metronome.V1ContractAmendParamsCredit{{ProductID: fixed, Name: metronome.String("February credit"),
			AccessSchedule: metronome.V1ContractAmendParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractAmendParamsCreditAccessScheduleScheduleItem{{
				Amount: 100, StartingAt: feb, EndingBefore: mar}}}}},
		Commits: []metronome.V1ContractAmendParamsCommit{{ProductID: fixed, Type: "PREPAID", ApplicableProductIDs: []string{fixed},
			AccessSchedule: metronome.V1ContractAmendParamsCommitAccessSchedule{ScheduleItems: []metronome.V1ContractAmendParamsCommitAccessScheduleScheduleItem{{
				Amount: 40, StartingAt: feb, EndingBefore: mar}}},
			InvoiceSchedule: metronome.V1ContractAmendParamsCommitInvoiceSchedule{ScheduleItems: []metronome.V1ContractAmendParamsCommitInvoiceScheduleScheduleItem{{
				Timestamp: feb, Amount: metronome.Float(40)}}}}},
		ContractOverrides: []metronome.V1ContractAmendParamsOverride{{StartingAt: feb, ProductID: metronome.String(api), Type: "MULTIPLIER", Multiplier: metronome.Float(0.5)}},
		ScheduledCharges: []metronome.V1ContractAmendParamsScheduledCharge{{ProductID: fixed, Name: metronome.String("Setup"),
			Schedule: metronome.V1ContractAmendParamsScheduledChargeSchedule{ScheduleItems: []metronome.V1ContractAmendParamsScheduledChargeScheduleScheduleItem{{
				Timestamp: at("2026-02-15T00:00:00Z"), Amount: metronome.Float(25)}}}}},
	}
	res, err := client.V1.Contracts.Amend(ctx, amend)
	if err != nil || res.Data.ID == "" {
		t.Fatalf("amend: %+v %v", res, err)
	}
	e.setClock(e.at("2026-02-02T00:00:00Z"))
	e.ingestAt("acme", "feb", 10, "2026-02-02T00:00:00Z")

	got, err := client.V1.Contracts.Get(ctx, metronome.V1ContractGetParams{CustomerID: id, ContractID: k.Data.ID})
	if err != nil {
		t.Fatal(err)
	}
	cur := got.Data.Current
	if len(cur.Commits) != 1 || len(cur.Overrides) != 1 || cur.Overrides[0].Multiplier != 0.5 || len(cur.ScheduledCharges) != 1 || len(got.Data.Amendments) != 0 {
		t.Fatalf("current terms: %d commits, %d overrides, %d charges, %d amendments", len(cur.Commits), len(cur.Overrides), len(cur.ScheduledCharges), len(got.Data.Amendments))
	}
	page, err := client.V1.Customers.Invoices.List(ctx, metronome.V1CustomerInvoiceListParams{CustomerID: id})
	if err != nil {
		t.Fatal(err)
	}
	var febInv *metronome.Invoice
	for i := range page.Data {
		if page.Data[i].StartTimestamp.Equal(feb) {
			febInv = &page.Data[i]
		}
	}
	if febInv == nil {
		t.Fatalf("no february invoice among %d", len(page.Data))
	}
	var lines []string
	for _, l := range febInv.LineItems {
		lines = append(lines, fmt.Sprintf("%s %g", l.Type, l.Total))
	}
	sort.Strings(lines)
	if want := "[applied_commit_or_credit -50 commit_purchase 40 scheduled 25 usage 50]"; febInv.Total != 65 || fmt.Sprint(lines) != want {
		t.Fatalf("february: total %g lines %v, want 65 and %s", febInv.Total, lines, want)
	}

	refuse := func(p metronome.V1ContractAmendParams, opts []option.RequestOption, want string) {
		t.Helper()
		_, err := client.V1.Contracts.Amend(ctx, p, opts...)
		if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, `"message":"`+want) {
			t.Errorf("got %d %s, want 400 %q", st, msg, want)
		}
	}
	base := metronome.V1ContractAmendParams{CustomerID: id, ContractID: k.Data.ID, StartingAt: feb}
	early := base
	early.StartingAt = at("2025-12-01T00:00:00Z")
	refuse(early, nil, "starting_at: must lie within the contract's term")
	late := base
	late.ContractOverrides = []metronome.V1ContractAmendParamsOverride{{StartingAt: at("2026-01-15T00:00:00Z"), ProductID: metronome.String(api), Entitled: metronome.Bool(true)}}
	refuse(late, nil, "overrides[0].starting_at: must not be before the amendment's starting_at")
	cf := base
	cf.CustomFields = map[string]string{"deal": "x"}
	refuse(cf, nil, "custom_fields: is not supported")
	refuse(base, []option.RequestOption{option.WithJSONSet("discounts", []any{map[string]any{"product_id": fixed}})}, "discounts")
}
