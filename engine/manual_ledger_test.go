package engine

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// A manual entry moves a credit segment's balance and the entitlement with
// it: +50 on a 100 credit with 30 drawn leaves 120; a -150 takes the
// ledger below zero (as Metronome allows) and the balance floors at zero,
// so usage is then billed as overage and the prepaid-only customer is not
// entitled; a later +70 brings the ledger back to 40. The ledger shows
// each as CREDIT_MANUAL with its reason; refusals name their field.
func TestManualLedgerEntry(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	product, rc, fixed := payGo(h)
	start, end := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z")
	a := h.customer("a", &CreateContract{RateCardID: rc, StartingAt: start, PrepaidOnly: true, Credits: []CommitInput{{ID: "cr", ProductID: fixed,
		AccessSchedule: []ScheduleItem{{ID: "seg", Amount: dec("100"), StartingAt: start, EndingBefore: end}}}}})
	k := h.read(a).Contracts[0].ID
	h.must(h.events("a", "unit", "u", 0, 1, "2026-01-02T00:00:00Z")) // 100 at 100 each: the credit is spent
	entry := func(amount, reason string, at Nanos) *AddManualLedgerEntry {
		return &AddManualLedgerEntry{CustomerID: a, ContractID: k, CommitID: "cr", SegmentID: "seg", Amount: dec(amount), Reason: reason, At: at}
	}
	h.must(entry("30", "outage refund", 0))
	if got := h.balance(a); got.String() != "30" {
		t.Fatalf("balance after +30: %s", got)
	}
	if e, _, _ := h.check(a, product); e != "true" {
		t.Fatal("not entitled with 30 left")
	}
	h.must(entry("-130", "chargeback", ns(t, "2026-01-02T00:00:00Z")))
	if got := h.balance(a); !got.IsZero() {
		t.Fatalf("balance after -130: %s, want floored at 0", got)
	}
	if e, _, _ := h.check(a, product); e != "false" {
		t.Fatal("entitled with a ledger below zero")
	}
	h.must(entry("140", "goodwill", 0))
	if got := h.balance(a); got.String() != "40" {
		t.Fatalf("balance after +140: %s, want 40", got)
	}
	ledger := h.read(a).Contracts[0].Commit("cr").Ledger(h.now.UnixNano())
	var manual, sum []string
	total := dec("0")
	for _, e := range ledger {
		total = total.Add(e.Amount)
		if e.Type == "CREDIT_MANUAL" {
			manual = append(manual, fmt.Sprintf("%s %s %s", e.Amount, e.Reason, fmtTime(e.Timestamp)))
		}
		sum = append(sum, e.Type)
	}
	want := []string{"30 outage refund 2026-01-01T00:00:00Z", "140 goodwill 2026-01-01T00:00:00Z", "-130 chargeback 2026-01-02T00:00:00Z"}
	if fmt.Sprint(manual) != fmt.Sprint(want) || total.String() != "40" || sum[0] != "CREDIT_SEGMENT_START" {
		t.Fatalf("ledger %v manual %v sum %s", sum, manual, total)
	}
	if l := ledger[0]; l.Amount.String() != "100" {
		t.Fatalf("segment start %s, want the granted 100", l.Amount)
	}

	wantErr(t, h.apply(entry("0", "x", 0))[0], Invalid, "amount: must not be zero")
	wantErr(t, h.apply(entry("1", "", 0))[0], Invalid, "reason:")
	wantErr(t, h.apply(entry("1", "x", ns(t, "2026-03-01T00:00:00Z")))[0], Invalid, "timestamp: must be within the segment")
	wantErr(t, h.apply(entry("1", "x", ns(t, "2026-01-20T00:00:00Z")))[0], Invalid, "timestamp: must not be in the future")
	wantErr(t, h.apply(&AddManualLedgerEntry{CustomerID: a, CommitID: "nope", SegmentID: "seg", Amount: dec("1"), Reason: "x"})[0], NotFound, "id:")
	wantErr(t, h.apply(&AddManualLedgerEntry{CustomerID: a, CommitID: "cr", SegmentID: "nope", Amount: dec("1"), Reason: "x"})[0], NotFound, "segment_id:")
	wantErr(t, h.apply(&AddManualLedgerEntry{CustomerID: a, ContractID: "nope", CommitID: "cr", SegmentID: "seg", Amount: dec("1"), Reason: "x"})[0], NotFound, "contract_id:")
	wantErr(t, h.apply(&AddManualLedgerEntry{CustomerID: a, CommitID: "cr", SegmentID: "seg", Amount: dec("1e40"), Reason: "x"})[0], Invalid, "amount:")
	// Without contract_id the commit is found on the customer's contract.
	h.must(&AddManualLedgerEntry{CustomerID: a, CommitID: "cr", SegmentID: "seg", Amount: dec("-15.5"), Reason: "fix"})
	if got := h.balance(a); got.String() != "24.5" {
		t.Fatalf("balance %s, want 24.5", got)
	}
	// At the segment's end what is left expires.
	h.setClock("2026-02-01T00:00:00Z")
	ledger = h.read(a).Contracts[0].Commit("cr").Ledger(h.now.UnixNano())
	if last := ledger[len(ledger)-1]; last.Type != "CREDIT_EXPIRATION" || last.Amount.String() != "-24.5" {
		t.Fatalf("last entry %s %s", last.Type, last.Amount)
	}
	wantErr(t, h.apply(entry("1", "late", 0))[0], Invalid, "segment_id: segment seg ended")
}

// manualEntries are the manual ledger entries of a step of the random log
// (a generator of its own): on the customers' credits' segments and on
// their customer-level commits and credits, positive
// and negative (some beyond what is left), dated at the segment start or
// in the last two days; some refused (a segment not found, a date before
// the segment).
func manualEntries(rng *rand.Rand, now Nanos, customers int) []Command {
	if rng.Intn(3) != 0 {
		return nil
	}
	c := fmt.Sprintf("c%02d", rng.Intn(customers))
	cm := DeriveID("k"+c, "credits", fmt.Sprint(rng.Intn(2)))
	cmd := &AddManualLedgerEntry{CustomerID: c, CommitID: cm, SegmentID: DeriveID(cm, "segment", fmt.Sprint(rng.Intn(3))),
		Amount: dec(fmt.Sprint(rng.Intn(100) - 60)), Reason: fmt.Sprintf("adjustment %d", rng.Intn(5))}
	if cmd.Amount.IsZero() {
		cmd.Amount = dec("12.5")
	}
	switch rng.Intn(3) {
	case 0:
		cmd.ContractID = "k" + c
	case 1: // a customer-level commit or credit, where there is one
		cmd.CommitID = CustomerBalanceID(c, rng.Intn(2))
		cmd.SegmentID = DeriveID(cmd.CommitID, "segment", "0")
	}
	if rng.Intn(2) == 0 {
		cmd.At = now - int64(rng.Intn(48))*int64(time.Hour)
	}
	return []Command{cmd}
}
