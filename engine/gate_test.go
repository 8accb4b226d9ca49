package engine

import (
	"sync"
	"testing"
)

// The batch takes the gate for a customer command only once its Validate
// accepted it: a refused command preserves nothing for a snapshot in
// progress (the copy-on-write encoder is not called for its customer),
// while an accepted one is preserved before it changes the customer.
func TestRefusedCommandsTakeNoGate(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	cust := h.must(&CreateCustomer{ID: "c", Name: "c"}).ID
	archived := h.must(&CreateAlert{CustomerID: cust, Name: "old", Type: AlertSpend, Threshold: dec("5")}).ID
	h.must(&ArchiveAlert{AlertID: archived})
	var mu sync.Mutex
	encoded := map[string]int{}
	snap, err := h.e.Snapshot(func(dst []byte, c *Customer) ([]byte, error) {
		mu.Lock()
		encoded[c.ID]++
		mu.Unlock()
		return append(dst, c.ID...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	refused := []Command{
		&ArchiveAlert{AlertID: archived},
		&ResetAlert{CustomerID: cust, AlertID: archived},
		&UpdateEndDate{CustomerID: cust, ContractID: "nope"},
		&CreateAlert{CustomerID: cust, Name: "a", Type: "no_such_type"},
		&RecordExternalInvoice{CustomerID: cust, InvoiceID: "nope", Provider: ProviderStripeBilling, ExternalID: "in_1"},
	}
	for i, r := range h.apply(refused...) {
		if r.Err == nil || r.ID != "" {
			t.Fatalf("command %d (%T): %+v, want refused without an id", i, refused[i], r)
		}
	}
	mu.Lock()
	n := encoded[cust]
	mu.Unlock()
	if n != 0 {
		t.Fatalf("refused commands preserved the customer %d times, want 0", n)
	}
	h.must(&CreateAlert{CustomerID: cust, Name: "a", Type: AlertSpend, Threshold: dec("10")})
	mu.Lock()
	n = encoded[cust]
	mu.Unlock()
	if n != 1 {
		t.Fatalf("an accepted command preserved the customer %d times, want 1", n)
	}
}

// Every customer command declares what it changes, and the ones the gate
// hands nothing (newCustomer) create their customer.
func TestCustomerCommandsDeclareTheirChange(t *testing.T) {
	for _, sp := range Commands() {
		if sp.Scope != ScopeCustomer {
			if sp.validate != nil {
				t.Errorf("%s: Validate on a command that is not a customer command", sp.Name)
			}
			continue
		}
		if (sp.Changes == newCustomer) != (sp.Kind == KindCreateCustomer) {
			t.Errorf("%s: Changes %d", sp.Name, sp.Changes)
		}
	}
}
