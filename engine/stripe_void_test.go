package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// An invoice sent to Stripe can be voided once its Stripe invoice is
// recorded: before, the void is refused (it is on its way); after, the
// invoice is VOID at once and invoice.stripe_void names Stripe's invoice;
// the void's record (status VOID) is then taken on the voided invoice. An
// invoice Stripe shows as paid cannot be voided.
func TestVoidInvoiceSentToStripe(t *testing.T) {
	h, stripeK, _ := invoiceSetup(t)
	h.setClock("2026-01-10T00:00:00Z")
	h.must(h.events("stripe-co", "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
	h.setClock("2026-02-02T00:00:00Z")
	p := stripeInvoiceNote(t, only(t, h.payNotes(), NoteStripeInvoice, 1)[0])
	void := &VoidInvoice{CustomerID: p.CustomerID, InvoiceID: p.InvoiceID}
	wantErr(t, h.apply(void)[0], Invalid, "is being sent to stripe")
	record := func(status string) Result {
		return h.apply(&RecordExternalInvoice{CustomerID: p.CustomerID, InvoiceID: p.InvoiceID, Provider: ProviderStripeBilling, ExternalID: "in_1", Status: status})[0]
	}
	if r := record(ExternalFinalized); r.Err != nil {
		t.Fatal(r.Err)
	}
	h.must(void)
	notes := only(t, h.payNotes(), NoteStripeVoid, 1)
	var v StripeVoid
	raw, _ := json.Marshal(notes[0].Properties)
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if v != (StripeVoid{CustomerID: p.CustomerID, ContractID: stripeK, InvoiceID: p.InvoiceID, StripeInvoiceID: "in_1"}) {
		t.Fatalf("invoice.stripe_void %+v", v)
	}
	inv := h.contract(p.CustomerID, stripeK).Invoices[0]
	if inv.Status != InvoiceVoid {
		t.Fatalf("status %s after the void", inv.Status)
	}
	if r := record(ExternalVoid); r.Err != nil || inv.External().Status != ExternalVoid {
		t.Fatalf("recording Stripe's void: %+v, external %+v", r.Err, inv.External())
	}

	// Paid in Stripe: refused, and nothing queued.
	h2, k2, _ := invoiceSetup(t)
	h2.setClock("2026-01-10T00:00:00Z")
	h2.must(h2.events("stripe-co", "call", "c", 0, 101, "2026-01-10T00:00:00Z"))
	h2.setClock("2026-02-02T00:00:00Z")
	p2 := stripeInvoiceNote(t, only(t, h2.payNotes(), NoteStripeInvoice, 1)[0])
	h2.must(&RecordExternalInvoice{CustomerID: p2.CustomerID, InvoiceID: p2.InvoiceID, Provider: ProviderStripeBilling, ExternalID: "in_2", Status: ExternalPaid})
	r := h2.apply(&VoidInvoice{CustomerID: p2.CustomerID, InvoiceID: p2.InvoiceID})[0]
	if r.Err == nil || !strings.Contains(r.Err.Message, "is paid in stripe (in_2)") {
		t.Fatalf("voiding a paid invoice: %+v", r.Err)
	}
	only(t, h2.payNotes(), NoteStripeVoid, 0)
	if st := h2.contract(p2.CustomerID, k2).Invoices[0].Status; st != InvoiceFinalized {
		t.Fatalf("a refused void left the invoice %s", st)
	}
}
