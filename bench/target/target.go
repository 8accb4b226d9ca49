// Package target is the client side of a benchmark: the systems under test as the
// load generator sees them (Burndown or a baseline over HTTP, Redis or PostgreSQL
// directly), each reduced to the two operations every scenario is made of: an
// entitlement check and an ingest batch.
package target

import (
	"context"
	"strconv"
)

// Target is one system under test.
type Target interface {
	// Name is the label used in reports, e.g. "burndown" or "redis-direct".
	Name() string
	// Via says how it is measured, in a sentence for the report.
	Via() string
	// Session returns one worker's client. A Session is used by one goroutine only.
	Session(worker int) (Session, error)
	// Close releases shared clients (not the server).
	Close() error
}

// Session issues operations on behalf of one worker.
type Session interface {
	// Check asks whether customer may use the product now.
	Check(ctx context.Context, customer int) error
	// Ingest sends one batch: one event per entry of b.Customers.
	Ingest(ctx context.Context, b Batch) error
}

// Batch is one ingest request. Event j of the batch is for customer
// Customers[j] and has the transaction id TxnID(run, worker, seq, j), so a batch
// re-sent after a failure carries the same ids and is deduplicated.
type Batch struct {
	Worker    int
	Seq       uint64
	Customers []int
}

// AppendTxnID appends the transaction id of event j of a batch.
func AppendTxnID(dst []byte, run string, b Batch, j int) []byte {
	dst = append(dst, run...)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, int64(b.Worker), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, b.Seq, 10)
	dst = append(dst, '-')
	return strconv.AppendInt(dst, int64(j), 10)
}

// Customers names the benchmark's customers: customer i has the key Key(i), used
// as its ingest alias in Burndown and as its key in every baseline, so all systems
// see the same customers.
type Customers struct {
	Run  string // run id, keeps keys unique across runs against one server
	N    int
	keys []string
}

// NewCustomers returns n customer keys for the given run id.
func NewCustomers(run string, n int) *Customers {
	c := &Customers{Run: run, N: n, keys: make([]string, n)}
	for i := range c.keys {
		c.keys[i] = run + "-c" + strconv.Itoa(i)
	}
	return c
}

// Key returns customer i's key.
func (c *Customers) Key(i int) string { return c.keys[i] }
