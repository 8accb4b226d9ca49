// Package golden replays the durable fixtures that earlier releases wrote
// (persist/testdata/golden/<release>, listed in Releases) and describes an engine's state as text
// that depends on no encoding, so upgrade tests can prove that a new build
// reads what every earlier build wrote and reaches the same state.
package golden

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"burndown/engine"
	"burndown/persist"
)

// LogEntry is one raft log entry of a fixture log: its index and bytes.
type LogEntry struct {
	Index uint64
	Data  []byte
}

// ReadLog reads a fixture log: a sequence of (uvarint index, uvarint length,
// entry bytes) records.
func ReadLog(path string) ([]LogEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: read log: %w", err)
	}
	var out []LogEntry
	for len(b) > 0 {
		idx, w := binary.Uvarint(b)
		if w <= 0 {
			return nil, fmt.Errorf("golden: log record %d: bad index", len(out))
		}
		b = b[w:]
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return nil, fmt.Errorf("golden: log record %d: bad length", len(out))
		}
		out = append(out, LogEntry{Index: idx, Data: b[w : w+int(n)]})
		b = b[w+int(n):]
	}
	return out, nil
}

// Replay decodes entries with codec and applies those after index from to e.
func Replay(e *engine.Engine, codec *persist.Codec, entries []LogEntry, from uint64) error {
	for _, le := range entries {
		if le.Index <= from {
			continue
		}
		at, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			return fmt.Errorf("golden: entry %d: %w", le.Index, err)
		}
		e.Apply([]engine.Entry{{Index: le.Index, Time: at, Commands: cmds}})
	}
	return nil
}

// Summary describes the engine's state as text that does not depend on any
// encoding: every customer's contracts, balances, segments, ledgers,
// invoices, rejects and entitlement answers, and the dedup index's key count
// per day. Two engines with equal summaries bill identically.
func Summary(e *engine.Engine) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "now %s\n", time.Unix(0, e.Now()).UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "unknown_rejects %d\n", e.UnknownCustomerRejects())
	cat := e.Catalog()
	ids, _ := e.CustomerIDs(0, 1<<30)
	for _, id := range ids {
		if rd, ok, _ := e.ReadCustomer(context.Background(), id); ok {
			describeCustomer(&b, rd.Customer, rd.Now)
		}
		for _, pid := range cat.ProductOrder {
			body, _ := e.AppendCheck(nil, []byte(id), []byte(pid), nil, nil)
			fmt.Fprintf(&b, "  check %s %s\n", pid, body)
		}
	}
	days, err := dedupDays(e)
	if err != nil {
		return "", err
	}
	keys := make([]int64, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		fmt.Fprintf(&b, "dedup day %d keys %d\n", k, days[k])
	}
	return b.String(), nil
}

func describeCustomer(b *strings.Builder, c *engine.Customer, now engine.Nanos) {
	fmt.Fprintf(b, "customer %s name=%q aliases=%v\n", c.ID, c.Name, c.IngestAliases)
	describeAdmin(b, c)
	reasons := make([]string, 0, len(c.Rejects()))
	for r := range c.Rejects() {
		reasons = append(reasons, string(r))
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(b, "  reject %s %d\n", r, c.Rejects()[engine.RejectReason(r)])
	}
	describeCustomerBalances(b, c, now)
	for _, k := range c.Contracts {
		fmt.Fprintf(b, "  contract %s rc=%s\n", k.ID, k.RateCardID)
		if k.Archived {
			fmt.Fprintf(b, "    archived %d\n", k.ArchivedAt())
		}
		describePayments(b, k)
		for _, cm := range k.Balances {
			describeBalance(b, "    ", cm, now)
		}
		for _, inv := range k.Invoices {
			fmt.Fprintf(b, "    invoice %s %s %d..%d total=%s %s\n", inv.ID, inv.Status, inv.Start, inv.End, inv.Total.String(), inv.CreditTypeID)
			if x := inv.External(); x != nil {
				fmt.Fprintf(b, "      external %s %s %s %d\n", x.Provider, x.InvoiceID, x.Status, x.IssuedAt)
			}
			for _, l := range inv.Lines {
				fmt.Fprintf(b, "      line %s p=%s c=%s ct=%s q=%s t=%s\n", l.Type, l.ProductID, l.CommitID, l.CreditTypeID, l.Quantity.String(), l.Total.String())
			}
		}
	}
}

// describeBalance describes a commit or credit with its segments and
// ledger, indented by indent.
func describeBalance(b *strings.Builder, indent string, cm *engine.Commit, now engine.Nanos) {
	fmt.Fprintf(b, "%sbalance %s %s %s now=%s\n", indent, cm.ID, cm.Type, cm.CreditTypeID, cm.BalanceAt(now).String())
	if cm.GateType() != "" {
		fmt.Fprintf(b, "%s  gate %s %s workflow=%s\n", indent, cm.GateType(), cm.GateStatus(), cm.WorkflowID())
	}
	for _, s := range cm.Segments {
		fmt.Fprintf(b, "%s  segment %s amount=%s drawn=%s expired=%t left=%s\n", indent, cm.SegmentID(s), s.Amount.String(), s.Drawn.String(), s.Expired, s.ExpiredAmount().String())
	}
	for _, le := range cm.Ledger(now) {
		fmt.Fprintf(b, "%s  ledger %s %d %s %s", indent, le.Type, le.Timestamp, le.Amount.String(), le.InvoiceID)
		if le.Reason != "" {
			fmt.Fprintf(b, " reason=%q", le.Reason)
		}
		fmt.Fprintln(b)
	}
}

// describeCustomerBalances describes the customer-level commits and
// credits (v0.5.0); customers without any (every one of the fixtures
// written before) print nothing, so those summaries are unchanged.
func describeCustomerBalances(b *strings.Builder, c *engine.Customer, now engine.Nanos) {
	for _, cb := range c.Balances() {
		fmt.Fprintf(b, "  customer_balance contracts=%v key=%q\n", cb.ApplicableContractIDs, cb.UniquenessKey)
		describeBalance(b, "    ", cb.Commit, now)
		for _, s := range cb.Commit.Segments {
			fmt.Fprintf(b, "      access %s %d..%d\n", cb.Commit.SegmentID(s), s.StartingAt, s.EndingBefore)
		}
	}
}

// describeAdmin describes what the customer administration commands
// (v0.5.0) change: update and archive times and billing providers added
// since creation's. Customers they never changed (every one of the
// fixtures written before) print nothing, so those summaries are unchanged.
func describeAdmin(b *strings.Builder, c *engine.Customer) {
	if c.UpdatedAt() != 0 {
		fmt.Fprintf(b, "  updated %d\n", c.UpdatedAt())
	}
	if c.ArchivedAt() != 0 {
		fmt.Fprintf(b, "  archived %d\n", c.ArchivedAt())
	}
	if c.UpdatedAt() != 0 {
		for i, bp := range c.BillingProviders() {
			fmt.Fprintf(b, "  billing_provider_configuration %s %s %s %v\n", engine.BillingProviderConfigID(c.ID, i), bp.BillingProvider, bp.DeliveryMethod, bp.Configuration)
		}
	}
}

// describePayments describes what the Stripe build's fixtures added to a
// contract: its billing_provider_configuration, threshold configurations,
// payment workflows and gated commits. Contracts without them (every one
// of the fixtures written before) print nothing, so their summaries are
// unchanged.
func describePayments(b *strings.Builder, k *engine.Contract) {
	if p := k.BillingProvider(); p != nil {
		fmt.Fprintf(b, "    billing_provider %s %s sends_to_stripe=%t\n", p.BillingProvider, p.DeliveryMethod, k.SendsToStripe())
	}
	if r := k.Recharge(); r != nil {
		fmt.Fprintf(b, "    recharge enabled=%t threshold=%s to=%s gate=%s\n", r.IsEnabled, r.Threshold.String(), r.RechargeTo.String(), r.GateType)
	}
	if st := k.SpendThreshold(); st != nil {
		fmt.Fprintf(b, "    spend_threshold enabled=%t threshold=%s gate=%s\n", st.IsEnabled, st.Threshold.String(), st.GateType)
	}
	for _, wf := range k.Workflows() {
		fmt.Fprintf(b, "    workflow %s %s %s %s commit=%s amount=%s invoice=%s\n", wf.ID, wf.Type, wf.GateType, wf.Status, wf.CommitID, wf.Amount.String(), wf.InvoiceID)
	}
	for _, cm := range k.Gated() {
		fmt.Fprintf(b, "    gated %s %s %s %s\n", cm.ID, cm.Type, cm.GateType(), cm.GateStatus())
	}
}

// dedupDays counts the dedup index's keys per day, from a snapshot's image.
func dedupDays(e *engine.Engine) (map[int64]int, error) {
	snap, err := e.Snapshot(persist.EncodeCustomer)
	if err != nil {
		return nil, fmt.Errorf("golden: snapshot for dedup: %w", err)
	}
	defer snap.Release()
	days := map[int64]int{}
	for i := 0; i < snap.ShardCount(); i++ {
		for _, bk := range snap.ShardDedup(i) {
			days[bk.Day] += bk.KeyCount()
		}
	}
	return days, nil
}
