package scenario

import (
	"context"

	"burndown/bench/loadgen"
	"burndown/bench/target"
)

// checkOps returns a factory of workers that each check a Zipf-chosen customer
// out of the first customers.
func (e *Env) checkOps(t target.Target, customers int) loadgen.OpFactory {
	base := e.nextWorkerBase()
	return func(w int) (loadgen.Op, error) {
		sess, err := t.Session(w)
		if err != nil {
			return nil, err
		}
		z, err := loadgen.NewZipf(customers, e.Opts.ZipfS, e.Opts.Seed+uint64(base+w))
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (int, error) {
			return 1, sess.Check(ctx, z.Next())
		}, nil
	}
}

// ingestHooks observe an ingest worker's batches (for the failover scenario).
type ingestHooks struct {
	FirstSend func(customers []int) // before a batch is sent the first time
	Ack       func(customers []int) // after a batch is acknowledged
}

// ingestOps returns a factory of workers that each send batches of Zipf-chosen
// customers. A failed batch is re-sent unchanged (same transaction ids) by the
// worker's next operation, as a careful client would. hooks may be nil.
func (e *Env) ingestOps(t target.Target, customers int, hooks *ingestHooks) loadgen.OpFactory {
	if hooks == nil {
		hooks = &ingestHooks{}
	}
	base := e.nextWorkerBase()
	size := e.Opts.Batch
	return func(w int) (loadgen.Op, error) {
		sess, err := t.Session(w)
		if err != nil {
			return nil, err
		}
		z, err := loadgen.NewZipf(customers, e.Opts.ZipfS, e.Opts.Seed^0xabcdef+uint64(base+w))
		if err != nil {
			return nil, err
		}
		b := target.Batch{Worker: base + w, Customers: make([]int, size)}
		pending := false
		return func(ctx context.Context) (int, error) {
			if !pending {
				for j := range b.Customers {
					b.Customers[j] = z.Next()
				}
				pending = true
				if hooks.FirstSend != nil {
					hooks.FirstSend(b.Customers)
				}
			}
			if err := sess.Ingest(ctx, b); err != nil {
				return 0, err
			}
			if hooks.Ack != nil {
				hooks.Ack(b.Customers)
			}
			pending = false
			b.Seq++
			return size, nil
		}, nil
	}
}

// onSuccess wraps a factory so that done is called after every successful op.
func onSuccess(f loadgen.OpFactory, done func()) loadgen.OpFactory {
	return func(w int) (loadgen.Op, error) {
		op, err := f(w)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (int, error) {
			n, err := op(ctx)
			if err == nil {
				done()
			}
			return n, err
		}, nil
	}
}
