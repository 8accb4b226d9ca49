package transport

import (
	"context"
	"testing"
	"time"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/option"
)

// sdkFixture is where the SDK-driven balance tests start: a node whose clock
// reads 2026-01-01, the official client on it, a calls metric priced
// through product api at price per call on rate card rc, a FIXED product
// fixed for commits and credits, and customer Acme (alias acme).
type sdkFixture struct {
	e                              *testEnv
	ctx                            context.Context
	client                         metronome.Client
	at                             func(string) time.Time
	metric, api, fixed, rc, custID string
}

func newSDKFixture(t *testing.T, price int) sdkFixture {
	t.Helper()
	f := sdkFixture{e: newEnv(t, "2026-01-01T00:00:00Z")}
	e := f.e
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	f.ctx = ctx
	f.client = metronome.NewClient(option.WithBaseURL(e.base+"/"), option.WithBearerToken(testToken), option.WithMaxRetries(0))
	f.at = func(s string) time.Time { return mustTime(t, e.at(s)) }
	f.metric = e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	f.api = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API", "type": "USAGE", "billable_metric_id": f.metric})
	f.fixed = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Credits", "type": "FIXED"})
	f.rc = e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "RC"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": f.rc, "product_id": f.api, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": price}, nil)
	cust, err := f.client.V1.Customers.New(ctx, metronome.V1CustomerNewParams{Name: "Acme", IngestAliases: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	f.custID = cust.Data.ID
	return f
}

// gpuAddonCard makes the add-on catalog the several-contract tests share:
// a GPU product (events of type gpu_job, counted) and a rate card pricing
// it at 5 from January 2026. It returns the product and the rate card.
func (f sdkFixture) gpuAddonCard() (gpu, card string) {
	e := f.e
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "gpu", "event_type_filter": map[string]any{"in_values": []string{"gpu_job"}}})
	gpu = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "GPU", "type": "USAGE", "billable_metric_id": metric})
	card = e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Add-on"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": card, "product_id": gpu, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": 5}, nil)
	return gpu, card
}
