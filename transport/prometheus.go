package transport

import (
	"fmt"
	"runtime"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// metrics serves GET /metrics in the Prometheus text format: the node's
// raft position, the engine's size and rejects, and the Go runtime's memory
// figures operators size machines by. Written by hand: a handful of gauges
// does not warrant a metrics library.
func (s *Server) metrics(ctx *fasthttp.RequestCtx) {
	st := s.node.Status()
	eng := s.node.Engine()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	leader := 0
	if s.node.IsLeader() {
		leader = 1
	}
	b := ctx.Response.BodyWriter()
	gauge := func(name, help string, v any) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	counter := func(name, help string, v any) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %v\n", name, help, name, name, v)
	}
	gauge("burndown_leader", "1 when this node is the raft leader.", leader)
	gauge("burndown_raft_term", "Current raft term.", st.Term)
	gauge("burndown_raft_commit_index", "Highest raft log index known committed.", st.CommitIndex)
	gauge("burndown_applied_index", "Last log index the engine has applied.", eng.AppliedIndex())
	gauge("burndown_cluster_members", "Members in the raft configuration.", len(st.Nodes))
	gauge("burndown_customers", "Customers in the engine.", eng.CustomerCount())
	gauge("burndown_engine_now_seconds", "The latest leader-stamped time applied (Unix seconds).", float64(eng.Now())/1e9)
	gauge("burndown_dedup_keys", "Transaction ids the dedup index remembers.", eng.DedupKeys())
	gauge("burndown_dedup_floor_day", "First UTC day (days since the epoch) the dedup index still covers after its memory budget; 0: the window alone decides.", eng.DedupFloor())
	outbox, dropped := s.node.OutboxStats()
	gauge("burndown_outbox_notifications", "Notifications in the replicated outbox waiting for delivery.", outbox)
	counter("burndown_outbox_dropped_total", "Notifications the outbox's bound dropped before delivery.", dropped)
	counter("burndown_unknown_customer_rejects_total", "Events rejected because their customer does not exist.", eng.UnknownCustomerRejects())
	rejects := eng.RejectCounts()
	fmt.Fprintf(b, "# HELP burndown_rejected_events_total Events kept as counted rejects, by reason.\n# TYPE burndown_rejected_events_total counter\n")
	for _, r := range engine.RejectReasons {
		fmt.Fprintf(b, "burndown_rejected_events_total{reason=%q} %d\n", r, rejects[r])
	}
	gauge("go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.", ms.HeapInuse)
	gauge("go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", ms.HeapAlloc)
	gauge("go_memstats_sys_bytes", "Bytes obtained from the OS.", ms.Sys)
	counter("go_gc_cycles_total", "Completed GC cycles.", ms.NumGC)
	gauge("go_goroutines", "Goroutines that currently exist.", runtime.NumGoroutine())
	ctx.SetContentType("text/plain; version=0.0.4")
}
