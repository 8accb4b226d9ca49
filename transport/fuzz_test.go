package transport

import (
	"context"
	"errors"
	"testing"
	"time"

	"burndown/engine"
)

// FuzzDecode feeds arbitrary bodies to every request decoder: none may panic,
// and every failure must be a 4xx apiError with a message. `go test` runs the
// seeds; `go test -fuzz FuzzDecode ./transport` explores further.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`[{"transaction_id":"t","customer_id":"c","event_type":"e","timestamp":"2026-01-01T00:00:00Z","properties":{"a":"1","b":2.5,"c":true,"d":{"x":[1]}}}]`,
		`{"name":"Example","ingest_aliases":["a"],"custom_fields":{"k":"v"},"billing_config":{"billing_provider_type":"stripe","billing_provider_customer_id":"cus"}}`,
		`{"name":"m","aggregation_type":"sum","aggregation_key":"n","event_type_filter":{"in_values":["e"]},"property_filters":[{"name":"p","exists":true}],"group_keys":[["u"]]}`,
		`{"name":"p","type":"usage","billable_metric_id":"m","tags":["t"]}`,
		`{"name":"r","credit_type_conversions":[{"custom_credit_type_id":"x","fiat_per_custom_credit":0.1}]}`,
		`{"customer_id":"c","rate_card_id":"r","starting_at":"2026-01-01T00:00:00Z","prepaid_only":true,"commits":[{"type":"PREPAID","product_id":"p","priority":1,"access_schedule":{"schedule_items":[{"amount":2000,"starting_at":"2026-01-01T00:00:00Z","ending_before":"2027-01-01T00:00:00Z"}]}}],"overrides":[{"starting_at":"2026-01-01T00:00:00Z","applicable_product_tags":["premium"],"entitled":false}]}`,
		`{"rate_card_id":"r","product_id":"p","starting_at":"2026-01-01T00:00:00Z","entitled":true,"rate_type":"TIERED","tiers":[{"price":1,"size":10},{"price":0.5}]}`,
		`{"amount": 1e999999999}`, `{"amount": -0.0000000000000000000001}`, `[1e-999999999]`, "{\"name\":\"\xff\"}", `{"a":`, ``, `null`, `[[[[[]]]]]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// The catalog sums "tokens" on gen events and "b" on every event, so
	// ingest bodies also go through the summed-property checks (hostile
	// numbers: testdata/fuzz/FuzzDecode).
	node := newFakeNode(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, m := range []*engine.CreateMetric{
		{Name: "tokens", Aggregation: engine.AggSum, AggregationKey: "tokens", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"gen"}}},
		{Name: "b", Aggregation: engine.AggSum, AggregationKey: "b"},
	} {
		if _, err := node.Propose(context.Background(), m); err != nil {
			f.Fatal(err)
		}
	}
	srv := &Server{cfg: Config{MaxBodyBytes: DefaultMaxBodyBytes}, node: node}
	f.Fuzz(func(t *testing.T, body []byte) {
		decoders := []func([]byte) error{
			func(b []byte) error { _, err := srv.decodeEvents(b); return err },
			func(b []byte) error { _, err := decodeCreateCustomer(b); return err },
			func(b []byte) error { _, err := decodeCreateMetric(b); return err },
			func(b []byte) error { _, err := decodeCreateProduct(b); return err },
			func(b []byte) error { _, err := decodeCreateRateCard(b); return err },
			func(b []byte) error { _, err := decodeCreateContract(b); return err },
			func(b []byte) error {
				o, r, err := decodeObject(b)
				if err != nil {
					return err
				}
				decodeRate(o)
				return r.Err()
			},
		}
		for i, d := range decoders {
			err := d(body)
			if err == nil {
				continue
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 || ae.Message == "" {
				t.Fatalf("decoder %d: %v is not a 4xx apiError", i, err)
			}
		}
	})
}
