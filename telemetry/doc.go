// Package telemetry holds a node's Prometheus series: the latency
// histograms of the entitlement check, of each HTTP route, of raft's
// propose, commit and apply, of snapshots, webhook deliveries and Stripe
// calls, and the counters beside them. One Metrics value belongs to one node
// (no package-level registry), so tests can run several nodes in a process
// and read each one's series apart.
//
// Series are VictoriaMetrics/metrics values: updates are a few atomic or
// mutex-guarded adds with no allocation, so the check's hot path can record
// every request. Histograms are Prometheus histograms (cumulative le
// buckets), so histogram_quantile works on them in Prometheus and Grafana.
package telemetry
