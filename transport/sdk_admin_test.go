package transport

import (
	"context"
	"strings"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
	"github.com/Metronome-Industries/metronome-go/v2/shared"

	"burndown/engine"
)

// sdkStatus is the HTTP status of an SDK call's error (0: none or not an
// API error) and its message.
func sdkStatus(err error) (int, string) {
	if apiErr, ok := err.(*metronome.Error); ok {
		return apiErr.StatusCode, apiErr.RawJSON()
	}
	return 0, ""
}

// The official SDK drives customer administration: setName and
// setIngestAliases move updated_at, a given-up alias stops resolving and
// one another customer holds is a 409; Stripe is linked after creation
// with setCustomerBillingProviderConfigurations (a contract may then send
// to Stripe, refused before) and read back with its id; contracts/archive
// refuses void_invoices and otherwise ends entitlement; customers/archive
// hides the customer from the default list, shows it with only_archived,
// and keeps its alias taken.
func TestSDKCustomerAdministration(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	at := func(s string) time.Time { return mustTime(t, e.at(s)) }
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"call"}}})
	api := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API", "type": "USAGE", "billable_metric_id": metric})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "RC"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": 1}, nil)

	acme, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Acme", IngestAliases: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	id := acme.Data.ID
	if _, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Other", IngestAliases: []string{"taken"}}); err != nil {
		t.Fatal(err)
	}
	k, err := client.V1.Contracts.New(ctx, metronome.V1ContractNewParams{CustomerID: id, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}

	e.setClock(e.at("2026-01-02T00:00:00Z"))
	named, err := client.V1.Customers.SetName(ctx, metronome.V1CustomerSetNameParams{CustomerID: id, Name: "Acme Corp"})
	if err != nil || named.Data.Name != "Acme Corp" || named.Data.ID != id {
		t.Fatalf("setName: %+v %v", named, err)
	}
	got, err := client.V1.Customers.Get(ctx, metronome.V1CustomerGetParams{CustomerID: id})
	if err != nil || got.Data.Name != "Acme Corp" || !got.Data.UpdatedAt.Equal(at("2026-01-02T00:00:00Z")) || !got.Data.CreatedAt.Equal(at("2026-01-01T00:00:00Z")) {
		t.Fatalf("after setName: %+v %v", got, err)
	}

	err = client.V1.Customers.SetIngestAliases(ctx, metronome.V1CustomerSetIngestAliasesParams{CustomerID: id, IngestAliases: []string{"acme-new", "taken"}})
	if st, msg := sdkStatus(err); st != 409 || !strings.Contains(msg, `ingest_aliases[1]`) || !strings.Contains(msg, "taken") {
		t.Fatalf("an alias another customer holds: %d %s (%v), want 409 naming it", st, msg, err)
	}
	e.setClock(e.at("2026-01-03T00:00:00Z"))
	if err := client.V1.Customers.SetIngestAliases(ctx, metronome.V1CustomerSetIngestAliasesParams{CustomerID: id, IngestAliases: []string{"acme-new"}}); err != nil {
		t.Fatal(err)
	}
	got, err = client.V1.Customers.Get(ctx, metronome.V1CustomerGetParams{CustomerID: id})
	if err != nil || strings.Join(got.Data.IngestAliases, ",") != "acme-new" || got.Data.ExternalID != "acme-new" || !got.Data.UpdatedAt.Equal(at("2026-01-03T00:00:00Z")) {
		t.Fatalf("after setIngestAliases: %+v %v", got.Data, err)
	}
	for alias, want := range map[string]int{"acme": 0, "acme-new": 1} {
		list, err := client.V1.Customers.List(ctx, metronome.V1CustomerListParams{IngestAlias: metronome.String(alias)})
		if err != nil || len(list.Data) != want {
			t.Fatalf("list by alias %s: %+v %v, want %d", alias, list, err, want)
		}
	}
	usage := func(alias, tx string) error {
		return client.V1.Usage.Ingest(ctx, metronome.V1UsageIngestParams{Usage: []metronome.V1UsageIngestParamsUsage{{
			TransactionID: tx, CustomerID: alias, EventType: "call", Timestamp: e.at("2026-01-03T00:00:00Z")}}})
	}
	if err := usage("acme", "old-alias"); err != nil {
		t.Fatal(err)
	}
	if err := usage("acme-new", "new-alias"); err != nil {
		t.Fatal(err)
	}
	if inv := e.invoices(id, ""); len(inv) != 1 || fOf(t, inv[0].Total) != 1 {
		t.Fatalf("invoices %+v: want only the event through the new alias rated", inv)
	}

	// Stripe linked after creation.
	beta := e.create("/v1/customers", map[string]any{"name": "Beta"})
	stripeContract := metronome.V1ContractNewParams{CustomerID: beta, RateCardID: metronome.String(rc), StartingAt: at("2026-01-01T00:00:00Z"),
		BillingProviderConfiguration: metronome.V1ContractNewParamsBillingProviderConfiguration{BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider"}}
	if _, err := client.V1.Contracts.New(ctx, stripeContract); err == nil {
		t.Fatal("a Stripe contract for a customer without a Stripe configuration must fail")
	}
	confs, err := client.V1.Customers.GetBillingConfigurations(ctx, metronome.V1CustomerGetBillingConfigurationsParams{CustomerID: beta})
	if err != nil || len(confs.Data) != 0 {
		t.Fatalf("configurations before: %+v %v", confs, err)
	}
	err = client.V1.Customers.SetBillingConfigurations(ctx, metronome.V1CustomerSetBillingConfigurationsParams{Data: []metronome.V1CustomerSetBillingConfigurationsParamsData{{
		CustomerID: beta, BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider",
		Configuration: map[string]any{"stripe_customer_id": "cus_beta", "leave_stripe_invoices_in_draft": true},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	err = client.V1.Customers.SetBillingConfigurations(ctx, metronome.V1CustomerSetBillingConfigurationsParams{Data: []metronome.V1CustomerSetBillingConfigurationsParamsData{{
		CustomerID: beta, BillingProvider: "stripe", DeliveryMethod: "direct_to_billing_provider", TaxProvider: "anrok"}}})
	if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, "data[0].tax_provider") {
		t.Fatalf("tax_provider: %d %s, want 400 naming it", st, msg)
	}
	confs, err = client.V1.Customers.GetBillingConfigurations(ctx, metronome.V1CustomerGetBillingConfigurationsParams{CustomerID: beta})
	if err != nil || len(confs.Data) != 1 {
		t.Fatalf("configurations after: %+v %v", confs, err)
	}
	c := confs.Data[0]
	if c.ID != engine.BillingProviderConfigID(beta, 0) || c.CustomerID != beta || c.BillingProvider != "stripe" || c.DeliveryMethod != "direct_to_billing_provider" ||
		c.Configuration["stripe_customer_id"] != "cus_beta" || c.Configuration["leave_stripe_invoices_in_draft"] != "true" {
		t.Fatalf("configuration %+v", c)
	}
	if _, err := client.V1.Contracts.New(ctx, stripeContract); err != nil {
		t.Fatalf("a Stripe contract once Stripe is linked: %v", err)
	}

	// contracts/archive, then customers/archive.
	if !e.check(id, api).Entitled {
		t.Fatal("not entitled before the archive")
	}
	archived, err := client.V1.Contracts.Archive(ctx, metronome.V1ContractArchiveParams{CustomerID: id, ContractID: k.Data.ID, VoidInvoices: true})
	if err != nil || archived.Data.ID != k.Data.ID {
		t.Fatalf("contracts/archive: %+v %v", archived, err)
	}
	// Archiving again is a no-op, unless it asks to void what is left.
	if again, err := client.V1.Contracts.Archive(ctx, metronome.V1ContractArchiveParams{CustomerID: id, ContractID: k.Data.ID}); err != nil || again.Data.ID != k.Data.ID {
		t.Fatalf("contracts/archive again: %+v %v", again, err)
	}
	_, err = client.V1.Contracts.Archive(ctx, metronome.V1ContractArchiveParams{CustomerID: id, ContractID: k.Data.ID, VoidInvoices: true})
	if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, "void_invoices: contract "+k.Data.ID+" is already archived") {
		t.Fatalf("void_invoices on an archived contract: %d %s, want 400 naming it", st, msg)
	}
	if e.check(id, api).Entitled {
		t.Fatal("entitled by an archived contract")
	}
	if inv := e.invoices(id, ""); len(inv) != 0 {
		t.Fatalf("the archived contract's draft is still listed: %+v", inv)
	}
	e.setClock(e.at("2026-01-04T00:00:00Z"))
	gone, err := client.V1.Customers.Archive(ctx, metronome.V1CustomerArchiveParams{ID: shared.IDParam{ID: id}})
	if err != nil || gone.Data.ID != id {
		t.Fatalf("customers/archive: %+v %v", gone, err)
	}
	active, err := client.V1.Customers.List(ctx, metronome.V1CustomerListParams{})
	if err != nil || len(active.Data) != 2 {
		t.Fatalf("default list: %+v %v, want the two active customers", active, err)
	}
	for _, cu := range active.Data {
		if cu.ID == id {
			t.Fatal("an archived customer is in the default list")
		}
	}
	only, err := client.V1.Customers.List(ctx, metronome.V1CustomerListParams{OnlyArchived: metronome.Bool(true)})
	if err != nil || len(only.Data) != 1 || only.Data[0].ID != id || !only.Data[0].ArchivedAt.Equal(at("2026-01-04T00:00:00Z")) {
		t.Fatalf("only_archived: %+v %v", only, err)
	}
	if _, err := client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Reuse", IngestAliases: []string{"acme-new"}}); err == nil {
		t.Fatal("an archived customer's alias must stay taken")
	}
	err = client.V1.Customers.SetIngestAliases(ctx, metronome.V1CustomerSetIngestAliasesParams{CustomerID: id, IngestAliases: []string{"free"}})
	if st, msg := sdkStatus(err); st != 400 || !strings.Contains(msg, "is archived") {
		t.Fatalf("aliases of an archived customer: %d %s", st, msg)
	}
}
