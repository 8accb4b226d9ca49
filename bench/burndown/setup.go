package burndown

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"burndown/bench/target"
)

// Catalog is what Setup created: the ids a benchmark needs.
type Catalog struct {
	EventType  string `json:"event_type"`
	MetricID   string `json:"billable_metric_id"`
	ProductID  string `json:"product_id"`
	RateCardID string `json:"rate_card_id"`
	// Price is the FLAT price per event and Amount each customer's prepaid commit,
	// both in USD cents.
	Price  int64 `json:"price"`
	Amount int64 `json:"amount"`
}

// SetupOptions shapes the catalog and contracts.
type SetupOptions struct {
	Price   int64 // per event, default 1
	Amount  int64 // per commit, default 1e12
	Commits int   // prepaid commits per contract, default 1
	Conns   int   // concurrent requests, default 32
	// Progress, if set, is called now and then with how many customers are done.
	Progress func(done int)
}

// Setup creates one COUNT metric, one USAGE product, one rate card with an entitled
// FLAT rate, and for each customer a customer (its key as ingest alias) and a
// contract with prepaid commits. It returns the catalog and each customer's id.
func Setup(ctx context.Context, c *Client, cust *target.Customers, o SetupOptions) (Catalog, []string, error) {
	if o.Price == 0 {
		o.Price = 1
	}
	if o.Amount == 0 {
		o.Amount = 1_000_000_000_000
	}
	if o.Commits == 0 {
		o.Commits = 1
	}
	if o.Conns == 0 {
		o.Conns = 32
	}
	cat := Catalog{EventType: "bench_" + cust.Run, Price: o.Price, Amount: o.Amount}
	start := time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)
	startS := start.Format(time.RFC3339)
	endS := start.AddDate(10, 0, 0).Format(time.RFC3339)
	var err error
	if cat.MetricID, err = c.Create(ctx, "/v1/billable-metrics/create", map[string]any{
		"name": "bench calls " + cust.Run, "event_type_filter": map[string]any{"in_values": []string{cat.EventType}},
		"aggregation_type": "COUNT",
	}); err != nil {
		return cat, nil, fmt.Errorf("setup metric: %w", err)
	}
	if cat.ProductID, err = c.Create(ctx, "/v1/contract-pricing/products/create", map[string]any{
		"name": "bench calls " + cust.Run, "type": "USAGE", "billable_metric_id": cat.MetricID,
	}); err != nil {
		return cat, nil, fmt.Errorf("setup product: %w", err)
	}
	if cat.RateCardID, err = c.Create(ctx, "/v1/contract-pricing/rate-cards/create", map[string]any{
		"name": "bench " + cust.Run,
	}); err != nil {
		return cat, nil, fmt.Errorf("setup rate card: %w", err)
	}
	if err = c.Do(ctx, "POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{
		"rate_card_id": cat.RateCardID, "product_id": cat.ProductID, "starting_at": startS,
		"entitled": true, "rate_type": "FLAT", "price": o.Price,
	}, nil); err != nil {
		return cat, nil, fmt.Errorf("setup rate: %w", err)
	}

	commits := make([]map[string]any, o.Commits)
	for k := range commits {
		commits[k] = map[string]any{
			"type": "PREPAID", "product_id": cat.ProductID,
			"access_schedule": map[string]any{"schedule_items": []map[string]any{{
				"amount": o.Amount, "starting_at": startS, "ending_before": endS,
			}}},
		}
	}
	// The contract's body but its customer_id is the same for every
	// customer: encoded once, so that the load generator, which shares the
	// machine with the server, spends little of it on JSON.
	contractTail, err := json.Marshal(map[string]any{"rate_card_id": cat.RateCardID, "starting_at": startS, "commits": commits})
	if err != nil {
		return cat, nil, fmt.Errorf("setup contract: %w", err)
	}
	ids := make([]string, cust.N)
	err = parallel(ctx, cust.N, o.Conns, o.Progress, func(ctx context.Context, i int) error {
		key := jsonString(cust.Key(i))
		id, err := c.Create(ctx, "/v1/customers", json.RawMessage(`{"name":`+key+`,"ingest_aliases":[`+key+`]}`))
		if err == nil {
			_, err = c.Create(ctx, "/v1/contracts/create", json.RawMessage(`{"customer_id":`+jsonString(id)+`,`+string(contractTail[1:])))
		}
		if err != nil {
			return fmt.Errorf("setup customer %d: %w", i, err)
		}
		ids[i] = id
		return nil
	})
	return cat, ids, err
}

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// AlertsPerCustomer is how many alerts AddAlerts gives each customer.
const AlertsPerCustomer = 2

// AddAlerts gives each customer two alerts that the bench's load never
// crosses (a low remaining commit balance and a usage threshold), so that a
// state-size figure counts what alerts cost to hold, not to fire.
func AddAlerts(ctx context.Context, c *Client, cat Catalog, ids []string, conns int, progress func(done int)) error {
	return parallel(ctx, len(ids), conns, progress, func(ctx context.Context, i int) error {
		alerts := []map[string]any{
			{"name": "low commit", "alert_type": "low_remaining_commit_balance_reached", "customer_id": ids[i], "threshold": 100},
			{"name": "usage", "alert_type": "usage_threshold_reached", "customer_id": ids[i],
				"billable_metric_id": cat.MetricID, "threshold": 1_000_000_000},
		}
		for _, a := range alerts[:AlertsPerCustomer] {
			if _, err := c.Create(ctx, "/v1/alerts/create", a); err != nil {
				return fmt.Errorf("alert for customer %d: %w", i, err)
			}
		}
		return nil
	})
}

// parallel calls do(i) for i in [0, n) on conns goroutines, stopping at the
// first error; progress, if set, hears every 10000 done.
func parallel(ctx context.Context, n, conns int, progress func(done int), do func(ctx context.Context, i int) error) error {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(ctx, i); err != nil {
					errs <- err
					cancel()
					return
				}
				if d := done.Add(1); progress != nil && d%10000 == 0 {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}
