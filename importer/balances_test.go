package importer

import (
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

func TestDecimalString(t *testing.T) {
	for in, want := range map[string]string{"-100": "-100", "0": "0", "1/3": "0.333333333333", "-25/2": "-12.5", "9900": "9900"} {
		v, _ := new(big.Rat).SetString(in)
		if got := decimalString(v); got != want {
			t.Errorf("decimalString(%s) = %q, want %q", in, got, want)
		}
	}
}

// The manual entry goes on the segment in force now, else on the last one
// started (a balance used in an ended segment stays there), else the first.
func TestSegmentAt(t *testing.T) {
	var cm commit
	if err := json.Unmarshal([]byte(`{"access_schedule":{"schedule_items":[
		{"id":"jan","amount":1,"starting_at":"2026-01-01T00:00:00Z","ending_before":"2026-02-01T00:00:00Z"},
		{"id":"feb","amount":1,"starting_at":"2026-02-01T00:00:00Z","ending_before":"2026-03-01T00:00:00Z"},
		{"id":"may","amount":1,"starting_at":"2026-05-01T00:00:00Z","ending_before":"2026-06-01T00:00:00Z"}]}}`), &cm); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]string{"2025-12-01": "jan", "2026-01-15": "jan", "2026-02-03": "feb", "2026-04-01": "feb", "2026-05-02": "may"} {
		now, _ := time.Parse(time.DateOnly, at)
		if got := segmentAt(cm, now); got != want {
			t.Errorf("segmentAt(%s) = %s, want %s", at, got, want)
		}
	}
}

// An item on a draft invoice is not billed yet and is carried; one on any
// other invoice was billed and is not.
func TestBilled(t *testing.T) {
	draft, issued := "d", "i"
	drafts := map[string]bool{draft: true}
	for _, c := range []struct {
		id   *string
		want bool
	}{{nil, false}, {&draft, false}, {&issued, true}} {
		if got := billed(invoiceItem{InvoiceID: c.id}, drafts); got != c.want {
			t.Errorf("billed(%v) = %v, want %v", c.id, got, c.want)
		}
	}
}

// Rates compare by product, start (whatever its time zone) and pricing
// group values (in any order).
func TestRateKey(t *testing.T) {
	a := rateKey("p", "2026-01-01T01:00:00+01:00", map[string]string{"region": "eu", "tier": "1"})
	b := rateKey("p", "2026-01-01T00:00:00Z", map[string]string{"tier": "1", "region": "eu"})
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
	if a == rateKey("p", "2026-01-01T00:00:00Z", nil) {
		t.Error("pricing group values ignored")
	}
}
