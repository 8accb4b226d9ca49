package engine

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// readInvoice returns the customer's invoice by id.
func (h *harness) readInvoice(customer, id string) *Invoice {
	h.t.Helper()
	r, ok, _ := h.e.ReadCustomer(context.Background(), customer)
	if !ok {
		h.t.Fatalf("customer %s not found", customer)
	}
	_, inv := r.Customer.findInvoice(id)
	if inv == nil {
		h.t.Fatalf("invoice %s not found", id)
	}
	return inv
}

func ledgerString(cm *Commit, now Nanos) string {
	var out []string
	for _, e := range cm.Ledger(now) {
		out = append(out, fmt.Sprintf("%s %s %s", e.Type, e.Amount, fmtTime(e.Timestamp)))
	}
	return fmt.Sprint(out)
}

// Voiding January's invoice (300 of usage, 250 of it paid by a credit)
// gives the credit its 250 back; February's 100 then draws on it, and
// regenerating January draws the 150 left, billing 150. Expired segments
// get the draw back and expire it at once; refusals name the invoice.
func TestVoidAndRegenerateInvoice(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	_, rc, fixed := payGo(h)
	start := ns(t, "2026-01-01T00:00:00Z")
	a := h.customer("a", &CreateContract{RateCardID: rc, StartingAt: start, Credits: []CommitInput{{ID: "cr", ProductID: fixed,
		AccessSchedule: []ScheduleItem{{ID: "seg", Amount: dec("250"), StartingAt: start, EndingBefore: ns(t, "2026-04-01T00:00:00Z")}}}}})
	b := h.customer("b", &CreateContract{RateCardID: rc, StartingAt: start, Credits: []CommitInput{{ID: "cr", ProductID: fixed,
		AccessSchedule: []ScheduleItem{{ID: "seg", Amount: dec("100"), StartingAt: start, EndingBefore: ns(t, "2026-02-01T00:00:00Z")}}}}})
	h.must(h.events("a", "unit", "a", 0, 3, "2026-01-02T00:00:00Z"))
	h.must(h.events("b", "unit", "b", 0, 1, "2026-01-02T00:00:00Z"))
	jan := h.read(a).Contracts[0].Invoices[0].ID
	wantErr(t, h.apply(&VoidInvoice{CustomerID: a, InvoiceID: jan})[0], Invalid, "id: invoice "+jan+" is a draft")
	wantErr(t, h.apply(&VoidInvoice{CustomerID: a, InvoiceID: "nope"})[0], NotFound, "id: invoice nope not found")
	wantErr(t, h.apply(&RegenerateInvoice{CustomerID: a, InvoiceID: jan})[0], Invalid, "is not void")
	h.setClock("2026-02-05T00:00:00Z")
	if inv := h.readInvoice(a, jan); inv.Status != InvoiceFinalized || inv.Total.String() != "50" {
		t.Fatalf("january %s %s", inv.Status, inv.Total)
	}
	if id, ok, err := h.e.InvoiceCustomer(context.Background(), jan); err != nil || !ok || id != a {
		t.Fatalf("InvoiceCustomer: %s %t %v", id, ok, err)
	}
	if _, ok, _ := h.e.InvoiceCustomer(context.Background(), "nope"); ok {
		t.Fatal("an unknown invoice found")
	}

	h.must(&VoidInvoice{CustomerID: a, InvoiceID: jan})
	if got := h.balance(a); got.String() != "250" {
		t.Fatalf("balance after the void %s, want 250", got)
	}
	if inv := h.readInvoice(a, jan); inv.Status != InvoiceVoid || inv.Total.String() != "50" {
		t.Fatalf("voided january %s %s: the lines stay", inv.Status, inv.Total)
	}
	wantErr(t, h.apply(&VoidInvoice{CustomerID: a, InvoiceID: jan})[0], Invalid, "already void")
	h.must(h.events("a", "unit", "a", 10, 1, "2026-02-05T00:00:00Z"))
	if got := h.balance(a); got.String() != "150" {
		t.Fatalf("balance after february %s, want 150", got)
	}

	regen := h.must(&RegenerateInvoice{CustomerID: a, InvoiceID: jan}).ID
	if regen != RegeneratedID(jan) {
		t.Fatalf("regenerated id %s", regen)
	}
	inv := h.readInvoice(a, regen)
	var lines []string
	for _, l := range inv.Lines {
		lines = append(lines, fmt.Sprintf("%s %s %s", l.Type, l.Quantity, l.Total))
	}
	if inv.Status != InvoiceFinalized || inv.Total.String() != "150" || inv.Start != start ||
		fmt.Sprint(lines) != "[usage 3 300 applied_commit_or_credit 0 -150]" {
		t.Fatalf("regenerated %s total %s lines %v", inv.Status, inv.Total, lines)
	}
	if got := h.balance(a); !got.IsZero() {
		t.Fatalf("balance after regenerating %s, want 0", got)
	}
	k := h.read(a).Contracts[0]
	if f := k.findInvoice(ns(t, "2026-01-10T00:00:00Z")); f.ID != regen {
		t.Fatalf("the period's invoice is %s, want the regenerated one", f.ID)
	}
	want := "[CREDIT_SEGMENT_START 250 2026-01-01T00:00:00Z CREDIT_AUTOMATED_INVOICE_DEDUCTION -250 2026-01-01T00:00:00Z " +
		"CREDIT_AUTOMATED_INVOICE_DEDUCTION -150 2026-01-01T00:00:00Z " +
		"CREDIT_AUTOMATED_INVOICE_DEDUCTION -100 2026-02-01T00:00:00Z CREDIT_CANCELED 250 2026-02-05T00:00:00Z]"
	if got := ledgerString(k.Commit("cr"), h.now.UnixNano()); got != want {
		t.Fatalf("ledger\n%s\nwant\n%s", got, want)
	}
	wantErr(t, h.apply(&RegenerateInvoice{CustomerID: a, InvoiceID: jan})[0], Conflict, "already regenerated as "+regen)

	// b's credit ended with January: its 100 comes back and expires.
	bjan := h.read(b).Contracts[0].Invoices[0].ID
	h.must(&VoidInvoice{CustomerID: b, InvoiceID: bjan})
	want = "[CREDIT_SEGMENT_START 100 2026-01-01T00:00:00Z CREDIT_AUTOMATED_INVOICE_DEDUCTION -100 2026-01-01T00:00:00Z " +
		"CREDIT_EXPIRATION 0 2026-02-01T00:00:00Z CREDIT_CANCELED 100 2026-02-05T00:00:00Z CREDIT_EXPIRATION -100 2026-02-05T00:00:00Z]"
	if got := ledgerString(h.read(b).Contracts[0].Commit("cr"), h.now.UnixNano()); got != want {
		t.Fatalf("ledger\n%s\nwant\n%s", got, want)
	}
	if got := h.balance(b); !got.IsZero() {
		t.Fatalf("b's balance %s", got)
	}
	if inv := h.readInvoice(b, h.must(&RegenerateInvoice{CustomerID: b, InvoiceID: bjan}).ID); inv.Total.String() != "100" {
		t.Fatalf("b's regenerated total %s, want 100 (no balance left)", inv.Total)
	}
}

// invoiceCommands are the voids and regenerates of a step of the random
// log (a generator of its own), of invoices whose ids are derived from a
// likely period start (the contract's start, or the first of February): some found and finalized, voided once and regenerated once
// voided; the others refused (not found, a draft, already void, sent to
// Stripe, already regenerated).
func invoiceCommands(rng *rand.Rand, start Nanos, customers int) []Command {
	if rng.Intn(2) != 0 {
		return nil
	}
	c := fmt.Sprintf("c%02d", 7*rng.Intn(customers/7)) // a few, so voids meet regenerates
	var i int
	fmt.Sscanf(c, "c%d", &i)
	from := []Nanos{start + int64(i%3)*int64(time.Hour), start, start + 31*nanosPerDay}[rng.Intn(3)]
	id := DeriveID("k"+c, "invoice", time.Unix(0, from).UTC().Format(time.RFC3339))
	if rng.Intn(3) == 0 {
		id = RegeneratedID(id) // void the regenerated invoice in turn
	}
	void, regen := &VoidInvoice{CustomerID: c, InvoiceID: id}, &RegenerateInvoice{CustomerID: c, InvoiceID: id}
	return [][]Command{{void}, {regen}, {void, regen}}[rng.Intn(3)]
}
