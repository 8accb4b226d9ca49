package engine

import (
	"encoding/json"
	"strings"

	"burndown/money"
)

// Finalized usage invoices sent to Stripe. When a usage invoice of a
// contract whose billing_provider_configuration selects Stripe
// (Contract.BillingProvider: stripe, direct_to_billing_provider; the
// customer has a Stripe customer id, Customer.StripeCustomerID, checked
// when the contract is created) is finalized (statement.go finalizeDue: a tick past its period and grace, a
// backdated create, an end date moved before it) with a total that is not
// zero in whole cents, the end of that shard run queues invoice.stripe_send
// (NoteStripeInvoice; never sent to webhook destinations, as
// payment_gate.stripe_charge is not) with the invoice's lines in whole
// cents. The leader's dispatcher (effects/dispatch.go) hands it to the
// Stripe client (effects/stripe_invoice.go), which creates a Stripe
// invoice, one invoice item per line and finalizes it, every call keyed by
// the notification id and the call's role, so a re-send by any leader never
// duplicates; then it proposes record_external_invoice, which stores the
// Stripe invoice id on Burndown's invoice (Invoice.External), shown as
// Metronome's external_invoice.
//
// Whether an invoice is sent depends on the contract's state alone, never
// on which command finalized it (a tick that any later entry may trigger)
// nor on where a replica started replaying: a contract without the
// configuration (every contract created before create_contract version 4,
// and any created without it since) never sends, so replaying an old log
// queues nothing it did not queue then.
//
// Only invoices in USD (cents) are sent: Stripe's currency of another fiat
// credit type is not known. Amounts are exact (money.Amount) up to the last
// step: each line is rounded to whole cents half-up (away from zero on .5:
// money.Amount.RoundHalfUp, the engine's one rounding function), and when the
// rounded lines do not add up to the rounded total a "Rounding to whole
// cents" line carries the difference, so the Stripe invoice's total is
// always the Burndown total rounded half-up.
//
// Which lines: those in the invoice's credit type that its total is made
// of: usage, scheduled charges, subscriptions, commit purchases and
// true-ups, custom pricing unit conversions, and the prepaid commits and
// credits applied (negative). Lines in a custom pricing unit are left out
// (the conversion line carries what they bill), and so are postpaid
// commits applied to usage (shown on the invoice, not subtracted: usage is
// billed in arrears). Should those lines ever not add up to the total, the
// invoice is sent as one line of its total.

// NoteStripeInvoice asks the leader's Stripe client to send a finalized
// usage invoice to Stripe; it is not a webhook.
const NoteStripeInvoice = "invoice.stripe_send"

// KindRecordExternalInvoice records the billing provider's invoice of a
// usage invoice (numbered in the payment range, after release_payment_gate).
const KindRecordExternalInvoice Kind = 41

// ProviderStripeBilling is ExternalInvoice.Provider of a Stripe invoice:
// Metronome's billing_provider_type; and the billing_provider of a
// contract's billing_provider_configuration that sends to Stripe.
const ProviderStripeBilling = "stripe"

// DeliveryDirect is the delivery_method of a billing provider
// configuration that delivers to the provider directly: the only one
// served (Stripe's API).
const DeliveryDirect = "direct_to_billing_provider"

// ContractBillingProvider is a contract's billing_provider_configuration:
// the billing provider its invoices go to and how. Only stripe with
// direct_to_billing_provider is accepted (createContract).
type ContractBillingProvider struct {
	BillingProvider string `msgpack:"BillingProvider"`
	DeliveryMethod  string `msgpack:"DeliveryMethod"`
}

// SendsToStripe reports whether the contract's finalized usage invoices
// are sent to Stripe: its billing_provider_configuration selects Stripe.
func (k *Contract) SendsToStripe() bool {
	b := k.BillingProvider()
	return b != nil && b.BillingProvider == ProviderStripeBilling && b.DeliveryMethod == DeliveryDirect
}

// billingProvider validates a create's billing_provider_configuration
// against the customer: stripe / direct_to_billing_provider, for a
// customer with a stripe billing provider configuration with a
// stripe_customer_id (the transport refuses anything else first).
func billingProvider(c *Customer, in *ContractBillingProvider) (*ContractBillingProvider, *Error) {
	if in == nil {
		return nil, nil
	}
	const field = "billing_provider_configuration"
	switch {
	case in.BillingProvider != ProviderStripeBilling:
		return nil, errorf(Invalid, "%s.billing_provider: %q is not supported (stripe only)", field, in.BillingProvider)
	case in.DeliveryMethod != DeliveryDirect:
		return nil, errorf(Invalid, "%s.delivery_method: %q is not supported (%s only)", field, in.DeliveryMethod, DeliveryDirect)
	case c.StripeCustomerID() == "":
		return nil, errorf(Invalid, "%s.billing_provider: stripe needs the customer's stripe billing provider configuration with a stripe_customer_id", field)
	}
	out := *in
	return &out, nil
}

// External invoice statuses (Metronome's external_status), as the
// provider's invoice moves: finalized, then possibly a failed payment,
// then paid, void or uncollectible (and an uncollectible one may still be
// paid).
const (
	ExternalFinalized     = "FINALIZED"
	ExternalPaymentFailed = "PAYMENT_FAILED"
	ExternalUncollectible = "UNCOLLECTIBLE"
	ExternalPaid          = "PAID"
	ExternalVoid          = "VOID"
)

// MaxExternalIDLen bounds a provider's invoice id (Stripe's are about 30
// bytes).
const MaxExternalIDLen = 255

// externalStatusRank orders the statuses an external invoice moves
// through; a record only moves it forward, so events that arrive out of
// order (a late invoice.payment_failed after invoice.paid) or a re-sent
// record (FINALIZED, after a failover) change nothing. 0: not a status.
func externalStatusRank(status string) int {
	switch status {
	case ExternalFinalized:
		return 1
	case ExternalPaymentFailed:
		return 2
	case ExternalUncollectible:
		return 3
	case ExternalPaid, ExternalVoid:
		return 4 // final: Stripe neither voids a paid invoice nor pays a void one
	}
	return 0
}

// ExternalInvoice is the billing provider's invoice of a usage invoice.
type ExternalInvoice struct {
	// Provider is the billing_provider_type ("stripe").
	Provider string `msgpack:"Provider"`
	// InvoiceID is the provider's invoice id (in_...).
	InvoiceID string `msgpack:"InvoiceID"`
	// Status is the external_status when recorded (FINALIZED).
	Status string `msgpack:"Status"`
	// IssuedAt is when the provider finalized it.
	IssuedAt Nanos `msgpack:"IssuedAt"`
}

// RecordExternalInvoice stores the provider's invoice on a usage invoice
// of a contract that sends its invoices there (Contract.SendsToStripe),
// or moves its status forward (the provider's invoice.* events). It is
// idempotent: recording the invoice already recorded with a status that
// is not ahead of its own changes nothing; another provider invoice for a
// usage invoice that has one is refused (Conflict).
type RecordExternalInvoice struct {
	CustomerID string `msgpack:"CustomerID"`
	// InvoiceID is Burndown's usage invoice.
	InvoiceID string `msgpack:"InvoiceID"`
	Provider  string `msgpack:"Provider"`
	// ExternalID is the provider's invoice id.
	ExternalID string `msgpack:"ExternalID"`
	// Status is an External* status ("": FINALIZED).
	Status string `msgpack:"Status"`
	// IssuedAt is when the provider finalized it (0: the entry's time).
	IssuedAt Nanos `msgpack:"IssuedAt"`
}

func (*RecordExternalInvoice) Kind() Kind { return KindRecordExternalInvoice }

// StripeInvoice is the properties of an invoice.stripe_send notification,
// as the Stripe client reads them.
type StripeInvoice struct {
	CustomerID       string `json:"customer_id"`
	ContractID       string `json:"contract_id"`
	InvoiceID        string `json:"invoice_id"`
	StripeCustomerID string `json:"stripe_customer_id"`
	// Currency is Stripe's ("usd").
	Currency string `json:"currency"`
	// Total is the invoice's exact total in cents; TotalCents the whole
	// cents Stripe bills (Total rounded half-up), the sum of the lines.
	Total          json.Number         `json:"total"`
	TotalCents     int64               `json:"total_cents"`
	StartTimestamp string              `json:"start_timestamp"`
	EndTimestamp   string              `json:"end_timestamp"`
	Lines          []StripeInvoiceLine `json:"lines"`
}

// StripeInvoiceLine is one invoice item to create.
type StripeInvoiceLine struct {
	Description string `json:"description"`
	// Amount is the line's exact amount in cents ("" on the rounding
	// line); AmountCents what Stripe bills for it.
	Amount      json.Number `json:"amount,omitempty"`
	AmountCents int64       `json:"amount_cents"`
}

// RoundingDescription names the line that carries the rounding difference.
const RoundingDescription = "Rounding to whole cents"

// wholeCents rounds an amount of cents to whole cents, half-up; ok is false
// when they do not fit an int64.
func wholeCents(a money.Amount) (int64, bool) {
	return a.RoundHalfUp(0).Int64()
}

// stripeInvoice builds the send notification's properties of a finalized
// invoice; ok is false when it is not sent (not USD, zero in whole cents,
// too large, or the contract's billing_provider_configuration does not
// select Stripe).
func (k *Contract) stripeInvoice(c *Customer, inv *Invoice, cat *Catalog) (StripeInvoice, bool) {
	p := StripeInvoice{CustomerID: c.ID, ContractID: k.ID, InvoiceID: inv.ID, StripeCustomerID: c.StripeCustomerID(), Currency: "usd",
		Total: json.Number(inv.Total.String()), StartTimestamp: fmtTime(inv.Start), EndTimestamp: fmtTime(inv.End)}
	if !k.SendsToStripe() || inv.CreditTypeID != USDCreditTypeID || p.StripeCustomerID == "" {
		return p, false
	}
	total, ok := wholeCents(inv.Total)
	if !ok || total == 0 {
		return p, false
	}
	p.TotalCents = total
	type exact struct {
		desc   string
		amount money.Amount
	}
	var lines []exact
	var sum money.Amount
	for _, l := range inv.Lines {
		if l.CreditTypeID != inv.CreditTypeID || l.Total.IsZero() {
			continue
		}
		if l.Type == LineAppliedCommit {
			if cm := k.Commit(l.CommitID); cm != nil && cm.postpaid() {
				continue // shown, not subtracted
			}
		}
		lines = append(lines, exact{k.lineDescription(l, cat), l.Total})
		sum = sum.Add(l.Total)
	}
	if !sum.Equal(inv.Total) {
		lines = []exact{{"Usage statement " + fmtTime(inv.Start) + " to " + fmtTime(inv.End), inv.Total}}
	}
	var cents int64
	for _, l := range lines {
		n, ok := wholeCents(l.amount)
		if !ok {
			return p, false
		}
		if n == 0 {
			continue
		}
		cents += n
		p.Lines = append(p.Lines, StripeInvoiceLine{Description: l.desc, Amount: json.Number(l.amount.String()), AmountCents: n})
	}
	if cents != total {
		p.Lines = append(p.Lines, StripeInvoiceLine{Description: RoundingDescription, AmountCents: total - cents})
	}
	return p, true
}

// lineDescription names an invoice line as the invoice shows it.
func (k *Contract) lineDescription(l *InvoiceLine, cat *Catalog) string {
	name := ""
	if p := cat.Products[l.ProductID]; p != nil {
		name = p.Name
	}
	switch l.Type {
	case LineUsage:
		if len(l.GroupValues()) > 0 {
			name += " (" + strings.Join(l.GroupValues(), ", ") + ")"
		}
	case LineScheduled:
		if ch := k.ScheduledCharge(l.ChargeID()); ch != nil && ch.Name != "" {
			name = ch.Name
		}
	case LineAppliedCommit, LineCommitPurchase:
		if cm := k.Commit(l.CommitID); cm != nil {
			switch {
			case cm.Name != "":
				name = cm.Name
			case name == "":
				if p := cat.Products[cm.ProductID]; p != nil {
					name = p.Name
				}
			}
		}
	case LineCPUConversion:
		name = "Custom pricing unit conversion"
	}
	if strings.TrimSpace(name) == "" {
		name = l.Type
	}
	return name
}

// sendInvoices queues, for the invoices the run finalized
// (Contract.finalizedInRun), once each, invoice.finalized
// (invoice_finalized.go) and, for the contracts that send to Stripe
// (Contract.SendsToStripe), invoice.stripe_send: it runs at the end of
// every shard run for each customer the run changed.
func (s *shard) sendInvoices(c *Customer, cat *Catalog) {
	for _, k := range c.Contracts {
		finalized := k.finalizedInRun()
		if len(finalized) == 0 {
			continue
		}
		for _, inv := range finalized {
			s.notifyFinalized(c, inv)
		}
		if k.SendsToStripe() {
			for _, inv := range finalized {
				if p, ok := k.stripeInvoice(c, inv, cat); ok {
					s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: NoteStripeInvoice, props: p})
				}
			}
		}
		k.EditExtra(func(x *ContractExtra) { x.finalized = nil })
	}
}

func routeRecordExternalInvoice(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*RecordExternalInvoice).CustomerID)
}

// validateRecordExternalInvoice checks the record and that the invoice is a
// finalized one of a contract that sends to Stripe, without another
// external invoice, before the gate.
func validateRecordExternalInvoice(c *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	cmd := command.(*RecordExternalInvoice)
	switch {
	case cmd.Provider != ProviderStripeBilling:
		return errorf(Invalid, "provider: must be %s", ProviderStripeBilling)
	case cmd.ExternalID == "":
		return errorf(Invalid, "external_id: is required")
	case len(cmd.ExternalID) > MaxExternalIDLen:
		return errorf(Invalid, "external_id: longer than %d bytes", MaxExternalIDLen)
	case cmd.Status != "" && externalStatusRank(cmd.Status) == 0:
		return errorf(Invalid, "status: not an external invoice status (FINALIZED, PAYMENT_FAILED, UNCOLLECTIBLE, PAID or VOID)")
	}
	k, inv := c.findInvoice(cmd.InvoiceID)
	switch {
	case inv == nil:
		return errorf(NotFound, "invoice_id: invoice %s not found", cmd.InvoiceID)
	case !k.SendsToStripe():
		// Only the invoices Burndown sends have a Stripe invoice.
		return errorf(Invalid, "invoice_id: invoice %s is of contract %s, whose invoices are not sent to stripe", inv.ID, k.ID)
	case inv.Status != InvoiceFinalized && (inv.Status != InvoiceVoid || inv.External() == nil):
		// A voided invoice's Stripe invoice still moves (its void, or a
		// payment Stripe took before it).
		return errorf(Invalid, "invoice_id: invoice %s is not finalized", cmd.InvoiceID)
	case inv.External() != nil && (inv.External().Provider != cmd.Provider || inv.External().InvoiceID != cmd.ExternalID):
		return errorf(Conflict, "invoice_id: invoice %s already has the %s invoice %s", inv.ID, inv.External().Provider, inv.External().InvoiceID)
	}
	return nil
}

// findInvoice returns an invoice of the customer's contracts by id, and its
// contract (nil, nil when there is none; c may be nil).
func (c *Customer) findInvoice(id string) (*Contract, *Invoice) {
	if c == nil {
		return nil, nil
	}
	for _, k := range c.Contracts {
		if inv := k.Invoice(id); inv != nil {
			return k, inv
		}
	}
	return nil, nil
}

func applyRecordExternalInvoice(s *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	cmd := t.cmd.(*RecordExternalInvoice)
	status := cmd.Status
	if status == "" {
		status = ExternalFinalized
	}
	_, inv := c.findInvoice(cmd.InvoiceID)
	t.res.ID = inv.ID
	if x := inv.External(); x != nil {
		// Recorded already (a re-send after a failover, or the provider's
		// event first): only a later status moves it.
		if externalStatusRank(status) > externalStatusRank(x.Status) {
			x.Status = status
		}
		return
	}
	at := cmd.IssuedAt
	if at == 0 {
		at = now
	}
	inv.SetExternal(&ExternalInvoice{Provider: cmd.Provider, InvoiceID: cmd.ExternalID, Status: status, IssuedAt: at})
}
