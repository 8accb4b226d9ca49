package engine

import (
	"context"
	"strings"
	"testing"

	"burndown/money"
)

// ledger describes the commit's ledger as "TYPE amount" entries.
func (h *harness) ledger(cust, commitID string) string {
	h.t.Helper()
	var out []string
	h.e.read(context.Background(), cust, func(c *Customer, _ *Catalog, now Nanos) {
		for _, k := range c.Contracts {
			if cm := k.Commit(commitID); cm != nil {
				for _, e := range cm.Ledger(now) {
					out = append(out, e.Type+" "+e.Amount.String())
				}
			}
		}
	})
	return strings.Join(out, ", ")
}

// lines describes an invoice's lines as "type total" entries.
func lines(inv Invoice) string {
	var out []string
	for _, l := range inv.Lines {
		out = append(out, l.Type+" "+l.Total.String())
	}
	return strings.Join(out, ", ")
}

// A POSTPAID commit is drawn like a prepaid one, but what it covers is still
// billed (in arrears); at the end of its term the unused remainder is trued
// up on the invoice of the period in which the term ends, so the customer
// pays max(commit, usage).
func TestPostpaidCommitTrueUp(t *testing.T) {
	for _, c := range []struct {
		name   string
		calls  int    // at 10 each, on January 10th
		late   int    // calls dated January 31st arriving in the grace period, after the true-up
		credit string // a free credit drawn first ("" none)
		total  string
		lines  string
		ledger string
	}{
		{"partial use", 3, 0, "", "100",
			"usage 30, applied_commit_or_credit -30, commit_purchase 70",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -30, POSTPAID_COMMIT_TRUEUP -70"},
		{"full use: no true-up", 10, 0, "", "100",
			"usage 100, applied_commit_or_credit -100",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -100"},
		{"overage beyond the commit billed as usual", 13, 0, "", "130",
			"usage 130, applied_commit_or_credit -100",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -100"},
		{"no usage: the whole commit is trued up", 0, 0, "", "100",
			"commit_purchase 100",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_TRUEUP -100"},
		{"late usage in the grace period lowers the true-up", 3, 2, "", "100",
			"usage 50, applied_commit_or_credit -50, commit_purchase 50",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -50, POSTPAID_COMMIT_TRUEUP -50"},
		{"late usage covering the remainder removes the true-up", 3, 9, "", "120",
			"usage 120, applied_commit_or_credit -100",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -100"},
		{"a free credit burns first", 3, 0, "20", "100",
			"usage 30, applied_commit_or_credit -20, applied_commit_or_credit -10, commit_purchase 90",
			"POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -10, POSTPAID_COMMIT_TRUEUP -90"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
			jan, feb := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z")
			cmd := &CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: jan, Commits: []CommitInput{{ID: "pp", Type: CommitPostpaid, ProductID: fixed,
				AccessSchedule:  []ScheduleItem{{Amount: dec("100"), StartingAt: jan, EndingBefore: feb}},
				InvoiceSchedule: []InvoiceItem{{Timestamp: feb - 1, Amount: dec("100")}}}}}
			if c.credit != "" {
				cmd.Credits = []CommitInput{{ID: "cr", ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec(c.credit), StartingAt: jan, EndingBefore: feb}}}}
			}
			h.must(cmd)
			h.setClock("2026-01-10T00:00:00Z")
			if c.calls > 0 {
				h.must(h.events("acme", "call", "a", 0, c.calls, "2026-01-10T00:00:00Z"))
			}
			if got := h.balance(cust).String(); c.credit == "" && got != money.MustParse("100").Sub(money.FromInt(int64(10*min(c.calls, 10)))).String() {
				t.Errorf("balance before the end %s", got)
			}
			h.setClock("2026-02-01T00:00:00Z") // the term ends: true-up
			if c.late > 0 {
				h.setClock("2026-02-01T10:00:00Z")
				h.must(h.events("acme", "call", "late", 0, c.late, "2026-01-31T00:00:00Z"))
			}
			h.setClock("2026-02-03T00:00:00Z") // past the grace: finalized
			invs := h.invoices(cust)
			if len(invs) != 1 || invs[0].Status != InvoiceFinalized {
				t.Fatalf("%d invoices %+v", len(invs), invs)
			}
			if got := lines(invs[0]); got != c.lines {
				t.Errorf("lines %s, want %s", got, c.lines)
			}
			if invs[0].Total.String() != c.total {
				t.Errorf("total %s, want %s", invs[0].Total, c.total)
			}
			if got := h.ledger(cust, "pp"); got != c.ledger {
				t.Errorf("ledger %s, want %s", got, c.ledger)
			}
			if !h.balance(cust).IsZero() {
				t.Errorf("balance after the end %s", h.balance(cust))
			}
		})
	}
}

// A postpaid commit needs one access item, and an invoice item (its
// true-up) of the same amount; it is in the rate card's fiat credit type.
func TestPostpaidCommitRules(t *testing.T) {
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	jan, feb, mar := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	for _, c := range []struct {
		in   CommitInput
		want string
	}{
		{CommitInput{Type: CommitPostpaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("1"), StartingAt: jan, EndingBefore: feb}, {Amount: dec("1"), StartingAt: feb, EndingBefore: mar}}},
			"commits[0].access_schedule.schedule_items: a POSTPAID commit has exactly one item"},
		{CommitInput{Type: CommitPostpaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("5"), StartingAt: jan, EndingBefore: feb}},
			InvoiceSchedule: []InvoiceItem{{Timestamp: jan, Amount: dec("4")}}},
			"commits[0].invoice_schedule.schedule_items[0].amount: must equal the access_schedule amount 5"},
	} {
		r := h.apply(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: jan, Commits: []CommitInput{c.in}})[0]
		if r.Err == nil || r.Err.Message != c.want {
			t.Errorf("got %v, want %s", r.Err, c.want)
		}
	}
}

// A PREPAID commit's invoice schedule bills commit_purchase lines on the
// usage invoices of the items' periods, counted in their totals; with
// do_not_invoice, or made by a command from before purchases were invoiced,
// nothing is billed.
func TestCommitPurchaseLines(t *testing.T) {
	jan := "2026-01-01T00:00:00Z"
	for _, c := range []struct {
		name   string
		in     func(t *testing.T) CommitInput
		legacy bool
		totals []string // per monthly invoice
	}{
		{"items: amount, and unit_price × quantity", func(t *testing.T) CommitInput {
			return CommitInput{InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-01-05T00:00:00Z"), Amount: dec("300")},
				{Timestamp: ns(t, "2026-02-05T00:00:00Z"), UnitPrice: dec("2.5"), Quantity: dec("4"), Amount: dec("10")}}}
		}, false, []string{"300", "10"}},
		{"recurring DIVIDED", func(t *testing.T) CommitInput {
			a := dec("100")
			return CommitInput{InvoiceRecurring: &RecurringScheduleInput{StartingAt: ns(t, jan), EndingBefore: ns(t, "2026-04-01T00:00:00Z"),
				Frequency: FrequencyMonthly, AmountDistribution: DistributionDivided, Amount: &a}}
		}, false, []string{"33.333333333333", "33.333333333333", "33.333333333334"}},
		{"recurring EACH", func(t *testing.T) CommitInput {
			a := dec("100")
			return CommitInput{InvoiceRecurring: &RecurringScheduleInput{StartingAt: ns(t, jan), EndingBefore: ns(t, "2026-03-01T00:00:00Z"),
				Frequency: FrequencyMonthly, AmountDistribution: DistributionEach, Amount: &a}}
		}, false, []string{"100", "100"}},
		{"do_not_invoice", func(t *testing.T) CommitInput {
			return CommitInput{DoNotInvoice: true, InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-01-05T00:00:00Z"), Amount: dec("300")}}}
		}, false, nil},
		{"a command from before purchases were invoiced", func(t *testing.T) CommitInput {
			return CommitInput{InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-01-05T00:00:00Z"), Amount: dec("300")}}}
		}, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, rc, _, fixed, cust := paygo(t, jan)
			in := c.in(t)
			in.ID, in.Type, in.ProductID = "pre", CommitPrepaid, fixed
			in.AccessSchedule = []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, jan), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}
			h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, jan), Commits: []CommitInput{in}, LegacyCommits: c.legacy})
			invs := h.invoices(cust)
			if len(invs) != len(c.totals) {
				t.Fatalf("%d invoices, want %d", len(invs), len(c.totals))
			}
			for i, inv := range invs {
				if inv.Total.String() != c.totals[i] || inv.Lines[0].Type != LineCommitPurchase || inv.Lines[0].CommitID != "pre" {
					t.Errorf("invoice %d: total %s lines %s, want %s", i, inv.Total, lines(inv), c.totals[i])
				}
			}
			// Usage draws the commit; the purchase stays on the invoice.
			h.setClock("2026-01-10T00:00:00Z")
			h.must(h.events("acme", "call", "a", 0, 2, "2026-01-10T00:00:00Z"))
			inv := h.invoices(cust)[0]
			want := "0" // the commit covers it
			if len(c.totals) > 0 {
				want = c.totals[0]
			}
			if inv.Total.String() != want {
				t.Errorf("after usage: total %s, want %s (%s)", inv.Total, want, lines(inv))
			}
		})
	}
}

// Archiving a commit takes its purchases off draft invoices; an edit may
// not bill a purchase, or true up a postpaid term, in a finalized period.
func TestCommitPurchaseEdits(t *testing.T) {
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	jan, feb := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z")
	k := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: jan}).ID
	h.must(h.events("acme", "call", "a", 0, 1, "2026-01-01T00:00:00Z"))
	h.setClock("2026-02-10T00:00:00Z") // January is finalized
	for _, in := range []CommitInput{
		{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("5"), StartingAt: jan, EndingBefore: ns(t, "2026-06-01T00:00:00Z")}},
			InvoiceSchedule: []InvoiceItem{{Timestamp: jan, Amount: dec("5")}}},
		{Type: CommitPostpaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("5"), StartingAt: jan, EndingBefore: feb}}},
	} {
		if r := h.apply(&EditContract{CustomerID: cust, ContractID: k, AddCommits: []CommitInput{in}})[0]; r.Err == nil || !strings.Contains(r.Err.Message, "finalized") {
			t.Errorf("%s in a finalized period: %v", in.Type, r.Err)
		}
	}
	r := h.must(&EditContract{CustomerID: cust, ContractID: k, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed,
		AccessSchedule:  []ScheduleItem{{Amount: dec("5"), StartingAt: feb, EndingBefore: ns(t, "2026-06-01T00:00:00Z")}},
		InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-03-02T00:00:00Z"), Amount: dec("70")}}}}})
	cm := DeriveID(r.ID, "add_commits", "0")
	if invs := h.invoices(cust); len(invs) != 2 || invs[1].Total.String() != "70" {
		t.Fatalf("purchase not billed: %+v", invs)
	}
	h.must(&EditContract{CustomerID: cust, ContractID: k, ArchiveCommits: []string{cm}})
	if invs := h.invoices(cust); invs[1].Total.String() != "0" || len(invs[1].Lines) != 0 {
		t.Fatalf("archived commit still billed: %s %s", invs[1].Total, lines(invs[1]))
	}
}
