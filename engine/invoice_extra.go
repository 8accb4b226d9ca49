package engine

// InvoiceExtra holds an invoice's rarely set fields, behind Invoice.Extra.
// Neither existed when snapshot format 1 (msgpack of these structs by
// reflection) was written; the customer layout writes them where it did
// when they were the invoice's own.
type InvoiceExtra struct {
	// Aggs holds the period's aggregate state per (product, group) for the
	// usage whose quantity is not a plain sum of its lines (MAX, UNIQUE,
	// LATEST metrics; products converting or rounding quantities), in
	// first-use order. See rating.go.
	Aggs []*UsageAgg `msgpack:"Aggs"`
	// External is the billing provider's invoice of a finalized invoice
	// sent to Stripe (stripe_invoice.go; since customer layout 9, nil
	// before and for invoices not sent).
	External *ExternalInvoice `msgpack:"External,omitempty"`
}

// Aggs are the invoice's usage aggregates, in first-use order.
func (inv *Invoice) Aggs() []*UsageAgg {
	if inv.Extra == nil {
		return nil
	}
	return inv.Extra.Aggs
}

// External is the billing provider's invoice the invoice was sent as (nil:
// none).
func (inv *Invoice) External() *ExternalInvoice {
	if inv.Extra == nil {
		return nil
	}
	return inv.Extra.External
}

// SetAggs replaces the invoice's usage aggregates.
func (inv *Invoice) SetAggs(aggs []*UsageAgg) {
	inv.editExtra(func(x *InvoiceExtra) { x.Aggs = aggs })
}

// SetExternal records the billing provider's invoice (nil: none).
func (inv *Invoice) SetExternal(ext *ExternalInvoice) {
	inv.editExtra(func(x *InvoiceExtra) { x.External = ext })
}

// editExtra changes the rare fields in place, allocating them on first use
// and dropping them when f leaves them empty. Contract.clone copies the
// struct, so a clone's change never reaches the original.
func (inv *Invoice) editExtra(f func(x *InvoiceExtra)) {
	if inv.Extra == nil {
		inv.Extra = &InvoiceExtra{}
	}
	f(inv.Extra)
	if inv.Extra.Aggs == nil && inv.Extra.External == nil {
		inv.Extra = nil
	}
}
