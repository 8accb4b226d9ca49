package transport

import (
	"fmt"
	"strings"
	"testing"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/shared"
)

// Two contracts for one customer through the official SDK: a platform
// contract (API calls at 2, a credit of 100) and an add-on on another rate
// card (GPU jobs at 5, a credit of 50) whose usage_filter selects team ml.
// Each rates its own usage and burns its own credit; the entitlement check
// answers for the customer; both reads show the filter; a filter with a
// schedule is refused by name.
func TestSeveralContractsThroughTheSDK(t *testing.T) {
	f := newSDKFixture(t, 2)
	e := f.e
	gpu, addonCard := f.gpuAddonCard()
	credit := func(amount float64) []metronome.V1ContractNewParamsCredit {
		return []metronome.V1ContractNewParamsCredit{{ProductID: f.fixed, AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{
			ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{Amount: amount, StartingAt: f.at("2026-01-01T00:00:00Z"), EndingBefore: f.at("2027-01-01T00:00:00Z")}}}}}
	}
	platform, err := f.client.V1.Contracts.New(f.ctx, metronome.V1ContractNewParams{CustomerID: f.custID, RateCardID: metronome.String(f.rc),
		StartingAt: f.at("2026-01-01T00:00:00Z"), Credits: credit(100)})
	if err != nil {
		t.Fatal(err)
	}
	addon, err := f.client.V1.Contracts.New(f.ctx, metronome.V1ContractNewParams{CustomerID: f.custID, RateCardID: metronome.String(addonCard),
		StartingAt: f.at("2026-01-01T00:00:00Z"), Credits: credit(50),
		UsageFilter: shared.BaseUsageFilterParam{GroupKey: "team", GroupValues: []string{"ml"}}})
	if err != nil {
		t.Fatalf("an overlapping add-on: %v", err)
	}
	e.refused("/v1/contracts/create", fmt.Sprintf(`{"customer_id":%q,"rate_card_id":%q,"starting_at":%q,"usage_filter":{"group_key":"team","group_values":["ml"],"starting_at":%q}}`,
		f.custID, addonCard, e.at("2026-01-01T00:00:00Z"), e.at("2026-02-01T00:00:00Z")),
		"usage_filter.starting_at: a filter starting after the contract's starting_at is not supported by this server yet; omit it or send the contract's starting_at (2026-01-01T00:00:00Z)")

	e.setClock(e.at("2026-01-02T00:00:00Z"))
	var events []any
	add := func(n int, eventType, team string) {
		for i := 0; i < n; i++ {
			ev := map[string]any{"transaction_id": fmt.Sprintf("%s-%s-%d", eventType, team, i), "customer_id": "acme", "event_type": eventType, "timestamp": e.at("2026-01-02T00:00:00Z")}
			if team != "" {
				ev["properties"] = map[string]any{"team": team}
			}
			events = append(events, ev)
		}
	}
	add(10, "api_call", "")  // platform: 20
	add(4, "gpu_job", "ml")  // add-on: 20
	add(3, "gpu_job", "web") // neither prices or selects it
	e.ok("POST", "/v1/ingest", events, nil)

	// The platform's credit covers API calls (100 - 20), the add-on's GPU
	// jobs (50 - 20); the check answers each product from the contract
	// that prices it.
	e.waitCheck(f.custID, f.api, "80")
	if c := e.waitCheck(f.custID, gpu, "30"); !c.Entitled || c.Reason != "ok" {
		t.Fatalf("gpu: %+v", c)
	}
	balance := func(contractID string) float64 {
		got, err := f.client.V1.Contracts.Get(f.ctx, metronome.V1ContractGetParams{CustomerID: f.custID, ContractID: contractID, IncludeBalance: metronome.Bool(true)})
		if err != nil || len(got.Data.Current.Credits) != 1 {
			t.Fatalf("get %s: %v", contractID, err)
		}
		return got.Data.Current.Credits[0].Balance
	}
	if p, a := balance(platform.Data.ID), balance(addon.Data.ID); p != 80 || a != 30 {
		t.Fatalf("balances: platform %v, add-on %v", p, a)
	}

	v1, err := f.client.V1.Contracts.Get(f.ctx, metronome.V1ContractGetParams{CustomerID: f.custID, ContractID: addon.Data.ID})
	if err != nil {
		t.Fatal(err)
	}
	if uf := v1.Data.Current.UsageFilter.Current; uf.GroupKey != "team" || strings.Join(uf.GroupValues, ",") != "ml" || len(v1.Data.Current.UsageFilter.Updates) != 0 {
		t.Fatalf("v1 usage_filter: %+v", v1.Data.Current.UsageFilter)
	}
	v2, err := f.client.V2.Contracts.Get(f.ctx, metronome.V2ContractGetParams{CustomerID: f.custID, ContractID: addon.Data.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Data.UsageFilter) != 1 || v2.Data.UsageFilter[0].GroupKey != "team" || !v2.Data.UsageFilter[0].StartingAt.Equal(f.at("2026-01-01T00:00:00Z")) {
		t.Fatalf("v2 usage_filter: %+v", v2.Data.UsageFilter)
	}
	plain, err := f.client.V2.Contracts.Get(f.ctx, metronome.V2ContractGetParams{CustomerID: f.custID, ContractID: platform.Data.ID})
	if err != nil || len(plain.Data.UsageFilter) != 0 {
		t.Fatalf("v2 platform usage_filter: %+v %v", plain.Data.UsageFilter, err)
	}
	list, err := f.client.V1.Contracts.List(f.ctx, metronome.V1ContractListParams{CustomerID: f.custID})
	if err != nil || len(list.Data) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
}
