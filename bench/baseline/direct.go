package baseline

import (
	"context"
	"fmt"
	"time"

	"burndown/bench/target"
)

// Direct measures a Store through its own client, with no HTTP in between: the
// best a gateway embedding that client could do.
type Direct struct {
	store     Store
	price     int64
	customers *target.Customers
	via       string
	timeout   time.Duration
}

// NewDirect returns a target that calls store directly, each call bounded by
// timeout (as the HTTP targets bound each request).
func NewDirect(store Store, price int64, c *target.Customers, via string, timeout time.Duration) *Direct {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Direct{store: store, price: price, customers: c, via: via, timeout: timeout}
}

// Name implements target.Target.
func (d *Direct) Name() string { return d.store.Name() + "-direct" }

// Via implements target.Target.
func (d *Direct) Via() string { return d.via }

// Close implements target.Target; the store itself is closed by its owner.
func (d *Direct) Close() error { return nil }

// Session implements target.Target.
func (d *Direct) Session(worker int) (target.Session, error) {
	return &directSession{d: d}, nil
}

type directSession struct {
	d      *Direct
	events []Event
	buf    []byte
}

func (s *directSession) Check(ctx context.Context, customer int) error {
	ctx, cancel := context.WithTimeout(ctx, s.d.timeout)
	defer cancel()
	_, ok, err := s.d.store.Balance(ctx, s.d.customers.Key(customer))
	if err != nil {
		return fmt.Errorf("%s: %w", s.d.Name(), err)
	}
	if !ok {
		return fmt.Errorf("%s: customer %d unknown", s.d.Name(), customer)
	}
	return nil
}

func (s *directSession) Ingest(ctx context.Context, b target.Batch) error {
	ctx, cancel := context.WithTimeout(ctx, s.d.timeout)
	defer cancel()
	s.events = s.events[:0]
	for j, c := range b.Customers {
		s.buf = target.AppendTxnID(s.buf[:0], s.d.customers.Run, b, j)
		s.events = append(s.events, Event{TxnID: string(s.buf), Customer: s.d.customers.Key(c)})
	}
	if err := s.d.store.Apply(ctx, s.events, s.d.price); err != nil {
		return fmt.Errorf("%s: %w", s.d.Name(), err)
	}
	return nil
}
