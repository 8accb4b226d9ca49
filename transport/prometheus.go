package transport

import (
	"fmt"
	"io"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// metrics serves GET /metrics in the Prometheus text format: the node's
// series (telemetry: latency histograms, request and delivery counters, the
// raft bridge, build info), the gauges read from its state below, and the Go
// runtime and process metrics.
func (s *Server) metrics(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	s.metricsReg.WritePrometheus(ctx.Response.BodyWriter())
}

// writeStateGauges writes the gauges read from the node's state at scrape
// time: raft positions, the engine's size and rejects, the outbox.
func (s *Server) writeStateGauges(w io.Writer) {
	st := s.node.Status()
	eng := s.node.Engine()
	leader := 0
	if s.node.IsLeader() {
		leader = 1
	}
	gauge := func(name, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	counter := func(name, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %v\n", name, help, name, name, v)
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
	gauge("burndown_webhook_backlog", "Notifications (webhooks and Stripe calls) waiting for delivery; the outbox's size.", outbox)
	gauge("burndown_webhook_failed_deliveries", "Webhook deliveries given up and kept for replay.", len(s.node.FailedDeliveries()))
	counter("burndown_outbox_dropped_total", "Notifications the outbox's bound dropped before delivery.", dropped)
	counter("burndown_unknown_customer_rejects_total", "Events rejected because their customer does not exist.", eng.UnknownCustomerRejects())
	rejects := eng.RejectCounts()
	fmt.Fprintf(w, "# HELP burndown_rejected_events_total Events kept as counted rejects, by reason.\n# TYPE burndown_rejected_events_total counter\n")
	for _, r := range engine.RejectReasons {
		fmt.Fprintf(w, "burndown_rejected_events_total{reason=%q} %d\n", r, rejects[r])
	}
}
