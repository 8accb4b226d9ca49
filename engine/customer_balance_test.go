package engine

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"burndown/money"
)

// customerBalance is a customer-level balance's remainder now and its
// ledger ("TYPE amount, ...").
func (f *multiFixture) customerBalance(id string) (money.Amount, string) {
	var bal money.Amount
	var ledger []string
	f.h.e.read(context.Background(), f.cust, func(c *Customer, _ *Catalog, now Nanos) {
		b := c.CustomerBalanceByID(id)
		if b == nil {
			f.h.t.Fatalf("customer balance %s not found", id)
		}
		bal = b.Commit.BalanceAt(now)
		for _, e := range b.Commit.Ledger(now) {
			ledger = append(ledger, e.Type+" "+e.Amount.String())
		}
	})
	return bal, strings.Join(ledger, ", ")
}

// newCustomerBalance creates a customer-level balance of amount over March
// with the given priority, type and applicable contracts.
func (f *multiFixture) newCustomerBalance(typ, amount, priority string, contracts ...string) string {
	p := dec(priority)
	return f.h.must(&CreateCustomerBalance{CustomerID: f.cust, ApplicableContractIDs: contracts, Balance: CommitInput{
		Type: typ, ProductID: f.calls, Priority: &p,
		AccessSchedule: []ScheduleItem{{Amount: dec(amount), StartingAt: ns(f.h.t, "2026-03-01T00:00:00Z"), EndingBefore: ns(f.h.t, "2026-04-01T00:00:00Z")}},
	}}).ID
}

// A customer-level commit is drawn by the usage of both contracts, before
// their own credits (it has a priority, they have none), and after a
// customer-level credit of a lower priority; the entitlement check's
// balance counts it for every product it applies to.
func TestCustomerBalanceDrawnByEveryContract(t *testing.T) {
	f := newMultiFixture(t)
	credit := f.newCustomerBalance(CommitCredit, "5", "1")
	commit := f.newCustomerBalance(CommitPrepaid, "30", "2")
	if e, r, b := f.h.check(f.cust, f.calls); e != "true" || r != "ok" || b != "135" {
		t.Fatalf("check before usage: %s %s %s, want the platform's 100 and the customer's 35", e, r, b)
	}
	// 3 platform calls (30): the credit's 5, then 25 of the commit.
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z")
	// 4 GPU jobs on the add-on (8): the commit's last 5, then 3 of the add-on's credit.
	f.send("gpu", "ml", "g", 4, "2026-03-05T00:00:00Z")
	if b, l := f.customerBalance(credit); !b.IsZero() || l != "CREDIT_SEGMENT_START 5, CREDIT_AUTOMATED_INVOICE_DEDUCTION -5" {
		t.Fatalf("customer credit: %s [%s]", b, l)
	}
	if b, l := f.customerBalance(commit); !b.IsZero() || l != "PREPAID_COMMIT_SEGMENT_START 30, PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -25, PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -5" {
		t.Fatalf("customer commit: %s [%s]", b, l)
	}
	if got := f.contractBalance("platform"); !got.Equal(dec("100")) {
		t.Fatalf("platform's own credit: %s, want 100 untouched", got)
	}
	if got := f.contractBalance("addon"); !got.Equal(dec("47")) {
		t.Fatalf("add-on's own credit: %s, want 47", got)
	}
	// At the end of March the customer-level segments expire.
	f.h.setClock("2026-04-02T00:00:00Z")
	if _, l := f.customerBalance(commit); !strings.HasSuffix(l, "PREPAID_COMMIT_EXPIRATION 0") {
		t.Fatalf("customer commit after its end: [%s]", l)
	}
}

// applicable_contract_ids limits which contracts' usage draws on it; the
// check counts it only on those.
func TestCustomerBalanceApplicableContracts(t *testing.T) {
	f := newMultiFixture(t)
	commit := f.newCustomerBalance(CommitPrepaid, "20", "1", "addon")
	if _, _, b := f.h.check(f.cust, f.calls); b != "100" {
		t.Fatalf("platform's check balance: %s, want its own 100 only", b)
	}
	if _, _, b := f.h.check(f.cust, f.gpu); b != "70" {
		t.Fatalf("add-on's check balance: %s, want its 50 and the customer's 20", b)
	}
	f.send("call", "", "c", 1, "2026-03-05T00:00:00Z")
	if b, _ := f.customerBalance(commit); !b.Equal(dec("20")) {
		t.Fatalf("after a platform call: %s, want 20 untouched", b)
	}
	f.send("gpu", "ml", "g", 3, "2026-03-05T00:00:00Z")
	if b, _ := f.customerBalance(commit); !b.Equal(dec("14")) {
		t.Fatalf("after 3 GPU jobs: %s, want 14", b)
	}
	wantErr(t, f.h.apply(&CreateCustomerBalance{CustomerID: f.cust, ApplicableContractIDs: []string{"nope"}, Balance: CommitInput{
		Type: CommitPrepaid, ProductID: f.calls, AccessSchedule: []ScheduleItem{{Amount: dec("1"), StartingAt: 1, EndingBefore: 2}}}})[0],
		NotFound, "applicable_contract_ids[0]: contract nope not found")
}

// Voiding the platform's March invoice gives the customer-level commit its
// draw back; regenerating it draws again.
func TestCustomerBalanceVoidGivesBack(t *testing.T) {
	f := newMultiFixture(t)
	commit := f.h.must(&CreateCustomerBalance{CustomerID: f.cust, Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls,
		AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-03-01T00:00:00Z"), EndingBefore: ns(t, "2026-06-01T00:00:00Z")}}}}).ID
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z")
	f.h.setClock("2026-04-02T00:00:00Z")
	var march string
	for _, inv := range f.h.invoices(f.cust) {
		if inv.ContractID == "platform" && inv.Status == InvoiceFinalized {
			march = inv.ID
		}
	}
	if b, _ := f.customerBalance(commit); !b.Equal(dec("1000")) {
		// The platform's own credit has no priority either; it ends first
		// (March), so it is drawn first.
		t.Fatalf("customer commit after March: %s, want 1000 (the platform's credit ends first)", b)
	}
	// April: the platform's credit has ended, the customer's commit pays.
	f.h.setClock("2026-04-06T00:00:00Z")
	if r := f.send("call", "", "d", 2, "2026-04-05T00:00:00Z"); r.Accepted != 2 {
		t.Fatalf("April calls: %+v", r)
	}
	f.h.setClock("2026-05-02T00:00:00Z")
	var april string
	for _, inv := range f.h.invoices(f.cust) {
		if inv.ContractID == "platform" && inv.Status == InvoiceFinalized && inv.ID != march {
			april = inv.ID
		}
	}
	if b, _ := f.customerBalance(commit); !b.Equal(dec("980")) {
		t.Fatalf("after April: %s, want 980", b)
	}
	f.h.must(&VoidInvoice{CustomerID: f.cust, InvoiceID: april})
	if b, l := f.customerBalance(commit); !b.Equal(dec("1000")) || !strings.Contains(l, "PREPAID_COMMIT_CANCELED 20") {
		t.Fatalf("after the void: %s [%s]", b, l)
	}
	f.h.must(&RegenerateInvoice{CustomerID: f.cust, InvoiceID: april})
	if b, _ := f.customerBalance(commit); !b.Equal(dec("980")) {
		t.Fatalf("after regenerating: %s, want 980", b)
	}
	if inv := f.h.readInvoice(f.cust, RegeneratedID(april)); !inv.Total.IsZero() {
		t.Fatalf("regenerated invoice total %s, want 0 (the commit paid)", inv.Total)
	}
}

// POSTPAID, an invoice schedule without its contract and the bounds are
// refused by name;
// updateEndDate shortens and extends, refusing an end before rated usage.
func TestCustomerBalanceRefusalsAndEndDate(t *testing.T) {
	f := newMultiFixture(t)
	item := []ScheduleItem{{Amount: dec("10"), StartingAt: ns(t, "2026-03-01T00:00:00Z"), EndingBefore: ns(t, "2026-05-01T00:00:00Z")}}
	for _, tc := range []struct {
		in   CommitInput
		want string
	}{
		{CommitInput{Type: CommitPostpaid, ProductID: f.calls, AccessSchedule: item}, "type: POSTPAID customer-level commits are not supported"},
		{CommitInput{Type: CommitPrepaid, ProductID: f.calls, AccessSchedule: item, InvoiceSchedule: []InvoiceItem{{Amount: dec("1")}}}, "invoice_contract_id: is required"},
		{CommitInput{Type: CommitPrepaid, ProductID: f.calls}, "access_schedule.schedule_items: 1 to"},
		{CommitInput{Type: CommitPrepaid, ProductID: f.calls, AccessSchedule: item, Name: strings.Repeat("n", MaxBalanceText+1)}, "name: must be at most"},
		{CommitInput{Type: CommitPrepaid, ProductID: "nope", AccessSchedule: item}, "product_id: product nope not found"},
	} {
		if r := f.h.apply(&CreateCustomerBalance{CustomerID: f.cust, Balance: tc.in})[0]; r.Err == nil || !strings.Contains(r.Err.Message, tc.want) {
			t.Fatalf("%+v: got %v, want %q", tc.in.Type, r.Err, tc.want)
		}
	}
	id := f.h.must(&CreateCustomerBalance{CustomerID: f.cust, UniquenessKey: "u1", Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls, AccessSchedule: item}}).ID
	wantErr(t, f.h.apply(&CreateCustomerBalance{CustomerID: f.cust, UniquenessKey: "u1", Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls, AccessSchedule: item}})[0],
		Conflict, "uniqueness_key: u1 was already used")
	f.send("call", "", "c", 1, "2026-03-05T00:00:00Z")
	wantErr(t, f.h.apply(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: id, AccessEndingBefore: ns(t, "2026-03-04T00:00:00Z")})[0],
		Invalid, "access_ending_before: must be after now")
	f.h.must(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: id, AccessEndingBefore: ns(t, "2026-03-20T00:00:00Z")})
	f.h.must(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: id, AccessEndingBefore: ns(t, "2026-07-01T00:00:00Z")})
	segs := f.h.read(f.cust).CustomerBalanceByID(id).Commit.Segments
	if len(segs) != 1 || segs[0].EndingBefore != ns(t, "2026-07-01T00:00:00Z") {
		t.Fatalf("segments after the updates: %+v", segs[0])
	}
	wantErr(t, f.h.apply(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: "nope", AccessEndingBefore: ns(t, "2026-07-01T00:00:00Z")})[0],
		NotFound, "id: customer-level commit or credit nope not found")
}

// customerBalanceCommands are the customer-level balance commands of a
// step of the random log (a generator of its own): commits and credits
// for customers whose invoices get voided (multiples of 7) or who have an
// add-on contract (4 mod 6), for every contract or only one, some refused
// (POSTPAID, an unknown contract, a reused uniqueness key), and end dates
// moved, some refused (in the past, an unknown balance).
func customerBalanceCommands(rng *rand.Rand, now Nanos, customers int) []Command {
	if rng.Intn(3) != 0 {
		return nil
	}
	i := []int{7 * rng.Intn(customers/7), 7 * rng.Intn(customers/7), 6*rng.Intn(customers/6) + 4}[rng.Intn(3)]
	c := fmt.Sprintf("c%02d", i)
	if rng.Intn(3) == 0 {
		end := now + int64(rng.Intn(40)-5)*nanosPerDay
		up := &UpdateCustomerBalanceEnd{CustomerID: c, BalanceID: CustomerBalanceID(c, rng.Intn(3)), AccessEndingBefore: end}
		if rng.Intn(2) == 0 {
			up.InvoicesEndingBefore = now + int64(rng.Intn(20)-5)*nanosPerDay
			if rng.Intn(2) == 0 {
				up.AccessEndingBefore = 0
			}
		}
		return []Command{up}
	}
	prio := money.FromInt(int64(rng.Intn(3)))
	in := CommitInput{Type: []string{CommitPrepaid, CommitCredit, CommitPrepaid, CommitPostpaid}[rng.Intn(4)], ProductID: "fixed", Priority: &prio,
		AccessSchedule: []ScheduleItem{{Amount: dec(fmt.Sprint(10 + rng.Intn(300))), StartingAt: now - int64(rng.Intn(20))*nanosPerDay, EndingBefore: now + int64(1+rng.Intn(30))*nanosPerDay}}}
	if rng.Intn(3) == 0 {
		in.ApplicableProductIDs = []string{"p1"}
	}
	cmd := &CreateCustomerBalance{CustomerID: c, Balance: in, UniquenessKey: fmt.Sprintf("cb-%d", rng.Intn(20))}
	if in.Type == CommitPrepaid && rng.Intn(2) == 0 { // bought on the first contract's invoices
		cmd.InvoiceContractID = "k" + c
		cmd.Balance.InvoiceSchedule = []InvoiceItem{{Timestamp: now + int64(rng.Intn(10))*nanosPerDay, Amount: dec(fmt.Sprint(rng.Intn(100)))},
			{Timestamp: now + int64(10+rng.Intn(30))*nanosPerDay, Amount: dec("5")}}
	}
	switch rng.Intn(4) {
	case 0:
		cmd.ApplicableContractIDs = []string{"k" + c}
	case 1:
		cmd.ApplicableContractIDs = []string{"ka" + c} // an add-on where there is one
	}
	return []Command{cmd}
}

// recordCustomerBalances notes what the random log's customer-level
// balances went through.
func recordCustomerBalances(c *Customer, seen map[string]bool) {
	for _, b := range c.Balances() {
		if len(b.ApplicableContractIDs) > 0 {
			seen["customer balance limited to a contract"] = true
		}
		for _, it := range b.Commit.InvoiceSchedule() {
			if it.InvoiceID != "" {
				seen["customer commit billed"] = true
			}
		}
		for _, sg := range b.Commit.Segments {
			if sg.Expired {
				seen["customer balance expired"] = true
			}
			if len(sg.ManualAdjustments()) > 0 {
				seen["manual entry on a customer balance"] = true
			}
			for _, d := range sg.Deductions {
				if d.Amount.IsNegative() {
					seen["customer balance given back"] = true
				} else {
					seen["customer balance drawn"] = true
				}
			}
		}
	}
}

// purchaseLines describes the commit_purchase lines of a contract's
// invoices: "invoice-status total" per line of the commit.
func (f *multiFixture) purchaseLines(contractID, commitID string) []string {
	var out []string
	for _, inv := range f.h.invoices(f.cust) {
		for _, l := range inv.Lines {
			if inv.ContractID == contractID && l.Type == LineCommitPurchase && l.CommitID == commitID {
				out = append(out, inv.Status+" "+l.Total.String())
			}
		}
	}
	return out
}

// A customer-level commit's invoice schedule is billed on its invoice
// contract's usage invoices; invoices_ending_before takes later items off
// their drafts; voiding and regenerating the invoice moves the item to the
// regenerated one. An item outside the contract's term, or without an
// invoice contract, is refused.
func TestCustomerBalanceInvoiceSchedule(t *testing.T) {
	f := newMultiFixture(t)
	access := []ScheduleItem{{Amount: dec("50"), StartingAt: ns(t, "2026-03-01T00:00:00Z"), EndingBefore: ns(t, "2026-06-01T00:00:00Z")}}
	items := []InvoiceItem{{Timestamp: ns(t, "2026-03-10T00:00:00Z"), Amount: dec("30")}, {Timestamp: ns(t, "2026-04-10T00:00:00Z"), Amount: dec("20")}}
	wantErr(t, f.h.apply(&CreateCustomerBalance{CustomerID: f.cust, InvoiceContractID: "addon", Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls,
		AccessSchedule: access, InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-02-10T00:00:00Z"), Amount: dec("1")}}}})[0],
		Invalid, "invoice_schedule.schedule_items[0].timestamp: 2026-02-10T00:00:00Z is outside the term of contract addon")
	wantErr(t, f.h.apply(&CreateCustomerBalance{CustomerID: f.cust, InvoiceContractID: "nope", Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls,
		AccessSchedule: access, InvoiceSchedule: items}})[0], NotFound, "invoice_contract_id: contract nope not found")
	id := f.h.must(&CreateCustomerBalance{CustomerID: f.cust, InvoiceContractID: "addon", Balance: CommitInput{Type: CommitPrepaid, ProductID: f.calls,
		AccessSchedule: access, InvoiceSchedule: items}}).ID
	if got := strings.Join(f.purchaseLines("addon", id), ", "); got != "DRAFT 30, DRAFT 20" {
		t.Fatalf("purchase lines: %s", got)
	}
	if got := f.purchaseLines("platform", id); len(got) != 0 {
		t.Fatalf("billed on the platform too: %v", got)
	}
	f.h.must(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: id, InvoicesEndingBefore: ns(t, "2026-04-01T00:00:00Z")})
	if got := strings.Join(f.purchaseLines("addon", id), ", "); got != "DRAFT 30" {
		t.Fatalf("after invoices_ending_before: %s", got)
	}
	if n := len(f.h.read(f.cust).CustomerBalanceByID(id).Commit.InvoiceSchedule()); n != 1 {
		t.Fatalf("%d items left, want 1", n)
	}
	f.h.setClock("2026-04-02T00:00:00Z")
	wantErr(t, f.h.apply(&UpdateCustomerBalanceEnd{CustomerID: f.cust, BalanceID: id, InvoicesEndingBefore: ns(t, "2026-03-01T00:00:00Z")})[0],
		Invalid, "invoices_ending_before: the item at 2026-03-10T00:00:00Z is billed on invoice")
	var march string
	for _, inv := range f.h.invoices(f.cust) {
		if inv.ContractID == "addon" && inv.Status == InvoiceFinalized {
			march = inv.ID
		}
	}
	f.h.must(&VoidInvoice{CustomerID: f.cust, InvoiceID: march})
	f.h.must(&RegenerateInvoice{CustomerID: f.cust, InvoiceID: march})
	it := f.h.read(f.cust).CustomerBalanceByID(id).Commit.InvoiceSchedule()[0]
	if it.InvoiceID != RegeneratedID(march) {
		t.Fatalf("the item is billed on %s, want the regenerated invoice", it.InvoiceID)
	}
	if inv := f.h.readInvoice(f.cust, RegeneratedID(march)); !inv.Total.Equal(dec("30")) {
		t.Fatalf("the regenerated invoice's total: %s, want the purchase's 30", inv.Total)
	}
}

// Low-balance alerts (amount and percentage) add the customer-level
// commits that apply to a contract in force: ok while the shared commit
// holds 30, in alarm once usage spent it.
func TestCustomerBalanceLowBalanceAlert(t *testing.T) {
	f := newMultiFixture(t)
	f.newCustomerBalance(CommitPrepaid, "30", "1")
	alert := f.h.must(&CreateAlert{CustomerID: f.cust, Name: "low", Type: AlertLowCommit, Threshold: dec("10"),
		CreditTypeID: USDCreditTypeID, EvaluateOnCreate: true}).ID
	percent := f.h.must(&CreateAlert{CustomerID: f.cust, Name: "half", Type: AlertLowCommitPercent, Threshold: dec("50"),
		CreditTypeID: USDCreditTypeID, EvaluateOnCreate: true}).ID
	if st, pst := f.h.status(f.cust, alert), f.h.status(f.cust, percent); st != AlertOK || pst != AlertOK {
		t.Fatalf("with 30 left: %q and %q, want ok", st, pst)
	}
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z") // 30 of calls: the shared commit is spent
	f.h.setClock("2026-03-06T01:00:00Z")
	if st, pst := f.h.status(f.cust, alert), f.h.status(f.cust, percent); st != AlertInAlarm || pst != AlertInAlarm {
		t.Fatalf("with nothing left: %q and %q, want in_alarm", st, pst)
	}
}

// Priority orders the customer-level commit among the contract's own
// balances: the platform's credit of priority 0.5 pays first, the shared
// commit of priority 1 next, the platform's credit without priority last.
func TestCustomerBalancePriorityAmongContractBalances(t *testing.T) {
	f := newMultiFixture(t)
	half := dec("0.5")
	f.h.must(&EditContract{CustomerID: f.cust, ContractID: "platform", AddCredits: []CommitInput{{ID: "first", ProductID: f.calls, Priority: &half,
		AccessSchedule: []ScheduleItem{{Amount: dec("10"), StartingAt: ns(t, "2026-03-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z")}}}}})
	shared := f.newCustomerBalance(CommitPrepaid, "15", "1")
	f.send("call", "", "c", 3, "2026-03-05T00:00:00Z") // 30: 10 from "first", 15 shared, 5 from the platform's own credit
	if b, _ := f.customerBalance(shared); !b.IsZero() {
		t.Fatalf("shared commit: %s, want spent", b)
	}
	if got := f.contractBalance("platform"); !got.Equal(dec("95")) {
		t.Fatalf("platform's balances: %s, want 95 (its first credit spent, 5 of its other)", got)
	}
}

// Archiving a contract cancels its drafts: what they drew from a
// customer-level commit goes back.
func TestCustomerBalanceArchivedContractGivesBack(t *testing.T) {
	f := newMultiFixture(t)
	shared := f.newCustomerBalance(CommitPrepaid, "30", "1")
	f.send("gpu", "ml", "g", 5, "2026-03-05T00:00:00Z") // 10 on the add-on's draft
	if b, _ := f.customerBalance(shared); !b.Equal(dec("20")) {
		t.Fatalf("before the archive: %s, want 20", b)
	}
	f.h.must(&ArchiveContract{CustomerID: f.cust, ContractID: "addon"})
	if b, l := f.customerBalance(shared); !b.Equal(dec("30")) || !strings.Contains(l, "PREPAID_COMMIT_CANCELED 10") {
		t.Fatalf("after the archive: %s [%s], want 30 back", b, l)
	}
}

// A manual ledger entry without contract_id reaches a customer-level
// commit (Metronome: "leave blank to update a customer level balance"):
// its balance moves and its ledger shows the entry; one naming a contract
// does not find it there.
func TestManualEntryOnCustomerBalance(t *testing.T) {
	f := newMultiFixture(t)
	id := f.newCustomerBalance(CommitPrepaid, "30", "1")
	seg := DeriveID(id, "segment", "0")
	f.h.must(&AddManualLedgerEntry{CustomerID: f.cust, CommitID: id, SegmentID: seg, Amount: dec("-12.5"), Reason: "carried over"})
	if b, l := f.customerBalance(id); !b.Equal(dec("17.5")) || l != "PREPAID_COMMIT_SEGMENT_START 30, PREPAID_COMMIT_MANUAL -12.5" {
		t.Fatalf("after the entry: %s [%s], want 17.5 with the manual entry", b, l)
	}
	var k string
	f.h.e.read(context.Background(), f.cust, func(c *Customer, _ *Catalog, _ Nanos) { k = c.Contracts[0].ID })
	wantErr(t, f.h.apply(&AddManualLedgerEntry{CustomerID: f.cust, ContractID: k, CommitID: id, SegmentID: seg, Amount: dec("1"), Reason: "x"})[0],
		NotFound, "id: commit or credit "+id+" not found")
}

// A customer-level commit billed on a contract with separate SCHEDULED
// invoices goes on the SCHEDULED invoice of each item's timestamp, as a
// contract's own commit does; an item whose SCHEDULED invoice is already
// issued is refused when the commit is created, never left unbilled.
func TestCustomerCommitOnScheduledInvoices(t *testing.T) {
	h, cust := scheduledFeeContract(t, true)
	k := h.contractOf(cust)
	commit := func(at string) Result {
		return h.apply(&CreateCustomerBalance{CustomerID: cust, InvoiceContractID: k, Balance: CommitInput{Type: CommitPrepaid, ProductID: h.fixedProduct(cust),
			Priority:        &amountOne,
			AccessSchedule:  []ScheduleItem{{Amount: dec("70"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z")}},
			InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, at), Amount: dec("70")}}}})[0]
	}
	wantErr(t, commit("2026-01-01T00:00:00Z"), Invalid, "the SCHEDULED invoice of contract "+k+" holding 2026-01-01T00:00:00Z is finalized")
	if r := commit("2026-02-01T00:00:00Z"); r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, inv := range h.invoices(cust) {
		if inv.Scheduled() && fmtTime(inv.Start) == "2026-02-01T00:00:00Z" {
			if inv.Total.String() != "10070" || len(inv.Lines) != 2 || inv.Lines[1].Type != LineCommitPurchase {
				t.Fatalf("February's SCHEDULED invoice: %s %+v, want the fee and the purchase (10070)", inv.Total, inv.Lines)
			}
			return
		}
	}
	t.Fatal("no SCHEDULED invoice on February 1")
}
