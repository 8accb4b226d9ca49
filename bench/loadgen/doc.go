// Package loadgen is the load-generator core of Burndown's bench: a worker pool
// that drives an operation either closed-loop (as fast as responses come back, for
// peak throughput) or open-loop at a fixed offered rate. In open-loop mode every
// operation has an intended start time on a fixed schedule and its latency is
// measured from that intended time, not from when a worker got round to sending it,
// so a slow server cannot hide its queueing delay (no coordinated omission).
// Latencies go into HDR histograms, per worker and merged once per second for a
// progress line and a throughput/latency time line.
package loadgen
