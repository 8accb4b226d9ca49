package persist

import (
	"bytes"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/vmihailenco/msgpack/v5"

	"burndown/engine"
	"burndown/money"
)

// Amounts in msgpack bodies (commands, the catalog section).
//
// Every release before v0.5.0 wrote an amount in the decimal layout
// (money.AppendDecimalLayout, the layout shopspring/decimal defines); this
// release writes money's own compact form. Both decode through
// money.Amount.UnmarshalBinary, which tells them apart, so any log entry or
// snapshot of any release reads back. What is written depends on the
// cluster's data format: while it is DataFormatDecimalAmounts (a cluster
// that may still hold nodes of an earlier release) command versions and
// the catalog section are written as those releases wrote them, decimal
// layout included; once the operator finalized the upgrade
// (DataFormatCompactAmounts) the new versions are written, compact.

// DataFormat says which layouts a cluster's nodes all read: the oldest
// release among them decides. It is replicated (cluster kind 202, snapshot
// metadata) and only moves forward.
type DataFormat uint8

const (
	// DataFormatDecimalAmounts is every cluster's format until its upgrade
	// to v0.5.0 is finalized: amounts in the decimal layout.
	DataFormatDecimalAmounts DataFormat = 0
	// DataFormatCompactAmounts: every node runs v0.5.0 or later; amounts
	// are written in money's compact form, in new command versions and
	// catalog section version 3.
	DataFormatCompactAmounts DataFormat = 1
	// LatestDataFormat is the newest format this release writes.
	LatestDataFormat = DataFormatCompactAmounts
)

// kindsSinceCompact are the engine's command kinds that releases before
// v0.5.0 do not know (they stop on them): proposed only once the cluster's
// format is DataFormatCompactAmounts, every node running v0.5.0 or later.
var kindsSinceCompact = map[engine.Kind]bool{
	engine.KindArchiveCustomer: true, engine.KindArchiveContract: true, engine.KindSetIngestAliases: true,
	engine.KindSetCustomerName: true, engine.KindAddBillingProviders: true,
	engine.KindAddManualLedgerEntry: true, engine.KindEditBalance: true, engine.KindVoidInvoice: true, engine.KindRegenerateInvoice: true,
	engine.KindCreateCustomerBalance: true, engine.KindUpdateCustomerBalanceEnd: true,
}

// KindNeedsFormat is the data format a cluster needs before its leader may
// propose an engine command of kind k.
func KindNeedsFormat(k engine.Kind) DataFormat {
	if kindsSinceCompact[k] {
		return DataFormatCompactAmounts
	}
	return DataFormatDecimalAmounts
}

// CommandNeedsFormat is the data format a cluster needs before its leader
// may propose cmd: its kind's, or v0.5.0's for what releases before v0.5.0
// refuse, so that a mixed cluster never applies it on some nodes only: a
// release_payment_gate of the action_required outcome, an alert of a type
// added in v0.5.0, an edit that uses edit_contract version 5 (a
// stripe_config included), a contract billing its scheduled charges on
// SCHEDULED invoices of their own, filtering its usage (usage_filter) or
// giving a payment gate a stripe_config (a STRIPE gate paid by invoice:
// earlier releases would charge a PaymentIntent), and a release naming the
// Stripe invoice of such a gate.
func CommandNeedsFormat(cmd engine.Command) DataFormat {
	switch c := cmd.(type) {
	case *engine.EditContract:
		if c.UsesVersion5() {
			return DataFormatCompactAmounts
		}
	case *engine.ReleasePaymentGate:
		if c.Outcome == engine.GateActionRequired || c.StripeInvoiceID != "" {
			return DataFormatCompactAmounts
		}
	case *engine.CreateContract:
		// Releases before v0.5.0 would consolidate its scheduled charges
		// onto usage invoices, and charge its STRIPE gates' PaymentIntents
		// (they do not know the fields).
		if c.SeparateScheduledInvoices || c.UsageFilter != nil || c.UsesStripeConfig() {
			return DataFormatCompactAmounts
		}
	case *engine.CreateAlert:
		switch c.Type {
		case engine.AlertLowCommitPercent, engine.AlertLowCreditPercent, engine.AlertCommitDays, engine.AlertCreditDays, engine.AlertMonthlyInvoiceTotal:
			return DataFormatCompactAmounts
		}
	}
	return KindNeedsFormat(cmd.Kind())
}

func init() {
	msgpack.Register(money.Amount{}, encodeAmount, nil)
}

// decimalAmountsBuffer is the buffer an encoder writes to when every
// amount it meets must be written in the decimal layout; the registered
// amount encoder tells by the writer it writes to.
type decimalAmountsBuffer struct{ bytes.Buffer }

// encodeAmount writes an amount as a msgpack bin: the decimal layout into a
// decimalAmountsBuffer, the compact form anywhere else.
func encodeAmount(e *msgpack.Encoder, v reflect.Value) error {
	a := v.Interface().(money.Amount)
	if _, decimal := e.Writer().(*decimalAmountsBuffer); decimal {
		return e.EncodeBytes(a.AppendDecimalLayout(nil))
	}
	return e.EncodeBytes(a.AppendBinary(nil))
}

// MarshalDecimalAmounts is Marshal with every amount in the decimal layout:
// the bytes a release before v0.5.0 wrote for the same value.
func MarshalDecimalAmounts(v any) ([]byte, error) {
	var buf decimalAmountsBuffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("persist: encode with decimal amounts: %w", err)
	}
	return buf.Bytes(), nil
}

// marshalAt encodes v in the given data format.
func marshalAt(f DataFormat, v any) ([]byte, error) {
	if f == DataFormatDecimalAmounts {
		return MarshalDecimalAmounts(v)
	}
	return Marshal(v)
}

// dataFormat is a codec's current format, set by the cluster layer.
type dataFormat struct{ v atomic.Uint32 }

func (d *dataFormat) get() DataFormat  { return DataFormat(d.v.Load()) }
func (d *dataFormat) set(f DataFormat) { d.v.Store(uint32(f)) }
