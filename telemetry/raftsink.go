package telemetry

import (
	"strings"

	gometrics "github.com/armon/go-metrics"
)

// sampleBuckets bound raft's samples, which are mostly timings in
// milliseconds (raft's own unit) and a few counts per batch.
var sampleBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}

// RaftSink bridges hashicorp/raft's metrics (emitted through armon/go-metrics)
// into m's registry: gauges as gauges, counters as counters named *_total,
// samples (timings in milliseconds, as raft reports them) as Prometheus
// histograms. Keys become names joined with '_' under the burndown_ prefix
// the go-metrics configuration adds: raft.commitTime is
// burndown_raft_commitTime. cmd installs it as go-metrics' global sink,
// since raft only emits through that global.
func RaftSink(m *Metrics) gometrics.MetricSink { return &raftSink{m: m} }

// RaftSinkConfig is the go-metrics configuration for RaftSink: the burndown
// service prefix, no hostname in names, no runtime sampler of its own (the
// registry writes the Go runtime's metrics itself).
func RaftSinkConfig() *gometrics.Config {
	c := gometrics.DefaultConfig("burndown")
	c.EnableHostname = false
	c.EnableRuntimeMetrics = false
	c.EnableServiceLabel = false
	return c
}

type raftSink struct{ m *Metrics }

func (s *raftSink) SetGauge(key []string, val float32) { s.SetGaugeWithLabels(key, val, nil) }

func (s *raftSink) SetGaugeWithLabels(key []string, val float32, labels []gometrics.Label) {
	defer ignoreKindClash()
	s.m.set.GetOrCreateGauge(seriesName(key, "", labels), nil).Set(float64(val))
}

// EmitKey is go-metrics' one-off key/value, which Prometheus has no form
// for; raft does not use it.
func (s *raftSink) EmitKey([]string, float32) {}

func (s *raftSink) IncrCounter(key []string, val float32) { s.IncrCounterWithLabels(key, val, nil) }

func (s *raftSink) IncrCounterWithLabels(key []string, val float32, labels []gometrics.Label) {
	defer ignoreKindClash()
	s.m.set.GetOrCreateFloatCounter(seriesName(key, "_total", labels)).Add(float64(val))
}

func (s *raftSink) AddSample(key []string, val float32) { s.AddSampleWithLabels(key, val, nil) }

func (s *raftSink) AddSampleWithLabels(key []string, val float32, labels []gometrics.Label) {
	defer ignoreKindClash()
	s.m.set.GetOrCreatePrometheusHistogramExt(seriesName(key, "", labels), sampleBuckets).Update(float64(val))
}

// ignoreKindClash drops an update whose name is already registered as
// another kind (the registry panics on that); raft's names do not clash
// today, and a bridge must never take the node down.
func ignoreKindClash() { _ = recover() }

// labelEscaper escapes a label value as the Prometheus text format wants
// (immutable: shared by every sink).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// seriesName turns a go-metrics key and labels into a Prometheus series name.
func seriesName(key []string, suffix string, labels []gometrics.Label) string {
	var b strings.Builder
	for i, k := range key {
		if i > 0 {
			b.WriteByte('_')
		}
		b.WriteString(sanitize(k))
	}
	b.WriteString(suffix)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(sanitize(l.Name))
			b.WriteString(`="`)
			b.WriteString(labelEscaper.Replace(l.Value))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	return b.String()
}

// sanitize keeps the characters Prometheus allows in names.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, s)
}
