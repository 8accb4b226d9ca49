package engine

import (
	"fmt"
	"testing"
)

// A consume repeated with the transaction ids it metered (a gateway retrying
// a request it got no answer for) is admitted again, as it was the first
// time, and meters nothing: also once the balance it took is gone. A
// consume of new events on that balance is refused.
func TestConsumeRetryIsAdmittedOnce(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	product, rc, fixed := payGo(h)
	cust := h.customer("pre", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("200"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	consume := func(id string) Result {
		t.Helper()
		r := h.apply(&Consume{CustomerID: cust, ProductID: product, Events: []Event{{TransactionID: id, CustomerID: "pre", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")}}})[0]
		if r.Err != nil || r.Check == nil {
			t.Fatalf("consume %s: %v", id, r.Err)
		}
		return r
	}
	for i := 0; i < 2; i++ {
		if r := consume(fmt.Sprint("req-", i)); !r.Check.Entitled || r.Ingest.Accepted != 1 {
			t.Fatalf("consume %d: %v accepted %d", i, r.Check, r.Ingest.Accepted)
		}
	}
	if r := consume("req-2"); r.Check.Entitled || r.Check.Reason != ReasonBalanceDepleted {
		t.Fatalf("a third request on a depleted balance: %v", r.Check)
	}
	r := consume("req-1")
	if !r.Check.Entitled || r.Check.Reason != ReasonOK || r.Ingest == nil || r.Ingest.Accepted != 0 || r.Ingest.Duplicates != 1 {
		t.Fatalf("a retry of an admitted request: %v %+v", r.Check, r.Ingest)
	}
	if !r.Check.Balance.IsZero() {
		t.Fatalf("balance after the retry %s, want 0 (nothing metered twice)", r.Check.Balance)
	}
	// A consume mixing a metered id and a new one is a new request.
	mixed := h.apply(&Consume{CustomerID: cust, ProductID: product, Events: []Event{
		{TransactionID: "req-0", CustomerID: "pre", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")},
		{TransactionID: "req-9", CustomerID: "pre", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")}}})[0]
	if mixed.Check.Entitled {
		t.Fatalf("a consume with a new event on a depleted balance: %v", mixed.Check)
	}
}
