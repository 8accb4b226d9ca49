package engine

import (
	"strings"
	"testing"
)

// Percentage alerts: a 2000 commit and a 1000 credit at 100 a unit (the
// commit, older, burns first); the commit alert fires at exactly 25% left
// of the commit, the credit alert at 20% left of the credit (threshold
// 25%), each once; a threshold over 100 is refused.
func TestPercentageAlerts(t *testing.T) {
	h := newHarness(t, "2026-01-05T00:00:00Z")
	_, rc, fixed := payGo(h)
	year := []ScheduleItem{{Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}
	credit := []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}
	cust := h.customer("pct", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: year}},
		Credits: []CommitInput{{ProductID: fixed, AccessSchedule: credit}}})
	if r := h.apply(&CreateAlert{CustomerID: cust, Name: "x", Type: AlertLowCommitPercent, Threshold: dec("100.5")})[0]; r.Err == nil ||
		!strings.HasPrefix(r.Err.Message, "threshold:") {
		t.Fatalf("a threshold over 100: %v", r.Err)
	}
	commitAlert := h.must(&CreateAlert{CustomerID: cust, Name: "commit", Type: AlertLowCommitPercent, Threshold: dec("25"), EvaluateOnCreate: true}).ID
	creditAlert := h.must(&CreateAlert{CustomerID: cust, Name: "credit", Type: AlertLowCreditPercent, Threshold: dec("25"), EvaluateOnCreate: true}).ID
	wantNotes(t, h.notes())

	h.must(h.events("pct", "unit", "a", 0, 14, "2026-01-05T00:00:00Z")) // commit (older, burns first) 600 left: 30%
	wantNotes(t, h.notes())
	h.must(h.events("pct", "unit", "a", 14, 1, "2026-01-05T00:00:00Z")) // commit 500 left: exactly 25%
	n := h.notes()
	wantNotes(t, n, "alerts.low_remaining_commit_percentage_reached")
	if p := n[0].Properties; p["remaining_percentage"] != 25.0 || p["remaining_balance"] != 500.0 || p["alert_id"] != commitAlert || p["threshold"] != 25.0 {
		t.Fatalf("commit notification: %v", p)
	}
	h.must(h.events("pct", "unit", "a", 15, 12, "2026-01-05T00:00:00Z")) // commit empty, credit 300 left: 30%
	wantNotes(t, h.notes())
	h.must(h.events("pct", "unit", "a", 27, 1, "2026-01-05T00:00:00Z")) // credit 200 left: 20%
	n = h.notes()
	wantNotes(t, n, "alerts.low_remaining_contract_credit_percentage_reached")
	if p := n[0].Properties; p["remaining_percentage"] != 20.0 || p["remaining_balance"] != 200.0 || p["alert_id"] != creditAlert {
		t.Fatalf("credit notification: %v", p)
	}
	h.must(h.events("pct", "unit", "a", 28, 1, "2026-01-05T00:00:00Z"))
	wantNotes(t, h.notes()) // still in alarm: no second notification
	if h.status(cust, commitAlert) != AlertInAlarm || h.status(cust, creditAlert) != AlertInAlarm {
		t.Fatal("percentage alerts not in alarm")
	}
}

// Days alerts: a commit of two monthly segments and a credit of one; the
// commit alert (7 days) becomes due exactly 7 days before the first
// segment's end, fires then with no command but the tick, and resolves when
// the second segment starts; the credit alert (0.5 days) fires 12 hours
// before the credit's end. An alert naming a credit type watches only its
// segments.
func TestSegmentDaysAlerts(t *testing.T) {
	h := newHarness(t, "2026-01-10T00:00:00Z")
	_, rc, fixed := payGo(h)
	jan, feb, mar := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	cust := h.customer("days", &CreateContract{RateCardID: rc, StartingAt: jan,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{
			{Amount: dec("100"), StartingAt: jan, EndingBefore: feb}, {Amount: dec("100"), StartingAt: feb, EndingBefore: mar}}}},
		Credits: []CommitInput{{ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("50"), StartingAt: jan, EndingBefore: ns(t, "2026-01-20T00:00:00Z")}}}}})
	commitDays := h.must(&CreateAlert{CustomerID: cust, Name: "commit days", Type: AlertCommitDays, Threshold: dec("7"), EvaluateOnCreate: true}).ID
	creditDays := h.must(&CreateAlert{CustomerID: cust, Name: "credit days", Type: AlertCreditDays, Threshold: dec("0.5"), EvaluateOnCreate: true}).ID
	if r := h.apply(&CreateAlert{CustomerID: cust, Name: "cpu", Type: AlertCommitDays, Threshold: dec("30"), CreditTypeID: "nope", EvaluateOnCreate: true})[0]; r.Err == nil || r.Err.Code != NotFound {
		t.Fatalf("unknown credit type: %v", r.Err)
	}
	wantNotes(t, h.notes())

	if due := h.e.NextDue(); due != ns(t, "2026-01-19T12:00:00Z") {
		t.Fatalf("next due %s, want the credit alert's moment", fmtTime(due))
	}
	h.setClock("2026-01-19T11:59:59Z")
	wantNotes(t, h.notes())
	h.setClock("2026-01-19T12:00:00Z")
	n := h.notes()
	wantNotes(t, n, "alerts.low_remaining_days_for_contract_credit_segment_reached")
	if p := n[0].Properties; p["remaining_days"] != 0.5 || p["alert_id"] != creditDays || p["segment_ending_before"] != "2026-01-20T00:00:00Z" || p["commit_id"] == "" {
		t.Fatalf("credit days notification: %v", p)
	}
	// The credit's end takes it out of alarm (no segment in force).
	h.setClock("2026-01-20T00:00:00Z")
	wantNotes(t, h.notes(), "alerts.low_remaining_days_for_contract_credit_segment_reached_resolved")

	if due := h.e.NextDue(); due != ns(t, "2026-01-25T00:00:00Z") {
		t.Fatalf("next due %s, want 7 days before the segment's end", fmtTime(due))
	}
	h.setClock("2026-01-25T00:00:00Z")
	n = h.notes()
	wantNotes(t, n, "alerts.low_remaining_days_for_commit_segment_reached")
	if p := n[0].Properties; p["remaining_days"] != 7.0 || p["alert_id"] != commitDays {
		t.Fatalf("commit days notification: %v", p)
	}
	// The second segment (28 days) starts: back to ok, and due again 7
	// days before its end.
	h.setClock("2026-02-01T00:00:00Z")
	n = h.notes()
	wantNotes(t, n, "alerts.low_remaining_days_for_commit_segment_reached_resolved")
	if h.status(cust, commitDays) != AlertOK {
		t.Fatal("commit days alert not back to ok")
	}
	h.setClock("2026-02-22T00:00:00Z")
	wantNotes(t, h.notes(), "alerts.low_remaining_days_for_commit_segment_reached")
}

// monthly_invoice_total_spend_threshold_reached: the month's invoices of
// the customer sum to the threshold at the 10th unit; the next month
// starts at 0 (a tick at its first instant resolves it) and fires again.
func TestMonthlyInvoiceTotalAlert(t *testing.T) {
	h := newHarness(t, "2026-01-06T00:00:00Z")
	_, rc, _ := payGo(h)
	cust := h.customer("monthly", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	id := h.must(&CreateAlert{CustomerID: cust, Name: "month", Type: AlertMonthlyInvoiceTotal, Threshold: dec("1000"), EvaluateOnCreate: true}).ID
	h.must(h.events("monthly", "unit", "a", 0, 9, "2026-01-05T00:00:00Z"))
	wantNotes(t, h.notes())
	h.must(h.events("monthly", "unit", "a", 9, 1, "2026-01-06T00:00:00Z"))
	n := h.notes()
	wantNotes(t, n, "alerts.monthly_invoice_total_spend_threshold_reached")
	if p := n[0].Properties; p["invoice_total"] != 1000.0 || p["alert_id"] != id || p["credit_type_id"] != USDCreditTypeID {
		t.Fatalf("monthly notification: %v", p)
	}
	if due := h.e.NextDue(); due != ns(t, "2026-02-01T00:00:00Z") {
		t.Fatalf("next due %s, want the next month", fmtTime(due))
	}
	h.setClock("2026-02-01T00:00:00Z")
	wantNotes(t, h.notes(), "alerts.monthly_invoice_total_spend_threshold_reached_resolved")
	h.setClock("2026-02-03T00:00:00Z")
	h.notes() // January's invoice is finalized: not this test's concern
	h.must(h.events("monthly", "unit", "b", 0, 10, "2026-02-03T00:00:00Z"))
	wantNotes(t, h.notes(), "alerts.monthly_invoice_total_spend_threshold_reached")
}

// The SDK's plan-era types are refused by name, saying why.
func TestRefusedAlertTypes(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	_, rc, _ := payGo(h)
	cust := h.customer("refused", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	for typ := range RefusedAlertTypes {
		r := h.apply(&CreateAlert{CustomerID: cust, Name: "x", Type: typ, Threshold: dec("1")})[0]
		if r.Err == nil || r.Err.Code != Invalid || !strings.HasPrefix(r.Err.Message, "alert_type: "+typ+" is not supported: ") {
			t.Fatalf("%s: %v", typ, r.Err)
		}
	}
}
