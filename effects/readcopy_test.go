package effects

import (
	"context"

	"burndown/engine"
)

// readCopy reads a copy of a customer (engine.ReadCustomer) and runs fn on
// it, on the caller's goroutine; it reports whether the customer exists.
func readCopy(e *engine.Engine, ctx context.Context, id string, fn func(c *engine.Customer, cat *engine.Catalog, now engine.Nanos)) (bool, error) {
	rd, ok, err := e.ReadCustomer(ctx, id)
	if ok {
		fn(rd.Customer, rd.Catalog, rd.Now)
	}
	return ok, err
}
