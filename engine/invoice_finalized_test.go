package engine

import "testing"

// invoice.finalized goes out once for each invoice a tick finalizes (past
// its period and the 24-hour grace), with Metronome's properties; while
// the cluster keeps them off (an older data format) none is queued, and
// turning them on later does not announce what was finalized before.
func TestInvoiceFinalizedNotification(t *testing.T) {
	h := newHarness(t, "2026-01-06T00:00:00Z")
	_, rc, _ := payGo(h)
	cust := h.customer("fin", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.must(h.events("fin", "unit", "a", 0, 3, "2026-01-05T00:00:00Z"))
	h.setClock("2026-02-01T23:59:59Z")
	wantNotes(t, h.notes()) // in its grace: still a draft
	h.setClock("2026-02-02T00:00:00Z")
	n := h.notes()
	wantNotes(t, n, NoteInvoiceFinalized)
	var jan string
	h.e.read(t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		inv := c.Contracts[0].Invoices[0]
		if inv.Status != InvoiceFinalized {
			t.Fatalf("January's invoice is %s", inv.Status)
		}
		jan = inv.ID
	})
	if p := n[0].Properties; p["invoice_id"] != jan || p["customer_id"] != cust || p["invoice_finalized_date"] != "2026-02-02T00:00:00Z" || len(p) != 3 {
		t.Fatalf("invoice.finalized properties %v", p)
	}
	h.setClock("2026-02-20T00:00:00Z")
	wantNotes(t, h.notes()) // finalized once
	h.must(h.events("fin", "unit", "f", 0, 1, "2026-02-20T00:00:00Z"))

	h.e.SetInvoiceFinalizedNotes(false)
	h.setClock("2026-03-02T00:00:00Z")
	wantNotes(t, h.notes())
	h.e.read(t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		if invs := c.Contracts[0].Invoices; len(invs) < 2 || invs[1].Status != InvoiceFinalized {
			t.Fatalf("February's invoice is not finalized: %d invoices", len(invs))
		}
	})
	h.e.SetInvoiceFinalizedNotes(true)
	h.setClock("2026-03-03T00:00:00Z")
	wantNotes(t, h.notes())
	h.must(h.events("fin", "unit", "b", 0, 1, "2026-03-03T00:00:00Z"))
	h.setClock("2026-04-02T00:00:00Z")
	wantNotes(t, h.notes(), NoteInvoiceFinalized)
}
