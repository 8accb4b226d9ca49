package engine

// testSwitches are the engine's test-only switches: what tests compare the
// engine's shortcuts with. Production code never sets them (they are
// unexported fields of Engine, set only here).
type testSwitches struct {
	// rateEachEvent rates every event alone, never a run of identical
	// events as one (see pendingUsage).
	rateEachEvent bool
	// ungated evaluates payments and sends invoices for every customer a
	// shard run changed (see shard.execute).
	ungated bool
}

// newTestEngine is New with test switches on. They are set before any
// entry is applied, and a shard reads them only while running work it
// received afterwards.
func newTestEngine(cfg Config, sw testSwitches) *Engine {
	e := New(cfg)
	e.rateEachEvent, e.ungated = sw.rateEachEvent, sw.ungated
	return e
}
