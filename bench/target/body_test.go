package target

import (
	"encoding/json"
	"testing"
	"time"
)

func TestIngestBodyIsMetronomeShapedJSON(t *testing.T) {
	c := NewCustomers("run1", 5)
	b := Batch{Worker: 3, Seq: 7, Customers: []int{0, 4, 4}}
	ts := time.Date(2026, 11, 21, 10, 0, 0, 0, time.FixedZone("x", 3600))
	body := AppendIngestBody(nil, c, b, "api_call", ts)
	var events []struct {
		TransactionID string         `json:"transaction_id"`
		CustomerID    string         `json:"customer_id"`
		EventType     string         `json:"event_type"`
		Timestamp     string         `json:"timestamp"`
		Properties    map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &events); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	if len(events) != 3 {
		t.Fatalf("%d events", len(events))
	}
	seen := map[string]bool{}
	for j, e := range events {
		if e.CustomerID != c.Key(b.Customers[j]) || e.EventType != "api_call" || e.Timestamp != "2026-11-21T09:00:00Z" || e.Properties == nil {
			t.Errorf("event %d: %+v", j, e)
		}
		if seen[e.TransactionID] {
			t.Errorf("duplicate transaction id %s", e.TransactionID)
		}
		seen[e.TransactionID] = true
	}
	// A re-sent batch carries the same ids; the next batch different ones.
	again := AppendIngestBody(nil, c, b, "api_call", ts)
	if string(again) != string(body) {
		t.Error("re-sent batch differs")
	}
	b.Seq++
	if id := string(AppendTxnID(nil, c.Run, b, 0)); seen[id] {
		t.Errorf("next batch reuses id %s", id)
	}
}

func TestCustomerKeysAreDistinct(t *testing.T) {
	c := NewCustomers("r", 1000)
	seen := map[string]bool{}
	for i := 0; i < c.N; i++ {
		if seen[c.Key(i)] {
			t.Fatalf("key %s repeated", c.Key(i))
		}
		seen[c.Key(i)] = true
	}
}
