package transport

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// The official SDK adds manual ledger entries to a prepaid-only
// customer's credit of 100 after 30 calls at 1 drew 30: +25.5 (95.5 left),
// then -120 (the ledger sums to -24.5: the balance shows 0 and the
// customer is no longer entitled), then +40 (15.5, entitled again). The
// ledger lists each as CREDIT_MANUAL with its reason and sums to the
// balance; usage after the negative entry is billed as overage. Refusals
// name their field: an unknown segment (404), a zero amount, a timestamp
// outside the segment and per_group_amounts (400).
func TestSDKManualLedgerEntry(t *testing.T) {
	f := newSDKFixture(t, 1)
	e, ctx, client, at, api, fixed, rc, id := f.e, f.ctx, f.client, f.at, f.api, f.fixed, f.rc, f.custID
	k, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{CustomerID: id, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		Credits: []metronome.V1ContractNewParamsCredit{{ProductID: fixed, Name: metronome.String("Promo"),
			AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{
				Amount: 100, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2026-02-01T00:00:00Z")}}}}}},
		option.WithJSONSet("prepaid_only", true)) // Burndown's own field: entitled only with a balance
	if err != nil {
		t.Fatal(err)
	}
	e.setClock(e.at("2026-01-02T00:00:00Z"))
	e.ingestAt("acme", "a", 30, "2026-01-02T00:00:00Z")

	balance := func() (float64, []string, float64) {
		t.Helper()
		page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: id,
			IncludeContractBalances: metronome.Bool(true), IncludeBalance: metronome.Bool(true), IncludeLedgers: metronome.Bool(true)})
		if err != nil || len(page.Data) != 1 {
			t.Fatalf("balances: %+v %v", page, err)
		}
		var manual []string
		var sum float64
		for _, l := range page.Data[0].Ledger.OfCreditLedgerArray {
			sum += l.Amount
			if l.Type == "CREDIT_MANUAL" {
				manual = append(manual, fmt.Sprintf("%g %s %s", l.Amount, l.Reason, l.Timestamp.UTC().Format(time.RFC3339)))
			}
		}
		return page.Data[0].Balance, manual, sum
	}
	page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: id, IncludeContractBalances: metronome.Bool(true)})
	if err != nil || len(page.Data) != 1 || len(page.Data[0].AccessSchedule.ScheduleItems) != 1 {
		t.Fatalf("balances: %+v %v", page, err)
	}
	credit, segment := page.Data[0].ID, page.Data[0].AccessSchedule.ScheduleItems[0].ID
	entry := func(amount float64, reason string, ts string) error {
		p := metronome.V1ContractAddManualBalanceEntryParams{CustomerID: id, ContractID: metronome.String(k.Data.ID), ID: credit, SegmentID: segment,
			Amount: amount, Reason: reason}
		if ts != "" {
			p.Timestamp = metronome.Time(at(ts))
		}
		return client.V1.Contracts.AddManualBalanceEntry(ctx, p)
	}
	if b, _, _ := balance(); b != 70 {
		t.Fatalf("balance before: %g, want 70", b)
	}
	if err := entry(25.5, "outage refund", ""); err != nil {
		t.Fatal(err)
	}
	if b, _, sum := balance(); b != 95.5 || sum != 95.5 || !e.check(id, api).Entitled {
		t.Fatalf("after +25.5: balance %g ledger %g", b, sum)
	}
	if err := entry(-120, "chargeback", "2026-01-02T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if b, _, sum := balance(); b != 0 || sum != -24.5 || e.check(id, api).Entitled {
		t.Fatalf("after -120: balance %g ledger %g, want 0 and -24.5, not entitled", b, sum)
	}
	if err := entry(40, "goodwill", ""); err != nil {
		t.Fatal(err)
	}
	b, manual, sum := balance()
	want := []string{"25.5 outage refund 2026-01-01T00:00:00Z", "40 goodwill 2026-01-01T00:00:00Z", "-120 chargeback 2026-01-02T00:00:00Z"}
	if b != 15.5 || sum != 15.5 || fmt.Sprint(manual) != fmt.Sprint(want) || !e.check(id, api).Entitled {
		t.Fatalf("after +40: balance %g ledger %g manual %v", b, sum, manual)
	}
	// 20 more calls: 15.5 from the credit, 4.5 overage.
	e.ingestAt("acme", "b", 20, "2026-01-02T00:00:00Z")
	if b, _, _ := balance(); b != 0 {
		t.Fatalf("after 20 more calls: %g", b)
	}

	err = client.V1.Contracts.AddManualBalanceEntry(ctx, metronome.V1ContractAddManualBalanceEntryParams{CustomerID: id, ID: credit, SegmentID: "nope", Amount: 1, Reason: "r"})
	if st, msg := sdkStatus(err); st != 404 || !strings.Contains(msg, "segment_id") {
		t.Fatalf("unknown segment: %d %s", st, msg)
	}
	if st, msg := sdkStatus(entry(0, "r", "")); st != 400 || !strings.Contains(msg, "amount: must not be zero") {
		t.Fatalf("zero amount: %d %s", st, msg)
	}
	if st, msg := sdkStatus(entry(1, "r", "2026-03-01T00:00:00Z")); st != 400 || !strings.Contains(msg, "timestamp") {
		t.Fatalf("timestamp outside the segment: %d %s", st, msg)
	}
	st, body := e.do("POST", "/v1/contracts/addManualBalanceLedgerEntry", map[string]any{"customer_id": id, "id": credit, "segment_id": segment,
		"amount": 1, "reason": "r", "per_group_amounts": map[string]any{"a": 1}})
	if st != 400 || !strings.Contains(string(body), "per_group_amounts") {
		t.Fatalf("per_group_amounts: %d %s", st, body)
	}
}

// ingestAt sends n api_call events of the alias at ts.
func (e *testEnv) ingestAt(alias, tag string, n int, ts string) {
	e.t.Helper()
	var events []any
	for i := 0; i < n; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprintf("%s-%s-%d", alias, tag, i), "customer_id": alias, "event_type": "api_call",
			"timestamp": e.at(ts)})
	}
	e.ok("POST", "/v1/ingest", events, nil)
}
