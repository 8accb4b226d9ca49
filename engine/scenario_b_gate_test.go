package engine

import (
	"testing"

	"burndown/money"
)

// Scenario B step 5 with an EXTERNAL gate (seeds 001 and 000 together): the
// top-up pack of 1000 AI credits, priority 10, for a year, is bought through
// a payment gate with an 8000-cent invoice. Pending, it is in no balance and
// the AI products stay balance_depleted; released paid, they are entitled
// again, and May's pooled credits (priority 1) are drawn before the pack.
func TestScenarioBStep5ExternalGate(t *testing.T) {
	f := newSeats(t, "2026-04-01T00:00:00Z", FrequencyAnnual, "4")
	h := f.h
	h.setClock("2026-04-16T00:00:00Z")
	if err := f.setSeats("2026-04-16T00:00:00Z", "5", false); err != nil {
		t.Fatal(err)
	}
	f.use("summary", "s", 90, "2026-04-17T00:00:00Z") // step 4: the pool (450) is empty
	wantAmount(t, "step 4 pool", f.pool(), "0")
	h.payNotes()
	var aprilTotal money.Amount
	april := ns(t, "2026-04-01T00:00:00Z")
	f.read(func(k *Contract, _ Nanos) { aprilTotal = k.findInvoice(april).Total })

	// Step 5: the pack, gated.
	h.setClock("2026-04-20T00:00:00Z")
	h.must(&EditContract{CustomerID: f.cust, ContractID: f.contract, AddCommits: []CommitInput{{ID: "pack", Type: CommitPrepaid, ProductID: f.topup,
		CreditTypeID: f.ai, Priority: ptr(dec("10")), ApplicableProductTags: []string{"ai"},
		AccessSchedule:  []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-04-20T00:00:00Z"), EndingBefore: ns(t, "2027-04-20T00:00:00Z")}},
		InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-04-20T00:00:00Z"), Amount: dec("8000")}},
		PaymentGate:     &PaymentGateInput{Type: GateExternal}}}})
	n := only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 8000.0 || n.Properties["workflow_type"] != WorkflowManualCommit || n.Properties["commit_id"] != "pack" ||
		n.Properties["contract_id"] != f.contract {
		t.Fatalf("step 5 initiate %+v", n)
	}
	for _, p := range []string{f.assist, f.preview, f.summary} {
		if e, r, b := h.check("seats", p); e != "false" || r != ReasonBalanceDepleted || b != "0" {
			t.Fatalf("step 5 pending, %s: %s %s %s", p, e, r, b)
		}
	}
	f.read(func(k *Contract, _ Nanos) {
		if k.Commit("pack") != nil || len(k.Gated()) != 1 || k.Gated()[0].GateStatus() != GatePending {
			t.Fatalf("step 5: the pending pack must be in no balance: gated %d", len(k.Gated()))
		}
	})

	// Released paid: entitled again with the pack's 1000; April's usage
	// draws the pack (the pool is empty).
	if r := h.release(n.Properties["workflow_id"].(string), GatePaid); r.Gate.Status != GatePaid || r.Gate.CommitID != "pack" {
		t.Fatalf("step 5 release %+v", r.Gate)
	}
	only(t, h.payNotes(), NotePaymentStatus, 1)
	for _, p := range []string{f.assist, f.preview, f.summary} {
		if e, r, b := h.check("seats", p); e != "true" || r != ReasonOK || b != "1000" {
			t.Fatalf("step 5 paid, %s: %s %s %s", p, e, r, b)
		}
	}
	f.use("preview", "p", 2, "2026-04-21T00:00:00Z")
	pack := func() money.Amount {
		var a money.Amount
		f.read(func(k *Contract, now Nanos) { a = k.Commit("pack").BalanceAt(now) })
		return a
	}
	wantAmount(t, "step 5 pack", pack(), "996")
	// The purchase is paid through its own invoice: April's statement bills
	// nothing more for it.
	f.read(func(k *Contract, _ Nanos) {
		if got := k.findInvoice(april).Total; !got.Equal(aprilTotal) {
			t.Fatalf("April's statement %s, was %s: the gated purchase must not be billed on it", got, aprilTotal)
		}
	})

	// Step 6: May's pool (priority 1) is drawn before the pack (priority 10).
	h.setClock("2026-05-01T00:00:00Z")
	wantAmount(t, "step 6 pool", f.pool(), "500")
	f.use("assist", "a", 10, "2026-05-02T00:00:00Z")
	wantAmount(t, "step 6 pool after usage", f.pool(), "490")
	wantAmount(t, "step 6 pack after usage", pack(), "996")
	if e, _, b := h.check("seats", f.assist); e != "true" || b != "1486" {
		t.Fatalf("step 6 check: %s %s", e, b)
	}
}
