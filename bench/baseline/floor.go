package baseline

import (
	"context"
	"sync/atomic"
)

// Floor is the cheapest possible store: a read-only map from key to an atomic
// balance, built once by Seed. Checks are a map lookup; ingest is an atomic
// decrement per event with no deduplication and no durability. It is the floor
// under every other figure, not an alternative anyone would run.
type Floor struct {
	m map[string]*atomic.Int64
}

// NewFloor returns an empty floor store.
func NewFloor() *Floor { return &Floor{m: map[string]*atomic.Int64{}} }

// Name implements Store.
func (f *Floor) Name() string { return "floor" }

// Seed implements Store. It must be called before the store is shared.
func (f *Floor) Seed(_ context.Context, keys []string, balance int64) error {
	for _, k := range keys {
		v := new(atomic.Int64)
		v.Store(balance)
		f.m[k] = v
	}
	return nil
}

// Balance implements Store.
func (f *Floor) Balance(_ context.Context, key string) (int64, bool, error) {
	v, ok := f.m[key]
	if !ok {
		return 0, false, nil
	}
	return v.Load(), true, nil
}

// BalanceBytes is Balance without converting the key to a string (no allocation).
func (f *Floor) BalanceBytes(key []byte) (int64, bool) {
	v, ok := f.m[string(key)]
	if !ok {
		return 0, false
	}
	return v.Load(), true
}

// Apply implements Store.
func (f *Floor) Apply(_ context.Context, events []Event, price int64) error {
	for _, e := range events {
		if v, ok := f.m[e.Customer]; ok {
			v.Add(-price)
		}
	}
	return nil
}

// Close implements Store.
func (f *Floor) Close() error { return nil }
