package engine

import (
	"strings"
	"testing"

	"burndown/money"
)

func TestProrateRounding(t *testing.T) {
	day := int64(nanosPerDay)
	for _, c := range []struct {
		amount           string
		remaining, total int64
		want             string
	}{
		{"10000", 350 * day, 365 * day, "9589.04"}, // 9589.0410…
		{"100", 15 * day, 30 * day, "50"},
		{"1000", 1 * day, 30 * day, "33.33"}, // 33.333…
		{"1000", 2 * day, 30 * day, "66.67"}, // 66.666…
		{"0.3", 1 * day, 2 * day, "0.15"},    // exact
		{"0.01", 1 * day, 2 * day, "0.01"},   // 0.005 rounds half up
		{"0.01", 1 * day, 3 * day, "0"},      // 0.00333…
		{"-0.01", 1 * day, 2 * day, "-0.01"}, // half away from zero
		{"1000", 30 * day, 30 * day, "1000"}, // whole period: unchanged
		{"1000.123", 31 * day, 30 * day, "1000.123"},
		{"1000", 0, 30 * day, "0"},
	} {
		if got := prorate(money.MustParse(c.amount), c.remaining, c.total); !got.Equal(money.MustParse(c.want)) {
			t.Errorf("prorate(%s, %d/%d) = %s, want %s", c.amount, c.remaining/day, c.total/day, got, c.want)
		}
	}
}

// A seat added and removed in the same period: the addition is charged and
// granted (prorated) once; the removal takes nothing back; adding it back
// in the same period grants and charges nothing more (highest quantity).
func TestSeatAddedAndRemovedSamePeriod(t *testing.T) {
	f := newSeats(t, "2026-04-01T00:00:00Z", FrequencyMonthly, "2")
	h := f.h
	wantAmount(t, "start", f.pool(), "200")
	h.setClock("2026-04-11T00:00:00Z")
	if err := f.setSeats("2026-04-11T00:00:00Z", "1", true); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "added", f.pool(), "266.67") // 200 + 100 × 20/30
	h.setClock("2026-04-21T00:00:00Z")
	if err := f.setSeats("2026-04-21T00:00:00Z", "-1", true); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "removed: the pool keeps its grant", f.pool(), "266.67")
	h.setClock("2026-04-25T00:00:00Z")
	if err := f.setSeats("2026-04-25T00:00:00Z", "3", false); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "re-added in the same period", f.pool(), "266.67")
	// Monthly 1000 per seat: 2 seats, then 1 × 1000 × 20/30.
	wantLines(t, "April", f.subLines(ns(t, "2026-04-01T00:00:00Z")), "2x2000", "1x666.67")
	// May bills and grants 3 seats.
	h.setClock("2026-05-01T00:00:00Z")
	wantAmount(t, "May", f.pool(), "300")
	wantLines(t, "May", f.subLines(ns(t, "2026-05-01T00:00:00Z")), "3x3000")
}

// An increase on the last day of a period gets one day's worth; a decrease
// grants nothing negative and the next period follows the lower quantity.
func TestSeatIncreaseLastDayAndDecrease(t *testing.T) {
	f := newSeats(t, "2026-04-01T00:00:00Z", FrequencyMonthly, "3")
	h := f.h
	h.setClock("2026-04-30T00:00:00Z")
	if err := f.setSeats("2026-04-30T00:00:00Z", "4", false); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "last day", f.pool(), "303.33") // 300 + 100 × 1/30
	wantLines(t, "April", f.subLines(ns(t, "2026-04-01T00:00:00Z")), "3x3000", "1x33.33")
	h.setClock("2026-05-01T00:00:00Z")
	wantAmount(t, "May", f.pool(), "400")
	h.setClock("2026-05-10T00:00:00Z")
	if err := f.setSeats("2026-05-10T00:00:00Z", "1", false); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "decrease keeps the pool", f.pool(), "400")
	wantLines(t, "May", f.subLines(ns(t, "2026-05-01T00:00:00Z")), "4x4000")
	f.read(func(k *Contract, now Nanos) {
		for _, e := range k.Commit(k.Recurring()[0].CommitID).Ledger(now) {
			if e.Amount.IsNegative() && e.Type != "CREDIT_EXPIRATION" {
				t.Fatalf("negative entry %+v", e)
			}
		}
	})
	h.setClock("2026-06-01T00:00:00Z")
	wantAmount(t, "June follows the decrease", f.pool(), "100")
	wantLines(t, "June", f.subLines(ns(t, "2026-06-01T00:00:00Z")), "1x1000")
	// A backdated change is refused, naming the field.
	if err := f.setSeats("2026-05-31T00:00:00Z", "2", false); err == nil || err.Code != Invalid {
		t.Fatalf("backdated: %v", err)
	}
}

// QUARTERLY and ANNUAL billing frequencies: one charge per billing period,
// the pool still granted monthly; a seat added mid-quarter is prorated over
// the quarter.
func TestSeatFrequencies(t *testing.T) {
	q := newSeats(t, "2026-01-01T00:00:00Z", FrequencyQuarterly, "2")
	wantLines(t, "Q1", q.subLines(ns(t, "2026-01-01T00:00:00Z")), "2x5600")
	q.h.setClock("2026-02-01T00:00:00Z")
	wantLines(t, "Feb", q.subLines(ns(t, "2026-02-01T00:00:00Z")))
	wantAmount(t, "Feb pool", q.pool(), "200")
	// 2026-03-02 to 2026-04-01 is 30 of Q1's 90 days.
	q.h.setClock("2026-03-02T00:00:00Z")
	if err := q.setSeats("2026-03-02T00:00:00Z", "1", true); err != nil {
		t.Fatal(err)
	}
	wantLines(t, "Mar", q.subLines(ns(t, "2026-03-02T00:00:00Z")), "1x933.33")
	q.h.setClock("2026-04-01T00:00:00Z")
	wantLines(t, "Q2", q.subLines(ns(t, "2026-04-01T00:00:00Z")), "3x8400")

	a := newSeats(t, "2026-01-01T00:00:00Z", FrequencyAnnual, "1")
	wantLines(t, "year", a.subLines(ns(t, "2026-01-01T00:00:00Z")), "1x10000")
	a.h.setClock("2026-12-01T00:00:00Z")
	wantLines(t, "Dec", a.subLines(ns(t, "2026-12-01T00:00:00Z")))
	a.h.setClock("2027-01-01T00:00:00Z")
	wantLines(t, "next year", a.subLines(ns(t, "2027-01-01T00:00:00Z")), "1x10000")
}

// A contract starting mid-month: the first month's charge and grant are
// prorated (21 of April's 30 days), May's are whole.
func TestSeatsContractStartsMidMonth(t *testing.T) {
	f := newSeats(t, "2026-04-10T00:00:00Z", FrequencyMonthly, "3")
	wantAmount(t, "first grant", f.pool(), "210")
	wantLines(t, "April", f.subLines(ns(t, "2026-04-10T00:00:00Z")), "3x2100")
	f.h.setClock("2026-05-01T00:00:00Z")
	wantAmount(t, "May grant", f.pool(), "300")
	wantLines(t, "May", f.subLines(ns(t, "2026-05-01T00:00:00Z")), "3x3000")
}

// A restart between the edit and the month's end: a snapshot taken after the
// edit, restored and replayed with the rest of the log, gives the state the
// uninterrupted engine reaches.
func TestSeatsRestartBetweenEditAndMonthEnd(t *testing.T) {
	full := newSeats(t, "2026-04-01T00:00:00Z", FrequencyAnnual, "4")
	full.h.setClock("2026-04-16T00:00:00Z")
	if err := full.setSeats("2026-04-16T00:00:00Z", "5", false); err != nil {
		t.Fatal(err)
	}
	full.h.setClock("2026-04-20T00:00:00Z")
	if err := full.setSeats("2026-04-25T00:00:00Z", "7", false); err != nil { // a future step
		t.Fatal(err)
	}
	restored := New(Config{Shards: 2})
	defer restored.Close()
	restoreInto(t, full.h.e, restored)
	rest := []Entry{
		{Index: full.h.index + 1, Time: ns(t, "2026-04-25T00:00:00Z"), Commands: []Command{&Tick{}}},
		{Index: full.h.index + 2, Time: ns(t, "2026-05-01T00:00:00Z"), Commands: []Command{&Tick{}}},
	}
	full.h.e.Apply(rest)
	restored.Apply(rest)
	if a, b := snapshotBytes(t, full.h.e), snapshotBytes(t, restored); string(a) != string(b) {
		t.Fatal("restored engine diverged")
	}
	wantAmount(t, "May pool", full.pool(), "700")
}

// restoreInto restores a snapshot of from into to (through JSON, as the
// determinism proofs do).
func restoreInto(t *testing.T, from, to *Engine) {
	t.Helper()
	if err := to.Restore(snapshotState(t, from)()); err != nil {
		t.Fatal(err)
	}
}

// What subscriptions do not apply yet is refused, never billed wrong: an
// override that would change a subscribed product's price, and shortening a
// contract with subscriptions or recurring grants.
func TestSeatsRefuseWhatTheyDoNotApply(t *testing.T) {
	f := newSeats(t, "2026-04-01T00:00:00Z", FrequencyMonthly, "2")
	h := f.h
	r := h.apply(&EditContract{CustomerID: f.cust, ContractID: f.contract, AddOverrides: []OverrideInput{
		{StartingAt: ns(t, "2026-04-01T00:00:00Z"), ProductID: f.team, Type: "MULTIPLIER", Multiplier: ptr(dec("0.5"))}}})[0]
	if r.Err == nil || r.Err.Code != Invalid || !strings.HasPrefix(r.Err.Message, "add_overrides") {
		t.Fatalf("override of the subscription price: %v", r.Err)
	}
	r = h.apply(&UpdateEndDate{CustomerID: f.cust, ContractID: f.contract, EndingBefore: ns(t, "2026-06-01T00:00:00Z")})[0]
	if r.Err == nil || r.Err.Code != Invalid || !strings.HasPrefix(r.Err.Message, "ending_before") {
		t.Fatalf("shortening a contract with seats: %v", r.Err)
	}
	// An entitlement-only override of the subscribed product is fine.
	r = h.apply(&EditContract{CustomerID: f.cust, ContractID: f.contract, AddOverrides: []OverrideInput{
		{StartingAt: ns(t, "2026-04-01T00:00:00Z"), ProductID: f.team, Entitled: ptr(true)}}})[0]
	if r.Err != nil {
		t.Fatalf("entitled override: %v", r.Err)
	}
}
