package transport

import (
	"context"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// Seed 004's Best contract (a monthly charge of 10000 from February to
// July 2025) created without scheduled_charges_on_usage_invoices: six
// SCHEDULED invoices of 10000, each dated at its charge and issued then
// (February's at once, the clock being there), fetched and listed in the
// SDK's shape; the usage invoice holds the usage only. With ALL the
// charges are lines of the usage invoices, as before. contracts/get (v1
// and v2) shows ALL only on the second.
func TestHTTPScheduledInvoices(t *testing.T) {
	e := newEnv(t, "2025-02-01T00:00:00Z")
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "AutoSales"})
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "emails", "aggregation_type": "count",
		"event_type_filter": map[string]any{"in_values": []string{"Email generation"}}})
	email := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Email generation", "type": "USAGE", "billable_metric_id": metric})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": email,
		"starting_at": "2024-01-01T00:00:00Z", "entitled": true, "rate_type": "FLAT", "price": 10}, nil)
	aiModel := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "AI model", "type": "FIXED"})
	contract := func(cust string, all bool) string {
		body := map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": "2025-02-01T00:00:00Z", "ending_before": "2025-08-01T00:00:00Z",
			"scheduled_charges": []any{map[string]any{"product_id": aiModel, "schedule": map[string]any{"recurring_schedule": map[string]any{
				"starting_at": "2025-02-01T00:00:00Z", "ending_before": "2025-08-01T00:00:00Z", "frequency": "monthly", "amount": "10000", "amount_distribution": "each"}}}}}
		if all {
			body["scheduled_charges_on_usage_invoices"] = "ALL"
		}
		return e.create("/v1/contracts/create", body)
	}
	sep := e.create("/v1/customers", map[string]any{"name": "Separate", "ingest_aliases": []string{"sep"}})
	all := e.create("/v1/customers", map[string]any{"name": "Consolidated", "ingest_aliases": []string{"all"}})
	sepK, allK := contract(sep, false), contract(all, true)
	e.ok("POST", "/v1/ingest", []map[string]any{{"transaction_id": "s1", "customer_id": "sep", "event_type": "Email generation", "timestamp": "2025-02-01T00:00:00Z"},
		{"transaction_id": "a1", "customer_id": "all", "event_type": "Email generation", "timestamp": "2025-02-01T00:00:00Z"}}, nil)

	for _, c := range []struct{ cust, k, want string }{{sep, sepK, ""}, {all, allK, "ALL"}} {
		var v1 struct {
			Data struct {
				Current map[string]any `json:"current"`
			} `json:"data"`
		}
		var v2 struct {
			Data map[string]any `json:"data"`
		}
		e.ok("POST", "/v1/contracts/get", map[string]any{"customer_id": c.cust, "contract_id": c.k}, &v1)
		e.ok("POST", "/v2/contracts/get", map[string]any{"customer_id": c.cust, "contract_id": c.k}, &v2)
		got1, _ := v1.Data.Current["scheduled_charges_on_usage_invoices"].(string)
		got2, _ := v2.Data["scheduled_charges_on_usage_invoices"].(string)
		if got1 != c.want || got2 != c.want {
			t.Errorf("contract %s: scheduled_charges_on_usage_invoices v1 %q v2 %q, want %q", c.k, got1, got2, c.want)
		}
	}

	sched := e.invoices(sep, "?type=SCHEDULED&limit=100")
	if len(sched) != 6 {
		t.Fatalf("%d SCHEDULED invoices, want 6", len(sched))
	}
	for i, inv := range sched {
		at := time.Date(2025, time.Month(2+i), 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
		status := "DRAFT"
		if i == 0 {
			status = "FINALIZED"
		}
		if inv.Type != "SCHEDULED" || inv.Status != status || inv.StartTimestamp != at || inv.EndTimestamp != at || inv.IssuedAt != at ||
			string(inv.Total) != "10000" || len(inv.LineItems) != 1 || inv.LineItems[0].Type != "scheduled" || inv.LineItems[0].ProductID != aiModel {
			t.Fatalf("SCHEDULED invoice %d: %+v", i, inv)
		}
	}
	usage := e.invoices(sep, "?type=USAGE")
	if len(usage) != 1 || string(usage[0].Total) != "10" || len(usage[0].LineItems) != 1 || usage[0].LineItems[0].Type != "usage" {
		t.Fatalf("usage invoices: %+v", usage)
	}
	if n := len(e.invoices(sep, "?limit=100")); n != 7 {
		t.Fatalf("%d invoices in all, want 7", n)
	}
	consolidated := e.invoices(all, "?limit=100")
	if len(consolidated) != 6 || consolidated[0].Type != "USAGE" || string(consolidated[0].Total) != "10010" || len(e.invoices(all, "?type=SCHEDULED")) != 0 {
		t.Fatalf("ALL: %+v", consolidated)
	}

	// The official SDK reads a SCHEDULED invoice.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	got, err := client.V1.Customers.Invoices.Get(ctx, metronome.V1CustomerInvoiceGetParams{CustomerID: sep, InvoiceID: sched[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Data; d.Type != "SCHEDULED" || d.Total != 10000 || !d.IssuedAt.Equal(mustTime(t, "2025-02-01T00:00:00Z")) ||
		len(d.LineItems) != 1 || d.LineItems[0].Type != "scheduled" || d.LineItems[0].ScheduledChargeID == "" {
		t.Fatalf("SDK invoice %+v", d)
	}

	// A value other than ALL is refused, naming the field.
	st, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": all, "rate_card_id": rc, "starting_at": "2025-08-01T00:00:00Z",
		"scheduled_charges_on_usage_invoices": "SOME"})
	if st != 400 || !contains(body, "scheduled_charges_on_usage_invoices: must be one of ALL") {
		t.Fatalf("SOME: %d %s", st, body)
	}
}
