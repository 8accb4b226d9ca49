package telemetry

import (
	"fmt"
	"io"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Bucket bounds, in seconds (or events for batch sizes). Latency buckets
// reach down to 25 µs because the check answers in microseconds, and up to
// 10 s because a write may wait out an election.
var (
	latencyBuckets = []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	slowBuckets    = []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	// webhookBuckets are slowBuckets (every bound kept, so queries on them
	// still work) with 2, 3, 4 and 7.5 ms added: the delivery target is
	// under 5 ms, and with nothing between 1 and 5 ms a p99 near the
	// target could only be read as the bucket's top.
	webhookBuckets  = []float64{.001, .002, .003, .004, .005, .0075, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	batchBuckets    = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536}
	webhookOutcomes = [...]string{WebhookDelivered, WebhookFailed, WebhookDropped}
)

// Webhook delivery outcomes, the values of burndown_webhook_deliveries_total's
// outcome label.
const (
	// WebhookDelivered: the destination answered 2xx.
	WebhookDelivered = "delivered"
	// WebhookFailed: one attempt failed; it will be retried.
	WebhookFailed = "failed"
	// WebhookDropped: given up (retries exhausted, or the destination
	// answered 410 Gone and was disabled).
	WebhookDropped = "dropped"
)

// Metrics is one node's series. Every method is safe on a nil *Metrics (it
// records nothing), so components built without telemetry need no checks.
type Metrics struct {
	set *vm.Set

	// check is burndown_check_duration_seconds: one answer of the
	// entitlement check routes (GET or POST check, a gateway's authorize),
	// whatever its status, as the server saw it.
	check *vm.PrometheusHistogram
	// proposeWait is burndown_propose_wait_seconds: a proposal's time in
	// the group-commit queue before its entry goes to raft.
	proposeWait *vm.PrometheusHistogram
	// propose is burndown_propose_duration_seconds: one proposal from the
	// group-commit queue to its result (queue, raft, apply), or to its
	// caller giving up; counted once per proposal rather than per entry or
	// batch, so its p99 is the writes' own and compares with the HTTP
	// route's. The node's own commands (ticks, membership) count too.
	propose *vm.PrometheusHistogram
	// raftCommit is burndown_raft_commit_duration_seconds: an entry's time
	// from the leader appending it to its log until it is committed and
	// handed to the state machine.
	raftCommit *vm.PrometheusHistogram
	// apply is burndown_apply_duration_seconds, per raft batch.
	apply *vm.PrometheusHistogram
	// applyBatchEvents is burndown_apply_batch_events: commands per batch.
	applyBatchEvents *vm.PrometheusHistogram
	// snapshot is burndown_snapshot_duration_seconds: capture plus write.
	snapshot *vm.PrometheusHistogram
	// snapshotPause is burndown_snapshot_pause_seconds: the part of a
	// snapshot during which the state machine is paused (the capture).
	snapshotPause *vm.PrometheusHistogram
	// snapshotPaced is burndown_snapshot_paced_seconds_total: time the
	// snapshot writer slept to keep to its share of a core.
	snapshotPaced *vm.FloatCounter
	// webhookDelivery is burndown_webhook_delivery_duration_seconds: from
	// the leader's dispatcher first seeing a notification (right after it
	// is applied) until a destination accepted it.
	webhookDelivery *vm.PrometheusHistogram
	// forwardBatch is burndown_forward_batch_requests: on a follower, the
	// client writes in each batch it forwarded to the leader.
	forwardBatch *vm.PrometheusHistogram
	// leaderChanges is burndown_leader_changes_total: leadership changes
	// this node observed (gained, lost, or a new leader elsewhere).
	leaderChanges *vm.Counter

	webhookDeliveries [len(webhookOutcomes)]*vm.Counter
	http              *HTTP

	mu      sync.Mutex
	writers []func(io.Writer)
}

// New makes a node's series; version is the build's release, reported in
// burndown_build_info with the Go version it was built with.
func New(version, goVersion string) *Metrics {
	set := vm.NewSet()
	m := &Metrics{
		set:              set,
		check:            set.NewPrometheusHistogramExt("burndown_check_duration_seconds", latencyBuckets),
		proposeWait:      set.NewPrometheusHistogramExt("burndown_propose_wait_seconds", latencyBuckets),
		propose:          set.NewPrometheusHistogramExt("burndown_propose_duration_seconds", latencyBuckets),
		raftCommit:       set.NewPrometheusHistogramExt("burndown_raft_commit_duration_seconds", latencyBuckets),
		apply:            set.NewPrometheusHistogramExt("burndown_apply_duration_seconds", latencyBuckets),
		applyBatchEvents: set.NewPrometheusHistogramExt("burndown_apply_batch_events", batchBuckets),
		snapshot:         set.NewPrometheusHistogramExt("burndown_snapshot_duration_seconds", slowBuckets),
		snapshotPause:    set.NewPrometheusHistogramExt("burndown_snapshot_pause_seconds", latencyBuckets),
		snapshotPaced:    set.NewFloatCounter("burndown_snapshot_paced_seconds_total"),
		webhookDelivery:  set.NewPrometheusHistogramExt("burndown_webhook_delivery_duration_seconds", webhookBuckets),
		forwardBatch:     set.NewPrometheusHistogramExt("burndown_forward_batch_requests", batchBuckets),
		leaderChanges:    set.NewCounter("burndown_leader_changes_total"),
	}
	for i, o := range webhookOutcomes {
		m.webhookDeliveries[i] = set.NewCounter(fmt.Sprintf("burndown_webhook_deliveries_total{outcome=%q}", o))
	}
	set.NewGauge(fmt.Sprintf("burndown_build_info{version=%q,goversion=%q}", version, goVersion), func() float64 { return 1 })
	m.http = newHTTP(set)
	return m
}

// CheckDone records one answer of the entitlement check routes, which took
// d. The hot path: no allocation.
func (m *Metrics) CheckDone(d time.Duration) {
	if m != nil {
		m.check.Update(d.Seconds())
	}
}

// ProposeWaited records a proposal's wait in the group-commit queue since
// it was queued.
func (m *Metrics) ProposeWaited(queued time.Time) {
	if m != nil {
		m.proposeWait.Update(time.Since(queued).Seconds())
	}
}

// Proposed records a proposal queued at queued whose result came back or
// whose caller stopped waiting: its whole time on this node's write path
// past the handler.
func (m *Metrics) Proposed(queued time.Time) {
	if m != nil {
		m.propose.Update(time.Since(queued).Seconds())
	}
}

// ForwardBatchSent records a batch of n writes a follower forwarded to the
// leader (and the leader answered).
func (m *Metrics) ForwardBatchSent(n int) {
	if m != nil {
		m.forwardBatch.Update(float64(n))
	}
}

// Committed records one entry's commit latency.
func (m *Metrics) Committed(d time.Duration) {
	if m != nil {
		m.raftCommit.Update(d.Seconds())
	}
}

// Applied records one raft batch applied since start, with its events.
func (m *Metrics) Applied(start time.Time, events int) {
	if m != nil {
		m.apply.Update(time.Since(start).Seconds())
		m.applyBatchEvents.Update(float64(events))
	}
}

// SnapshotCaptured records the state machine's pause for a snapshot that
// began at start; SnapshotWritten the whole snapshot once it is written.
func (m *Metrics) SnapshotCaptured(start time.Time) {
	if m != nil {
		m.snapshotPause.Update(time.Since(start).Seconds())
	}
}

// SnapshotWritten: see SnapshotCaptured.
func (m *Metrics) SnapshotWritten(start time.Time) {
	if m != nil {
		m.snapshot.Update(time.Since(start).Seconds())
	}
}

// SnapshotPaced adds the time a written snapshot's writer slept to keep to
// its share of a core: what pacing added to that snapshot's
// burndown_snapshot_duration_seconds.
func (m *Metrics) SnapshotPaced(slept time.Duration) {
	if m != nil {
		m.snapshotPaced.Add(slept.Seconds())
	}
}

// LeaderChanged counts one leadership change.
func (m *Metrics) LeaderChanged() {
	if m == nil {
		return
	}
	m.leaderChanges.Inc()
}

// WebhookOutcome counts one delivery attempt's outcome (one of the Webhook*
// constants); a delivered one also records its latency since first.
func (m *Metrics) WebhookOutcome(outcome string, first time.Time) {
	if m == nil {
		return
	}
	for i, o := range webhookOutcomes {
		if o == outcome {
			m.webhookDeliveries[i].Inc()
		}
	}
	if outcome == WebhookDelivered {
		m.observeDelivery(time.Since(first))
	}
}

// observeDelivery records one delivery's latency.
func (m *Metrics) observeDelivery(d time.Duration) { m.webhookDelivery.Update(d.Seconds()) }

// StripeRequest records one call to Stripe's API: op names the call
// (charge, send_invoice, ...), outcome how it ended (ok, declined, error).
// Not a hot path: the series is looked up by name.
func (m *Metrics) StripeRequest(op, outcome string, start time.Time) {
	if m == nil {
		return
	}
	name := fmt.Sprintf("burndown_stripe_request_duration_seconds{op=%q,outcome=%q}", op, outcome)
	m.set.GetOrCreatePrometheusHistogramExt(name, slowBuckets).Update(time.Since(start).Seconds())
}

// AddWriter adds a function that writes more series (gauges read from the
// node's state at scrape time) after the registered ones.
func (m *Metrics) AddWriter(w func(io.Writer)) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.writers = append(m.writers, w)
	m.mu.Unlock()
}

// Set is the underlying registry, for bridges that register their own
// series (the raft bridge).
func (m *Metrics) Set() *vm.Set { return m.set }

// WritePrometheus writes every series in the Prometheus text format: the
// registered ones, the added writers', then the Go runtime and process
// metrics (go_*, process_*, open file descriptors).
func (m *Metrics) WritePrometheus(w io.Writer) {
	m.set.WritePrometheus(w)
	m.mu.Lock()
	writers := m.writers
	m.mu.Unlock()
	for _, write := range writers {
		write(w)
	}
	vm.WriteProcessMetrics(w)
	vm.WriteFDMetrics(w)
}
