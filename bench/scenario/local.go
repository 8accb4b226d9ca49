package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// local is a Burndown cluster this run started, set up for a benchmark.
type local struct {
	cluster *burndown.Cluster
	catalog burndown.Catalog
	ids     []string
	cust    *target.Customers
}

// startLocal starts n burndown nodes under TmpDir/name and sets up cust on them.
func (e *Env) startLocal(ctx context.Context, name string, n int, cust *target.Customers, so burndown.SetupOptions) (*local, error) {
	bin, err := e.Binary(ctx)
	if err != nil {
		return nil, err
	}
	c, err := burndown.StartCluster(ctx, bin, filepath.Join(e.TmpDir, name), e.Token, n)
	if err != nil {
		return nil, fmt.Errorf("start %d-node burndown: %w", n, err)
	}
	li, err := c.WaitLeader(ctx, 30*time.Second)
	if err != nil {
		c.Stop()
		return nil, err
	}
	if so.Conns == 0 {
		so.Conns = 32
	}
	start := time.Now()
	so.Progress = func(done int) {
		e.logf("  setup: %d/%d customers (%.0f/s)", done, cust.N, float64(done)/time.Since(start).Seconds())
	}
	cat, ids, err := burndown.Setup(ctx, c.Nodes[li].Client, cust, so)
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("set up burndown: %w", err)
	}
	e.logf("  setup: %d customers with contracts in %.1fs", cust.N, time.Since(start).Seconds())
	return &local{cluster: c, catalog: cat, ids: ids, cust: cust}, nil
}

// httpTarget returns an HTTP target for node i of l.
func (e *Env) httpTarget(name, via, url string, cat burndown.Catalog, cust *target.Customers, conns int) (*target.HTTP, error) {
	return target.NewHTTP(target.HTTPConfig{
		Name: name, Via: via, BaseURL: url, Token: e.Token, ProductID: cat.ProductID,
		EventType: cat.EventType, Conns: conns, Timeout: e.Opts.Timeout, Customers: cust,
	})
}

// multiTarget returns a target spreading workers over every node of l.
func (e *Env) multiTarget(name string, l *local, conns int) (*target.Multi, error) {
	var nodes []*target.HTTP
	for _, n := range l.cluster.Nodes {
		t, err := e.httpTarget(name+"@"+n.ID, "", n.URL(), l.catalog, l.cust, conns)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, t)
	}
	return target.NewMulti(name, fmt.Sprintf("HTTP to all %d nodes, a worker moves to the next node on error", len(nodes)), nodes), nil
}

// forwarded is what the followers of the shared local cluster forwarded in
// batches so far: the writes and the batches their
// burndown_forward_batch_requests histograms counted.
type forwarded struct{ writes, batches float64 }

// forwardedSoFar reads the followers' batch counts (zero without a shared
// multi-node cluster).
func (e *Env) forwardedSoFar(ctx context.Context) forwarded {
	var f forwarded
	if e.shared == nil || len(e.shared.cluster.Nodes) < 2 {
		return f
	}
	for _, n := range e.shared.cluster.Nodes {
		w, _ := n.Client.Metric(ctx, "burndown_forward_batch_requests_sum")
		b, _ := n.Client.Metric(ctx, "burndown_forward_batch_requests_count")
		f.writes += w
		f.batches += b
	}
	return f
}

// noteForwarded says in out how the followers forwarded writes since
// before, so a multi-node figure shows it went through the batches.
func (e *Env) noteForwarded(ctx context.Context, out *report.Scenario, before forwarded) {
	if e.shared == nil || len(e.shared.cluster.Nodes) < 2 {
		return
	}
	now := e.forwardedSoFar(ctx)
	w, b := now.writes-before.writes, now.batches-before.batches
	if b <= 0 {
		out.Note("the followers forwarded no write in a batch (burndown_forward_batch_requests)")
		return
	}
	out.Note(fmt.Sprintf("the followers forwarded %.0f writes to the leader in %.0f batches, %.1f per batch (burndown_forward_batch_requests)", w, b, w/b))
}
