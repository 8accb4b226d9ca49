// Package baseline holds the systems Burndown is compared with in the same run:
// the floor (a trivial in-process map), Redis and PostgreSQL. Each is a Store;
// a Store is measured directly with its own client (Direct) and behind the same
// HTTP endpoints as Burndown (Server), so every figure has a fair counterpart.
package baseline

import "context"

// CreditTypeID is USD (cents), the credit type the baselines answer with.
const CreditTypeID = "2714e483-4ff1-48e4-9e25-ac732e8f24f2"

// Event is one usage event as a baseline stores it: one unit of spend.
type Event struct {
	TxnID    string
	Customer string
}

// Store is a balance store: a balance per customer, decremented by one price per
// event.
type Store interface {
	// Name is the report label prefix, e.g. "redis".
	Name() string
	// Seed creates every customer with the given balance.
	Seed(ctx context.Context, keys []string, balance int64) error
	// Balance returns a customer's balance and whether the customer exists.
	Balance(ctx context.Context, key string) (int64, bool, error)
	// Apply spends price per event for one ingest request, once per transaction
	// id where the store deduplicates.
	Apply(ctx context.Context, events []Event, price int64) error
	// Close releases the store's clients.
	Close() error
}
