package transport

import (
	"context"
	"fmt"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
	"github.com/Metronome-Industries/metronome-go/v2/shared"
)

// The official Go SDK drives the server unchanged: catalog, customer,
// contract with a commit and a credit, ingest through an alias, balances.
func TestSDK(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	at := func(s string) time.Time { return mustTime(t, e.at(s)) }

	metric, err := client.V1.BillableMetrics.New(ctx, metronome.V1BillableMetricNewParams{
		Name: "api_calls", AggregationType: metronome.V1BillableMetricNewParamsAggregationTypeCount,
		EventTypeFilter: shared.EventTypeFilterParam{InValues: []string{"api_call"}},
	})
	if err != nil {
		t.Fatalf("metric: %v", err)
	}
	gotMetric, err := client.V1.BillableMetrics.Get(ctx, metronome.V1BillableMetricGetParams{BillableMetricID: metric.Data.ID})
	if err != nil || gotMetric.Data.Name != "api_calls" || gotMetric.Data.AggregationType != "COUNT" {
		t.Fatalf("metric get: %+v %v", gotMetric, err)
	}
	api, err := client.V1.Contracts.Products.New(ctx, metronome.V1ContractProductNewParams{
		Name: "API calls", Type: metronome.V1ContractProductNewParamsTypeUsage, BillableMetricID: metronome.String(metric.Data.ID),
	})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	purchase, err := client.V1.Contracts.Products.New(ctx, metronome.V1ContractProductNewParams{Name: "Credit purchase", Type: metronome.V1ContractProductNewParamsTypeFixed})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	gotProduct, err := client.V1.Contracts.Products.Get(ctx, metronome.V1ContractProductGetParams{ID: shared.IDParam{ID: api.Data.ID}})
	if err != nil || gotProduct.Data.Current.Name != "API calls" || gotProduct.Data.Current.BillableMetricID != metric.Data.ID {
		t.Fatalf("product get: %+v %v", gotProduct, err)
	}
	products, err := client.V1.Contracts.Products.List(ctx, metronome.V1ContractProductListParams{})
	if err != nil || len(products.Data) != 2 {
		t.Fatalf("product list: %+v %v", products, err)
	}
	rc, err := client.V1.Contracts.RateCards.New(ctx, metronome.V1ContractRateCardNewParams{Name: "Prepaid"})
	if err != nil {
		t.Fatalf("rate card: %v", err)
	}
	rate, err := client.V1.Contracts.RateCards.Rates.Add(ctx, metronome.V1ContractRateCardRateAddParams{
		RateCardID: rc.Data.ID, ProductID: api.Data.ID, Entitled: true, RateType: metronome.V1ContractRateCardRateAddParamsRateTypeFlat,
		StartingAt: at("2026-01-01T00:00:00Z"), Price: metronome.Float(1),
	})
	if err != nil || rate.Data.Price != 1 || rate.Data.RateType != "FLAT" {
		t.Fatalf("add rate: %+v %v", rate, err)
	}
	if _, err := client.V1.Contracts.RateCards.Rates.AddMany(ctx, metronome.V1ContractRateCardRateAddManyParams{
		RateCardID: rc.Data.ID, Rates: []metronome.V1ContractRateCardRateAddManyParamsRate{{
			ProductID: api.Data.ID, Entitled: true, RateType: "FLAT", StartingAt: at("2026-07-01T00:00:00Z"), Price: metronome.Float(1),
		}},
	}); err != nil {
		t.Fatalf("add rates: %v", err)
	}
	gotRC, err := client.V1.Contracts.RateCards.Get(ctx, metronome.V1ContractRateCardGetParams{ID: shared.IDParam{ID: rc.Data.ID}})
	if err != nil || gotRC.Data.Name != "Prepaid" || gotRC.Data.FiatCreditType.Name != "USD (cents)" {
		t.Fatalf("rate card get: %+v %v", gotRC, err)
	}

	cust, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Example Inc", IngestAliases: []string{"example-inc"}})
	if err != nil || cust.Data.ExternalID != "example-inc" {
		t.Fatalf("customer: %+v %v", cust, err)
	}
	gotCust, err := client.V1.Customers.Get(ctx, metronome.V1CustomerGetParams{CustomerID: cust.Data.ID})
	if err != nil || gotCust.Data.Name != "Example Inc" || len(gotCust.Data.IngestAliases) != 1 {
		t.Fatalf("customer get: %+v %v", gotCust, err)
	}
	list, err := client.V1.Customers.List(ctx, metronome.V1CustomerListParams{IngestAlias: metronome.String("example-inc")})
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != cust.Data.ID {
		t.Fatalf("customer list: %+v %v", list, err)
	}
	if _, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Dup", IngestAliases: []string{"example-inc"}}); err == nil {
		t.Fatal("a taken alias must fail")
	} else if apiErr, ok := err.(*metronome.Error); !ok || apiErr.StatusCode != 409 {
		t.Fatalf("taken alias: %v, want a 409 *metronome.Error", err)
	}

	contract, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{
		CustomerID: cust.Data.ID, RateCardID: metronome.String(rc.Data.ID), StartingAt: at("2026-01-01T00:00:00Z"),
		UniquenessKey: metronome.String("sdk-contract-1"),
		Commits: []metronome.V1ContractNewParamsCommit{{
			ProductID: purchase.Data.ID, Type: "PREPAID", Name: metronome.String("Prepaid credits"), Priority: metronome.Float(1),
			AccessSchedule: metronome.V1ContractNewParamsCommitAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCommitAccessScheduleScheduleItem{{
				Amount: 2000, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2027-01-01T00:00:00Z"),
			}}},
		}},
		Credits: []metronome.V1ContractNewParamsCredit{{
			ProductID: purchase.Data.ID, Name: metronome.String("Promo"),
			AccessSchedule: metronome.V1ContractNewParamsCreditAccessSchedule{ScheduleItems: []metronome.V1ContractNewParamsCreditAccessScheduleScheduleItem{{
				Amount: 150.5, StartingAt: at("2026-01-01T00:00:00Z"), EndingBefore: at("2027-01-01T00:00:00Z"),
			}}},
		}},
	})
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	// Reusing the uniqueness key is a 409.
	if _, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{
		CustomerID: cust.Data.ID, RateCardID: metronome.String(rc.Data.ID), StartingAt: at("2026-01-01T00:00:00Z"), UniquenessKey: metronome.String("sdk-contract-1"),
	}); err == nil {
		t.Fatal("a reused uniqueness_key must fail")
	}

	// Ingest 300 events through the alias, 100 per request.
	e.setClock(e.at("2026-01-02T00:00:00Z"))
	for r := 0; r < 3; r++ {
		var usage []metronome.V1UsageIngestParamsUsage
		for i := 0; i < 100; i++ {
			usage = append(usage, metronome.V1UsageIngestParamsUsage{
				TransactionID: fmt.Sprintf("sdk-%d-%d", r, i), CustomerID: "example-inc", EventType: "api_call",
				Timestamp: e.at("2026-01-02T00:00:00Z"), Properties: map[string]any{"region": "eu", "bytes": 12.5},
			})
		}
		if err := client.V1.Usage.Ingest(ctx, metronome.V1UsageIngestParams{Usage: usage}); err != nil {
			t.Fatalf("ingest: %v", err)
		}
	}

	got, err := client.V1.Contracts.Get(ctx, metronome.V1ContractGetParams{CustomerID: cust.Data.ID, ContractID: contract.Data.ID})
	if err != nil || got.Data.ID != contract.Data.ID || len(got.Data.Current.Commits) != 1 || len(got.Data.Current.Credits) != 1 || got.Data.Current.RateCardID != rc.Data.ID {
		t.Fatalf("contract get: %+v %v", got, err)
	}
	contracts, err := client.V1.Contracts.List(ctx, metronome.V1ContractListParams{CustomerID: cust.Data.ID})
	if err != nil || len(contracts.Data) != 1 {
		t.Fatalf("contract list: %+v %v", contracts, err)
	}

	page, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{
		CustomerID: cust.Data.ID, IncludeContractBalances: metronome.Bool(true), IncludeBalance: metronome.Bool(true), IncludeLedgers: metronome.Bool(true),
	})
	if err != nil {
		t.Fatalf("balances: %v", err)
	}
	balances := map[string]float64{}
	for _, b := range page.Data {
		balances[b.Type] = b.Balance
	}
	// The priority-1 commit and the credit (no priority: drawn after) —
	// the burn-down order decides; together 2150.5 - 300 remain.
	if len(page.Data) != 2 || balances["PREPAID"]+balances["CREDIT"] != 1850.5 {
		t.Fatalf("balances: %+v", page.Data)
	}
	if len(page.Data[0].Ledger.OfCommitLedgerArray) == 0 && len(page.Data[0].Ledger.OfCreditLedgerArray) == 0 && page.Data[0].JSON.Ledger.Raw() == "" {
		t.Fatalf("no ledger in %s", page.Data[0].RawJSON())
	}
	// Paging through the body cursor.
	p1, err := client.V1.Contracts.ListBalances(ctx, metronome.V1ContractListBalancesParams{CustomerID: cust.Data.ID, IncludeContractBalances: metronome.Bool(true), Limit: metronome.Int(1)})
	if err != nil || len(p1.Data) != 1 || p1.NextPage == "" {
		t.Fatalf("balances page 1: %+v %v", p1, err)
	}
	p2, err := p1.GetNextPage()
	if err != nil || p2 == nil || len(p2.Data) != 1 || p2.Data[0].ID == p1.Data[0].ID {
		t.Fatalf("balances page 2: %+v %v", p2, err)
	}
	types, err := client.V1.PricingUnits.List(ctx, metronome.V1PricingUnitListParams{})
	if err != nil || len(types.Data) == 0 {
		t.Fatalf("credit types: %+v %v", types, err)
	}
}
