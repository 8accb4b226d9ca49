package engine

import (
	"context"
	"fmt"
)

// InvoiceCustomer finds the customer holding an invoice, for the calls
// that name only the invoice (invoices/void, invoices/regenerate): each
// shard looks through its customers' contracts on its own goroutine,
// serialised with applies. It returns false when no customer holds it, and
// ctx's error when ctx ends first.
func (e *Engine) InvoiceCustomer(ctx context.Context, invoiceID string) (string, bool, error) {
	for i := range e.shards {
		id, err := e.scanShard(ctx, i, invoiceID)
		if err != nil || id != "" {
			return id, id != "", err
		}
	}
	return "", false, nil
}

// scanShard looks for the invoice among shard i's customers.
func (e *Engine) scanShard(ctx context.Context, i int, invoiceID string) (string, error) {
	r := &pendingRead{done: make(chan struct{})}
	var owner string
	w := shardWork{read: func(s *shard) {
		defer close(r.done)
		if !r.state.CompareAndSwap(readQueued, readRunning) {
			return // the reader gave up
		}
		for _, c := range s.customers {
			if _, inv := c.findInvoice(invoiceID); inv != nil {
				owner = c.ID
				return
			}
		}
	}}
	if err := e.queueRead(ctx, i, w, r); err != nil {
		return "", fmt.Errorf("engine: find invoice %s: %w", invoiceID, err)
	}
	return owner, nil
}
