package cluster

// setBounds lowers the idempotency table's bounds for a test. The table is
// the FSM goroutine's: call it before the table sees its first guarded
// command (a proposal made afterwards reaches the FSM through channels, so
// the FSM sees the new bounds).
func (t *idemTable) setBounds(records, bytes int64) {
	t.maxRecords, t.maxBytes = records, bytes
}
