package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// stripeInvoiceNote decodes an invoice.stripe_send notification's properties.
func stripeInvoiceNote(t *testing.T, n note) StripeInvoice {
	t.Helper()
	b, _ := json.Marshal(n.Properties)
	var p StripeInvoice
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// stripeBilling is the billing_provider_configuration that sends a
// contract's invoices to Stripe.
func stripeBilling() *ContractBillingProvider {
	return &ContractBillingProvider{BillingProvider: ProviderStripeBilling, DeliveryMethod: DeliveryDirect}
}

// invoiceSetup is a catalog with two usage products at fractional prices
// and a Stripe customer and a plain one, each on a contract from
// 2026-01-01 with a 100-cent prepaid commit (not invoiced); the Stripe
// customer's contract sends its invoices to Stripe.
func invoiceSetup(t *testing.T) (h *harness, stripeK, plainK string) {
	h, stripeK, plainK, _ = invoiceSetupWith(t, stripeBilling())
	return h, stripeK, plainK
}

// invoiceSetupWith is invoiceSetup with the Stripe customer's contract's
// billing_provider_configuration given (nil: none); it also returns the
// rate card.
func invoiceSetupWith(t *testing.T, billing *ContractBillingProvider) (h *harness, stripeK, plainK, rc string) {
	h = newHarness(t, "2026-01-01T00:00:00Z")
	m1 := h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount}).ID
	m2 := h.must(&CreateMetric{Name: "jobs", EventTypeFilter: &EventTypeFilter{InValues: []string{"job"}}, Aggregation: AggCount}).ID
	calls := h.must(&CreateProduct{Name: "API calls", Type: ProductUsage, BillableMetricID: m1}).ID
	jobs := h.must(&CreateProduct{Name: "Jobs", Type: ProductUsage, BillableMetricID: m2}).ID
	fixed := h.must(&CreateProduct{Name: "Prepaid pack", Type: ProductFixed}).ID
	rc = h.must(&CreateRateCard{Name: "Card"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{
		{ProductID: calls, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1.5")},
		{ProductID: jobs, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("0.5")}}})
	commit := []CommitInput{{Type: CommitPrepaid, ProductID: fixed, Name: "Starter credit", DoNotInvoice: true,
		AccessSchedule: []ScheduleItem{{Amount: dec("100"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}
	s := h.must(&CreateCustomer{Name: "Stripe Co", IngestAliases: []string{"stripe-co"},
		BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_inv"}}}}).ID
	p := h.must(&CreateCustomer{Name: "Plain Co", IngestAliases: []string{"plain-co"}}).ID
	stripeK = h.must(&CreateContract{CustomerID: s, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Commits: commit,
		BillingProviderConfiguration: billing}).ID
	plainK = h.must(&CreateContract{CustomerID: p, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Commits: commit}).ID
	return h, stripeK, plainK, rc
}

// A finalized usage invoice of a Stripe customer queues exactly one
// invoice.stripe_send with its lines in whole cents (rounded half-up, a
// rounding line making them add up to the rounded total); a customer
// without a Stripe id queues none; later ticks queue nothing more.
func TestStripeInvoiceQueuedOnFinalize(t *testing.T) {
	h, stripeK, _ := invoiceSetup(t)
	h.setClock("2026-01-10T00:00:00Z")
	for _, alias := range []string{"stripe-co", "plain-co"} {
		// 101 calls at 1.5 (151.5) and 1 job at 0.5: 152 less the 100
		// credit = 52 cents.
		h.must(h.events(alias, "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
		h.must(h.events(alias, "job", "j", 0, 1, "2026-01-10T00:00:00Z"))
	}
	h.setClock("2026-02-01T12:00:00Z") // the period is over, not its grace
	only(t, h.payNotes(), NoteStripeInvoice, 0)
	h.setClock("2026-02-02T00:00:00Z")
	n := only(t, h.payNotes(), NoteStripeInvoice, 1)[0]
	p := stripeInvoiceNote(t, n)
	k := h.contract(p.CustomerID, stripeK)
	inv := k.Invoices[0]
	if p.ContractID != stripeK || p.InvoiceID != inv.ID || p.StripeCustomerID != "cus_inv" || p.Currency != "usd" ||
		p.Total != "52" || p.TotalCents != 52 || inv.Status != InvoiceFinalized || p.StartTimestamp != "2026-01-01T00:00:00Z" || p.EndTimestamp != "2026-02-01T00:00:00Z" {
		t.Fatalf("stripe_send %+v for invoice %+v", p, inv)
	}
	// 151.5 → 152, 0.5 → 1, −100: 53, one cent more than the total.
	// In the invoice's order.
	want := []StripeInvoiceLine{{"API calls", "151.5", 152}, {"Starter credit", "-100", -100}, {"Jobs", "0.5", 1}, {RoundingDescription, "", -1}}
	if len(p.Lines) != len(want) {
		t.Fatalf("lines %+v, want %+v", p.Lines, want)
	}
	var sum int64
	for i, l := range p.Lines {
		if l != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, l, want[i])
		}
		sum += l.AmountCents
	}
	if sum != p.TotalCents {
		t.Fatalf("lines add up to %d, want %d", sum, p.TotalCents)
	}
	// Later ticks (the next period finalizing empty: nothing) send nothing.
	h.setClock("2026-03-05T00:00:00Z")
	only(t, h.payNotes(), NoteStripeInvoice, 0)
}

// record_external_invoice stores the Stripe invoice on the finalized
// invoice; recording it again is a no-op, another id is refused, as are a
// draft, an unknown invoice and another provider.
func TestRecordExternalInvoice(t *testing.T) {
	h, stripeK, _ := invoiceSetup(t)
	h.setClock("2026-01-10T00:00:00Z")
	h.must(h.events("stripe-co", "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
	h.setClock("2026-02-02T00:00:00Z")
	h.must(h.events("stripe-co", "call", "d", 0, 1, "2026-02-02T00:00:00Z")) // February's draft
	p := stripeInvoiceNote(t, only(t, h.payNotes(), NoteStripeInvoice, 1)[0])
	k := h.contract(p.CustomerID, stripeK)
	jan, feb := k.Invoices[0], k.Invoices[1]
	rec := func(inv, id string) Result {
		return h.apply(&RecordExternalInvoice{CustomerID: p.CustomerID, InvoiceID: inv, Provider: ProviderStripeBilling, ExternalID: id,
			Status: ExternalFinalized, IssuedAt: ns(t, "2026-02-02T00:00:05Z")})[0]
	}
	for i := 0; i < 2; i++ {
		if r := rec(jan.ID, "in_123"); r.Err != nil || r.ID != jan.ID {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	got := h.contract(p.CustomerID, stripeK).Invoices[0].External()
	if got == nil || *got != (ExternalInvoice{Provider: "stripe", InvoiceID: "in_123", Status: ExternalFinalized, IssuedAt: ns(t, "2026-02-02T00:00:05Z")}) {
		t.Fatalf("external invoice %+v", got)
	}
	for _, tc := range []struct {
		r    Result
		code Code
		msg  string
	}{
		{rec(jan.ID, "in_other"), Conflict, "already has the stripe invoice in_123"},
		{rec(feb.ID, "in_feb"), Invalid, "is not finalized"},
		{rec("nope", "in_x"), NotFound, "invoice nope not found"},
		{h.apply(&RecordExternalInvoice{CustomerID: p.CustomerID, InvoiceID: jan.ID, Provider: "netsuite", ExternalID: "x"})[0], Invalid, "provider"},
		{h.apply(&RecordExternalInvoice{CustomerID: "nobody", InvoiceID: jan.ID, Provider: "stripe", ExternalID: "x"})[0], NotFound, "customer"},
	} {
		if tc.r.Err == nil || tc.r.Err.Code != tc.code || !strings.Contains(tc.r.Err.Message, tc.msg) {
			t.Errorf("%+v, want %d %q", tc.r.Err, tc.code, tc.msg)
		}
	}
	if got := h.contract(p.CustomerID, stripeK).Invoices[0].External(); got.InvoiceID != "in_123" {
		t.Fatalf("a refused record changed the invoice: %+v", got)
	}
	only(t, h.payNotes(), NoteStripeInvoice, 0)
}

// A Stripe customer's contract without a billing_provider_configuration
// that selects Stripe (as every contract created before create_contract
// version 4) finalizes its invoices as any other and queues no
// invoice.stripe_send: whether an invoice is sent is the contract's state,
// so replaying an old log, or restoring at any index, queues nothing.
func TestStripeInvoiceNeedsTheContractsConfiguration(t *testing.T) {
	h, stripeK, _, _ := invoiceSetupWith(t, nil)
	h.setClock("2026-01-10T00:00:00Z")
	h.must(h.events("stripe-co", "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
	h.setClock("2026-02-02T00:00:00Z")
	only(t, h.payNotes(), NoteStripeInvoice, 0)
	k := h.contract("stripe-co", stripeK)
	if k == nil || k.BillingProvider() != nil || k.SendsToStripe() || k.Invoices[0].Status != InvoiceFinalized || k.Invoices[0].Total.IsZero() {
		t.Fatalf("contract %+v", k)
	}
	h.setClock("2026-03-05T00:00:00Z")
	only(t, h.payNotes(), NoteStripeInvoice, 0)
	// Nor can a Stripe invoice be recorded on it.
	r := h.apply(&RecordExternalInvoice{CustomerID: "stripe-co", InvoiceID: k.Invoices[0].ID, Provider: ProviderStripeBilling, ExternalID: "in_1"})[0]
	if r.Err == nil || r.Err.Code != Invalid || !strings.Contains(r.Err.Message, "not sent to stripe") {
		t.Fatalf("record on a contract that does not send: %+v", r.Err)
	}
	if got := h.contract("stripe-co", stripeK).Invoices[0].External(); got != nil {
		t.Fatalf("external invoice %+v recorded", got)
	}
}

// contracts/create's billing_provider_configuration: stripe /
// direct_to_billing_provider for a customer with a Stripe customer id is
// stored; anything else is refused by name, and nothing is created.
func TestContractBillingProviderConfiguration(t *testing.T) {
	h, _, _, rc := invoiceSetupWith(t, stripeBilling())
	plain := h.must(&CreateCustomer{Name: "No Stripe", BillingProviders: []BillingProviderConfig{{BillingProvider: "netsuite",
		Configuration: map[string]string{"customer_id": "ns"}}}}).ID
	stripeCust := h.must(&CreateCustomer{Name: "Stripe Too", BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe",
		Configuration: map[string]string{"stripe_customer_id": "cus_2"}}}}).ID
	start := ns(t, "2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		cust string
		in   *ContractBillingProvider
		msg  string
	}{
		{plain, stripeBilling(), "billing_provider_configuration.billing_provider: stripe needs the customer's stripe billing provider configuration with a stripe_customer_id"},
		{stripeCust, &ContractBillingProvider{BillingProvider: "netsuite", DeliveryMethod: DeliveryDirect}, `billing_provider_configuration.billing_provider: "netsuite" is not supported`},
		{stripeCust, &ContractBillingProvider{BillingProvider: "stripe", DeliveryMethod: "aws_sqs"}, `billing_provider_configuration.delivery_method: "aws_sqs" is not supported`},
	} {
		r := h.apply(&CreateContract{CustomerID: tc.cust, RateCardID: rc, StartingAt: start, BillingProviderConfiguration: tc.in})[0]
		if r.Err == nil || r.Err.Code != Invalid || !strings.HasPrefix(r.Err.Message, tc.msg) {
			t.Errorf("%+v: %+v, want Invalid %q", tc.in, r.Err, tc.msg)
		}
	}
	id := h.must(&CreateContract{CustomerID: stripeCust, RateCardID: rc, StartingAt: start, BillingProviderConfiguration: stripeBilling()}).ID
	k := h.contract(stripeCust, id)
	if !k.SendsToStripe() || *k.BillingProvider() != *stripeBilling() {
		t.Fatalf("billing provider %+v", k.BillingProvider())
	}
	if ids := h.contractIDs(plain); len(ids) != 0 {
		t.Fatalf("a refused create made contracts %v", ids)
	}
	if ids := h.contractIDs(stripeCust); len(ids) != 1 {
		t.Fatalf("contracts %v, want the one accepted", ids)
	}
}

// A recorded external invoice's status only moves forward (FINALIZED,
// PAYMENT_FAILED, UNCOLLECTIBLE, then PAID or VOID): the provider's events
// may arrive out of order, or before the dispatcher's own record, and a
// re-sent record must not undo a payment. A status that is none of those is
// refused by name.
func TestExternalInvoiceStatusMovesForward(t *testing.T) {
	h, stripeK, _ := invoiceSetup(t)
	h.setClock("2026-01-10T00:00:00Z")
	h.must(h.events("stripe-co", "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
	h.setClock("2026-02-02T00:00:00Z")
	jan := h.contract("stripe-co", stripeK).Invoices[0]
	status := func() string { return h.contract("stripe-co", stripeK).Invoices[0].External().Status }
	rec := func(st string) Result {
		return h.apply(&RecordExternalInvoice{CustomerID: "stripe-co", InvoiceID: jan.ID, Provider: ProviderStripeBilling, ExternalID: "in_1", Status: st})[0]
	}
	// The provider's event first: it records the invoice.
	for _, step := range []struct{ record, want string }{
		{ExternalPaymentFailed, ExternalPaymentFailed},
		{ExternalFinalized, ExternalPaymentFailed}, // the dispatcher's record, late
		{"", ExternalPaymentFailed},
		{ExternalUncollectible, ExternalUncollectible},
		{ExternalPaid, ExternalPaid},
		{ExternalPaymentFailed, ExternalPaid}, // an old event, redelivered
		{ExternalVoid, ExternalPaid},
	} {
		if r := rec(step.record); r.Err != nil {
			t.Fatalf("record %q: %v", step.record, r.Err)
		}
		if got := status(); got != step.want {
			t.Fatalf("after %q: status %s, want %s", step.record, got, step.want)
		}
	}
	if r := rec("OPEN"); r.Err == nil || r.Err.Code != Invalid || !strings.HasPrefix(r.Err.Message, "status: ") {
		t.Fatalf("unknown status: %+v", r.Err)
	}
	if got := status(); got != ExternalPaid {
		t.Fatalf("a refused record moved the status to %s", got)
	}
}
